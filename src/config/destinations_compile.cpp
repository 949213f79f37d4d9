#include "config/destinations_compile.h"

#include <fmt/format.h>

#include "config/audiences_loader.h"
#include "tributary/expr/evaluate.h"
#include "tributary/transform/mapping.h"

namespace tributary::config {
namespace {

// Compiles one expression, reporting an error at the character it names when the expression
// sits on one line of the file.
std::shared_ptr<const expr::program> compile_at(yaml_reader& r, const expression_text& e,
                                                const std::string& what, expr::mode m) {
  auto compiled = expr::compile(e.text, m);
  if (compiled.ok()) return compiled.value();
  const auto& err = compiled.err();
  YAML::Mark mark;
  mark.line = e.line - 1;
  mark.column = e.column - 1;
  if (e.text.find('\n') == std::string::npos && err.line == 1)
    mark.column += (e.plain ? 0 : 1) + err.column - 1;
  r.error(mark, fmt::format("{}: {} (at line {}, column {} of the expression)", what, err.message,
                            err.line, err.column));
  return nullptr;
}

}  // namespace

void compile_destinations(yaml_reader& r, config& c) {
  c.routing.clear();
  for (const auto& d : c.destinations) {
    destination_programs p;
    std::string where = "destinations." + d.name;
    if (d.subscribe)
      p.subscribe = compile_at(r, *d.subscribe, where + ".subscribe", expr::mode::event);
    for (std::size_t i = 0; i < d.filters.size(); ++i) {
      const auto& f = d.filters[i];
      p.filter_conditions.push_back(f.condition.text.empty() || f.condition.text == "all"
                                        ? nullptr
                                        : compile_at(r, f.condition,
                                                     fmt::format("{}.filters[{}]", where, i),
                                                     expr::mode::event));
    }
    if (d.profile_where) {
      p.profile_where =
          compile_at(r, *d.profile_where, where + ".profile_where", expr::mode::profile);
      if (p.profile_where) {
        for (const auto& key : p.profile_where->audiences())
          if (std::none_of(c.audiences.begin(), c.audiences.end(),
                           [&](const audience& a) { return a.key == key; })) {
            YAML::Mark mark;
            mark.line = d.profile_where->line - 1;
            mark.column = d.profile_where->column - 1;
            r.error(mark, fmt::format("{}.profile_where: refers to audiences.{}, which is not "
                                      "defined",
                                      where, key));
          }
        for (std::size_t i = 0; i < p.profile_where->history().size(); ++i) {
          std::string key = fmt::format("__d.{}.{}", d.name, i);
          c.computed_traits.push_back(implicit_trait(key, p.profile_where->history()[i]));
          p.profile_where_terms.push_back(key);
        }
      }
    }
    auto list_error = [&](const std::string& what, const std::string& key) {
      YAML::Mark mark;
      mark.line = d.line - 1;
      mark.column = d.column - 1;
      r.error(mark, fmt::format("{}.{}: '{}' is not defined", where, what, key));
    };
    for (const auto& a : d.audiences)
      if (std::none_of(c.audiences.begin(), c.audiences.end(),
                       [&](const audience& x) { return x.key == a; }))
        list_error("audiences", a);
    for (const auto& t : d.computed_traits)
      if (std::none_of(c.computed_traits.begin(), c.computed_traits.end(),
                       [&](const computed_trait& x) { return x.key == t && !x.implicit; }))
        list_error("computed_traits", t);
    if (d.mapping) {
      if (auto problem = transform::validate(*d.mapping)) {
        YAML::Mark mark;
        mark.line = d.mapping_line - 1;
        mark.column = d.mapping_column - 1;
        r.error(mark, fmt::format("{}.mapping: {}", where, *problem));
      }
    }
    c.routing.push_back(std::move(p));
  }
}

}  // namespace tributary::config
