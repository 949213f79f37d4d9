#include "config/tracking_plan_loader.h"

#include <fmt/format.h>

namespace tributary::config {
namespace {

using protocols::schema;

std::optional<std::uint16_t> type_bit(const std::string& name) {
  using namespace protocols;
  if (name == "string") return t_string;
  if (name == "number") return t_number;
  if (name == "integer") return t_integer;
  if (name == "boolean") return t_boolean;
  if (name == "object") return t_object;
  if (name == "array") return t_array;
  if (name == "null") return t_null;
  if (name == "any") return t_any;
  return std::nullopt;
}

// A YAML scalar as an enum value: unquoted numbers and booleans as such, anything else a string.
protocols::enum_value enum_of(const YAML::Node& n) {
  using kind = protocols::enum_value::kind;
  protocols::enum_value v;
  if (n.IsNull()) {
    v.k = kind::null;
    return v;
  }
  v.s = n.Scalar();
  if (n.Tag() == "!") return v;  // quoted: always a string
  if (v.s == "true" || v.s == "false") {
    v.k = kind::boolean;
    v.b = v.s == "true";
    return v;
  }
  try {
    size_t used = 0;
    double d = std::stod(v.s, &used);
    if (used == v.s.size()) {
      v.k = kind::number;
      v.d = d;
    }
  } catch (...) {
  }
  return v;
}

std::optional<double> number(yaml_reader& r, const YAML::Node& n, const std::string& what) {
  auto s = r.scalar(n, what);
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    double d = std::stod(*s, &used);
    if (used == s->size()) return d;
  } catch (...) {
  }
  r.error_at(n, fmt::format("{}: '{}' is not a number", what, *s));
  return std::nullopt;
}

schema read_schema(yaml_reader& r, const YAML::Node& n, const std::string& where);

void read_properties(yaml_reader& r, const YAML::Node& n, const std::string& where, schema& s) {
  s.has_properties = true;
  s.types &= protocols::t_object | protocols::t_null;
  if (n.IsNull()) return;
  if (!r.check_free_map(n, where)) return;
  for (const auto& kv : n) {
    auto name = kv.first.as<std::string>("");
    s.properties.emplace(name, read_schema(r, kv.second, where + "." + name));
  }
}

schema read_schema(yaml_reader& r, const YAML::Node& n, const std::string& where) {
  schema s;
  if (n.IsNull()) return s;  // `name: ` with nothing: any value
  if (!r.check_map(n, where,
                   {"type", "format", "required", "enum", "pattern", "minimum", "maximum",
                    "min_length", "max_length", "properties", "items", "description"}))
    return s;
  if (auto t = n["type"]) {
    std::vector<YAML::Node> names;
    if (t.IsSequence())
      for (const auto& x : t) names.push_back(x);
    else
      names.push_back(t);
    std::uint16_t bits = 0;
    for (const auto& x : names) {
      auto name = r.scalar(x, where + ".type");
      if (!name) continue;
      if (auto b = type_bit(*name))
        bits |= *b;
      else
        r.error_at(x, fmt::format("{}.type: '{}' is not a type (string, number, integer, boolean, "
                                  "object, array, null, any)",
                                  where, *name));
    }
    if (bits & protocols::t_number) bits |= protocols::t_integer;
    if (bits) s.types = bits;
  }
  if (auto f = n["format"]) {
    s.format = r.scalar(f, where + ".format").value_or("");
    if (s.format != "date-time" && s.format != "date" && s.format != "email" && s.format != "uri")
      r.error_at(f, fmt::format("{}.format: '{}' is not a format (date-time, date, email, uri)",
                                where, s.format));
  }
  if (auto q = n["required"]) {
    auto v = r.scalar(q, where + ".required");
    if (v && *v != "true" && *v != "false")
      r.error_at(q, where + ".required must be true or false");
    s.required = v && *v == "true";
  }
  if (auto e = n["enum"]) {
    if (!e.IsSequence())
      r.error_at(e, where + ".enum must be a list");
    else
      for (const auto& x : e) {
        if (x.IsScalar() || x.IsNull())
          s.enum_values.push_back(enum_of(x));
        else
          r.error_at(x, where + ".enum: values must be strings, numbers, booleans or null");
      }
  }
  if (auto p = n["pattern"]) {
    if (auto text = r.scalar(p, where + ".pattern")) {
      try {
        s.pattern.emplace(*text, std::regex::ECMAScript | std::regex::optimize);
        s.pattern_text = *text;
      } catch (const std::regex_error& ex) {
        r.error_at(p, fmt::format("{}.pattern: invalid regular expression '{}': {}", where, *text,
                                  ex.what()));
      }
    }
  }
  if (auto v = n["minimum"]) s.minimum = number(r, v, where + ".minimum");
  if (auto v = n["maximum"]) s.maximum = number(r, v, where + ".maximum");
  if (auto v = n["min_length"]) {
    if (auto i = r.integer(v, where + ".min_length", 0, 1 << 30)) s.min_length = *i;
  }
  if (auto v = n["max_length"]) {
    if (auto i = r.integer(v, where + ".max_length", 0, 1 << 30)) s.max_length = *i;
  }
  if (auto p = n["properties"]) read_properties(r, p, where + ".properties", s);
  if (auto i = n["items"]) s.items = std::make_shared<schema>(read_schema(r, i, where + ".items"));
  return s;
}

// `identify: {traits: {...}}` and `group: {traits: {...}}`.
std::optional<schema> read_traits_section(yaml_reader& r, const YAML::Node& n,
                                          const std::string& where) {
  if (!r.check_map(n, where, {"traits"})) return std::nullopt;
  schema s;
  if (auto t = n["traits"]) read_properties(r, t, where + ".traits", s);
  return s;
}

template <class Enum>
void read_mode(yaml_reader& r, const YAML::Node& n, const std::string& what,
               std::initializer_list<std::pair<const char*, Enum>> options, Enum& out) {
  auto v = r.scalar(n, what);
  if (!v) return;
  std::string list;
  for (const auto& [name, value] : options) {
    if (*v == name) {
      out = value;
      return;
    }
    list += (list.empty() ? "" : ", ") + std::string(name);
  }
  r.error_at(n, fmt::format("{}: '{}' must be one of: {}", what, *v, list));
}

}  // namespace

