#include "config/expressions.h"

#include <fmt/format.h>

#include "tributary/expr/evaluate.h"

namespace tributary::config {

std::shared_ptr<const expr::program> compile_expression(yaml_reader& r, const YAML::Node& at,
                                                        const std::string& text,
                                                        const std::string& what, expr::mode m) {
  auto compiled = expr::compile(text, m);
  if (compiled.ok()) return compiled.value();
  const auto& e = compiled.err();
  YAML::Mark mark = at.Mark();
  // Point at the offending character when the expression sits on one line of the file (a
  // quoted scalar starts one column after its quote); otherwise at the expression's start.
  if (text.find('\n') == std::string::npos && e.line == 1 && mark.line >= 0 && !at.Tag().empty())
    mark.column += (at.Tag() == "!" ? 1 : 0) + e.column - 1;
  r.error(mark, fmt::format("{}: {} (at line {}, column {} of the expression)", what, e.message,
                            e.line, e.column));
  return nullptr;
}

std::function<bool(const nlohmann::json&)> compile_event_predicate(yaml_reader& r,
                                                                   const YAML::Node& at,
                                                                   const std::string& text,
                                                                   const std::string& what) {
  auto p = compile_expression(r, at, text, what, expr::mode::event);
  if (!p) return {};
  return [p](const nlohmann::json& ev) { return expr::matches(*p, ev); };
}

}  // namespace tributary::config
