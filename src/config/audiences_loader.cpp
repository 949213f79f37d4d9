#include "config/audiences_loader.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <regex>

#include "config/expressions.h"
#include "config/traits_loader.h"
#include "tributary/expr/evaluate.h"

namespace tributary::config {
computed_trait implicit_trait(const std::string& key, const expr::history_term& term) {
  computed_trait d;
  d.key = key;
  d.implicit = true;
  d.event = term.event;
  d.window = term.window;
  switch (term.k) {
    case expr::history_term::kind::count:
      d.type = trait_type::event_count;
      break;
    case expr::history_term::kind::first_seen:
      d.type = trait_type::first;
      d.value_timestamp = true;
      break;
    case expr::history_term::kind::last_seen:
      d.type = trait_type::last;
      d.value_timestamp = true;
      break;
  }
  if (term.where) {
    d.where = term.where->source();
    d.where_fn = [p = term.where](const nlohmann::json& ev) { return expr::matches(*p, ev); };
  }
  d.fingerprint = trait_fingerprint(d);
  return d;
}

std::vector<audience> read_audiences(yaml_reader& r, const YAML::Node& n,
                                     std::vector<computed_trait>& traits) {
  std::vector<audience> read;
  std::map<std::string, YAML::Node> nodes;
  if (n.IsNull()) return read;
  if (!r.check_free_map(n, "audiences")) return read;
  static const std::regex kKey("[A-Za-z0-9_][A-Za-z0-9_-]*");
  for (const auto& kv : n) {
    audience a;
    a.key = kv.first.as<std::string>("");
    std::string where = "audiences." + a.key;
    if (!std::regex_match(a.key, kKey)) {
      r.error_at(kv.first, where + ": an audience key uses letters, digits, '_' or '-'");
      continue;
    }
    if (!r.check_map(kv.second, where, {"name", "where"})) continue;
    if (auto s = kv.second["name"] ? r.scalar(kv.second["name"], where + ".name") : std::nullopt)
      a.name = *s;
    else
      a.name = a.key;
    if (!kv.second["where"]) {
      r.error_at(kv.second, where + ": 'where' (a profile expression) is required");
      continue;
    }
    auto text = r.scalar(kv.second["where"], where + ".where");
    if (!text) continue;
    a.where = *text;
    a.program =
        compile_expression(r, kv.second["where"], *text, where + ".where", expr::mode::profile);
    if (!a.program) continue;
    for (std::size_t i = 0; i < a.program->history().size(); ++i) {
      std::string key = fmt::format("__a.{}.{}", a.key, i);
      traits.push_back(implicit_trait(key, a.program->history()[i]));
      a.term_traits.push_back(key);
    }
    a.fingerprint = a.where;
    nodes[a.key] = kv.second["where"];
    read.push_back(std::move(a));
  }
  // References must exist and must not form a cycle; order dependencies first.
  std::map<std::string, const audience*> by_key;
  for (const auto& a : read) by_key[a.key] = &a;
  std::vector<audience> ordered;
  std::map<std::string, int> state;  // 1 = visiting, 2 = done
  std::vector<std::string> path;
  std::function<bool(const audience&)> visit = [&](const audience& a) -> bool {
    if (state[a.key] == 2) return true;
    if (state[a.key] == 1) {
      std::string cycle;
      auto from = std::find(path.begin(), path.end(), a.key);
      for (auto it = from; it != path.end(); ++it) cycle += *it + " → ";
      r.error_at(nodes[a.key], fmt::format("audiences.{}.where: audiences refer to each other in "
                                           "a cycle: {}{}",
                                           a.key, cycle, a.key));
      return false;
    }
    state[a.key] = 1;
    path.push_back(a.key);
    bool ok = true;
    for (const auto& dep : a.program->audiences()) {
      auto it = by_key.find(dep);
      if (it == by_key.end()) {
        r.error_at(nodes[a.key], fmt::format("audiences.{}.where: refers to audiences.{}, which "
                                             "is not defined",
                                             a.key, dep));
        ok = false;
      } else if (!visit(*it->second)) {
        ok = false;
        break;
      }
    }
    path.pop_back();
    state[a.key] = 2;
    if (ok) ordered.push_back(a);
    return ok;
  };
  for (const auto& a : read) visit(a);
  return ordered;
}

}  // namespace tributary::config
