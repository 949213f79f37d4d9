#include "app/eval_cli.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "delivery/tester.h"
#include "tributary/config/config.h"
#include "tributary/expr/evaluate.h"

namespace tributary::app {

int eval_command(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::fputs("usage: tributary eval 'EXPRESSION' < event.json\n", stderr);
    return 2;
  }
  const std::string& text = args[1];
  auto compiled = expr::compile(text, expr::mode::event);
  if (!compiled.ok()) {
    const auto& e = compiled.err();
    // The expression's line, and a caret under the offending character.
    std::size_t line_start = text.rfind('\n', e.offset == 0 ? 0 : e.offset - 1);
    line_start = line_start == std::string::npos || e.offset == 0 ? 0 : line_start + 1;
    std::size_t line_end = text.find('\n', line_start);
    std::string line = text.substr(
        line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
    std::fprintf(stderr, "error: %s\n  %s\n  %s^\n", e.to_string().c_str(), line.c_str(),
                 std::string(static_cast<std::size_t>(e.column - 1), ' ').c_str());
    return 1;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto event = nlohmann::ordered_json::parse(input, nullptr, false);
  if (event.is_discarded()) {
    std::fputs("error: standard input is not a JSON event\n", stderr);
    return 1;
  }
  auto result = expr::to_json(expr::evaluate(*compiled.value(), event));
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

int test_destination_command(const std::vector<std::string>& args) {
  std::string name, file;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size())
      file = args[++i];
    else if (name.empty())
      name = args[i];
    else
      name.clear(), i = args.size();
  }
  if (name.empty()) {
    std::fputs("usage: tributary test-destination NAME [--config FILE] < event.json\n", stderr);
    return 2;
  }
  auto loaded = file.empty() ? config::load_from_string(config::kEmbeddedDefault, "<embedded>")
                             : config::load_from_file(file);
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
  if (!loaded.cfg) return 1;
  const config::destination* d = nullptr;
  for (const auto& x : loaded.cfg->destinations)
    if (x.name == name) d = &x;
  if (!d) {
    std::fprintf(stderr, "error: no destination named '%s'\n", name.c_str());
    return 1;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto event = nlohmann::ordered_json::parse(input, nullptr, false);
  if (!event.is_object()) {
    std::fputs("error: standard input is not a JSON event\n", stderr);
    return 1;
  }
  system_clock_source clock;
  auto out = delivery::test_event(*loaded.cfg, *d, event, nullptr, clock.now_ms());
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace tributary::app
