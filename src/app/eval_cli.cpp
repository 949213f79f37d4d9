#include "app/eval_cli.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

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

}  // namespace tributary::app