std::shared_ptr<const protocols::plan> read_tracking_plan(yaml_reader& r, const YAML::Node& n) {
  using namespace protocols;
  auto p = std::make_shared<plan>();
  if (!r.check_map(
          n, "tracking_plan",
          {"events", "identify", "group", "common", "unplanned_events", "unplanned_properties",
           "violations", "rename_events", "rename_properties", "forward_violations"}))
    return p;
  if (auto events = n["events"];
      events && !events.IsNull() && r.check_free_map(events, "tracking_plan.events")) {
    for (const auto& kv : events) {
      auto name = kv.first.as<std::string>("");
      std::string where = "tracking_plan.events." + name;
      schema s;
      s.has_properties = true;
      if (!kv.second.IsNull() && r.check_map(kv.second, where, {"properties", "description"}))
        if (auto props = kv.second["properties"])
          read_properties(r, props, where + ".properties", s);
      p->events.emplace(name, std::move(s));
    }
  }
  if (auto v = n["identify"])
    p->identify_traits = read_traits_section(r, v, "tracking_plan.identify");
  if (auto v = n["group"]) p->group_traits = read_traits_section(r, v, "tracking_plan.group");
  if (auto v = n["common"]) {
    schema s;
    if (r.check_map(v, "tracking_plan.common", {"properties"}))
      if (auto props = v["properties"])
        read_properties(r, props, "tracking_plan.common.properties", s);
    p->common = std::move(s);
  }
  if (auto v = n["unplanned_events"])
    read_mode<unplanned_events_mode>(
        r, v, "tracking_plan.unplanned_events",
        {{"allow", unplanned_events_mode::allow}, {"block", unplanned_events_mode::block}},
        p->unplanned_events);
  if (auto v = n["unplanned_properties"])
    read_mode<unplanned_properties_mode>(
        r, v, "tracking_plan.unplanned_properties",
        {{"allow", unplanned_properties_mode::allow}, {"omit", unplanned_properties_mode::omit}},
        p->unplanned_properties);
  if (auto v = n["violations"])
    read_mode<violations_mode>(r, v, "tracking_plan.violations",
                               {{"flag", violations_mode::flag},
                                {"omit", violations_mode::omit},
                                {"block", violations_mode::block}},
                               p->violations);
  if (auto v = n["rename_events"]; v && r.check_free_map(v, "tracking_plan.rename_events")) {
    for (const auto& kv : v) {
      auto to = r.scalar(kv.second, "tracking_plan.rename_events");
      if (to) p->rename_events[kv.first.as<std::string>("")] = *to;
    }
  }
  if (auto v = n["rename_properties"];
      v && r.check_free_map(v, "tracking_plan.rename_properties")) {
    for (const auto& ev : v) {
      std::string where = "tracking_plan.rename_properties." + ev.first.as<std::string>("");
      if (!r.check_free_map(ev.second, where)) continue;
      auto& m = p->rename_properties[ev.first.as<std::string>("")];
      for (const auto& kv : ev.second)
        if (auto to = r.scalar(kv.second, where)) m[kv.first.as<std::string>("")] = *to;
    }
  }
  if (auto v = n["forward_violations"]) {
    auto b = r.scalar(v, "tracking_plan.forward_violations");
    if (b && *b != "true" && *b != "false")
      r.error_at(v, "tracking_plan.forward_violations must be true or false");
    p->forward_violations = b && *b == "true";
  }
  return p;
}

}  // namespace tributary::config
