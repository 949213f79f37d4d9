#include "config/traits_loader.h"

#include <fmt/format.h>

#include <regex>

#include "config/expressions.h"
#include "config/fingerprint.h"

namespace tributary::config {

const char* to_string(trait_type t) {
  switch (t) {
    case trait_type::event_count:
      return "event_count";
    case trait_type::aggregate:
      return "aggregate";
    case trait_type::most_frequent:
      return "most_frequent";
    case trait_type::first:
      return "first";
    case trait_type::last:
      return "last";
    case trait_type::unique_list:
      return "unique_list";
    case trait_type::unique_list_count:
      return "unique_list_count";
    case trait_type::score:
      return "score";
    case trait_type::days_since:
      return "days_since";
  }
  return "?";
}

namespace {

std::optional<trait_type> type_of(const std::string& s) {
  for (auto t : {trait_type::event_count, trait_type::aggregate, trait_type::most_frequent,
                 trait_type::first, trait_type::last, trait_type::unique_list,
                 trait_type::unique_list_count, trait_type::score, trait_type::days_since})
    if (s == to_string(t)) return t;
  return std::nullopt;
}

bool needs_property(trait_type t) {
  return t == trait_type::aggregate || t == trait_type::most_frequent ||
         t == trait_type::unique_list || t == trait_type::unique_list_count ||
         t == trait_type::first || t == trait_type::last;
}

}  // namespace

std::vector<std::string> property_path(const std::string& property) {
  std::vector<std::string> path;
  std::size_t start = 0;
  while (true) {
    auto dot = property.find('.', start);
    path.push_back(
        property.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  static const char* kTop[] = {"properties", "context",     "traits",   "integrations",
                               "userId",     "anonymousId", "event",    "name",
                               "type",       "groupId",     "messageId"};
  for (const char* t : kTop)
    if (path.front() == t) return path;
  path.insert(path.begin(), "properties");
  return path;
}

std::string trait_fingerprint(const computed_trait& d) {
  std::string f = fmt::format("{}|{}|{}|{}|", to_string(d.type), d.event, d.window, d.where);
  for (const auto& p : d.property) f += p + ".";
  f += fmt::format("|{}|{}|{}|", d.value_timestamp, static_cast<int>(d.function), d.trait);
  for (const auto& [m, w] : d.milestones) f += fmt::format("{}={};", m, w);
  return fingerprint_of(f);  // stored with every profile's trait state: kept short
}

std::vector<computed_trait> read_computed_traits(yaml_reader& r, const YAML::Node& n) {
  std::vector<computed_trait> out;
  if (n.IsNull()) return out;
  if (!r.check_free_map(n, "computed_traits")) return out;
  static const std::regex kKey("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  for (const auto& kv : n) {
    computed_trait d;
    d.key = kv.first.as<std::string>("");
    std::string where = "computed_traits." + d.key;
    if (!std::regex_match(d.key, kKey))
      r.error_at(kv.first,
                 fmt::format("{}: a trait key uses letters, digits, '_', '.' or '-'", where));
    else if (d.key.starts_with("__"))
      r.error_at(kv.first, fmt::format("{}: keys starting with '__' are reserved for the traits "
                                       "that audiences and destinations derive",
                                       where));
    const YAML::Node& t = kv.second;
    if (!r.check_map(t, where,
                     {"type", "event", "window", "where", "property", "value", "function",
                      "milestones", "trait"}))
      continue;
    auto type_text = t["type"] ? r.scalar(t["type"], where + ".type") : std::nullopt;
    if (!t["type"]) {
      r.error_at(t, where +
                        ": 'type' is required (event_count, aggregate, most_frequent, "
                        "first, last, unique_list, unique_list_count, score, days_since)");
      continue;
    }
    if (!type_text) continue;
    auto type = type_of(*type_text);
    if (!type) {
      r.error_at(t["type"], fmt::format("{}.type: unknown type '{}' (expected event_count, "
                                        "aggregate, most_frequent, first, last, unique_list, "
                                        "unique_list_count, score or days_since)",
                                        where, *type_text));
      continue;
    }
    d.type = *type;
    auto refuse = [&](const char* key, const char* why) {
      if (t[key]) r.error_at(t[key], fmt::format("{}.{}: {}", where, key, why));
    };
    if (d.type == trait_type::days_since) {
      for (const char* k :
           {"event", "window", "where", "property", "value", "function", "milestones"})
        refuse(k, "not used by a days_since trait (it reads `trait`)");
      if (!t["trait"]) {
        r.error_at(t, where + ": a days_since trait needs 'trait' (the trait holding a time)");
        continue;
      }
      if (auto s = r.scalar(t["trait"], where + ".trait")) d.trait = *s;
    } else {
      refuse("trait", "only a days_since trait reads another trait");
      if (d.type == trait_type::score) {
        refuse("event", "a score counts its milestones; it has no 'event'");
        if (!t["milestones"] || !t["milestones"].IsMap() || t["milestones"].size() == 0) {
          r.error_at(t["milestones"] ? t["milestones"] : t,
                     where + ": a score needs 'milestones': a map of event name to points");
          continue;
        }
        for (const auto& m : t["milestones"]) {
          auto name = m.first.as<std::string>("");
          auto pts = r.scalar(m.second, where + ".milestones." + name);
          if (!pts) continue;
          try {
            std::size_t used = 0;
            double w = std::stod(*pts, &used);
            if (used != pts->size()) throw std::invalid_argument("");
            d.milestones.emplace_back(name, w);
          } catch (...) {
            r.error_at(m.second,
                       fmt::format("{}.milestones.{}: '{}' is not a number", where, name, *pts));
          }
        }
      } else {
        refuse("milestones", "only a score has milestones");
        if (!t["event"]) {
          r.error_at(t, where +
                            ": 'event' is required (an event name, or \"*\" for any track, "
                            "page or screen)");
          continue;
        }
        if (auto s = r.scalar(t["event"], where + ".event")) d.event = *s;
      }
      if (t["window"])
        if (auto w = r.duration(t["window"], where + ".window")) d.window = *w;
      if (t["where"]) {
        if (auto s = r.scalar(t["where"], where + ".where")) {
          d.where = *s;
          d.where_line = t["where"].Mark().line + 1;
          d.where_column = t["where"].Mark().column + 1;
          d.where_fn = compile_event_predicate(r, t["where"], *s, where + ".where");
        }
      }
      if (d.type == trait_type::aggregate) {
        auto fn = t["function"] ? r.scalar(t["function"], where + ".function") : std::nullopt;
        if (!t["function"])
          r.error_at(t, where + ": an aggregate needs 'function' (sum, avg, min or max)");
        else if (fn && *fn == "sum")
          d.function = aggregate_fn::sum;
        else if (fn && *fn == "avg")
          d.function = aggregate_fn::avg;
        else if (fn && *fn == "min")
          d.function = aggregate_fn::min;
        else if (fn && *fn == "max")
          d.function = aggregate_fn::max;
        else if (fn)
          r.error_at(t["function"],
                     fmt::format("{}.function: '{}' is not sum, avg, min or max", where, *fn));
      } else {
        refuse("function", "only an aggregate has a function");
      }
      bool takes_value = d.type == trait_type::first || d.type == trait_type::last;
      if (t["value"]) {
        if (!takes_value) {
          refuse("value", "only first and last take `value: timestamp`");
        } else if (auto v = r.scalar(t["value"], where + ".value")) {
          if (*v == "timestamp")
            d.value_timestamp = true;
          else
            r.error_at(t["value"], fmt::format("{}.value: '{}' is not supported (use "
                                               "`value: timestamp` or `property: PATH`)",
                                               where, *v));
        }
        if (t["property"]) refuse("property", "give either `property` or `value`, not both");
      } else if (t["property"]) {
        if (!needs_property(d.type))
          refuse("property", "this trait type does not read a property");
        else if (auto p = r.scalar(t["property"], where + ".property"); p && !p->empty())
          d.property = property_path(*p);
      } else if (needs_property(d.type)) {
        r.error_at(t, fmt::format("{}: type {} needs 'property'{}", where, to_string(d.type),
                                  takes_value ? " or `value: timestamp`" : ""));
      }
    }
    d.fingerprint = trait_fingerprint(d);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tributary::config
