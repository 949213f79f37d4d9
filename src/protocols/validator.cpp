#include "protocols/validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tributary/common/time.h"

namespace tributary::protocols {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::uint16_t kind_of(element e) {
  switch (e.type()) {
    case element_type::STRING:
      return t_string;
    case element_type::INT64:
    case element_type::UINT64:
      return t_number | t_integer;
    case element_type::DOUBLE: {
      double d = e.get_double().value_unsafe();
      return std::floor(d) == d && std::isfinite(d) ? (t_number | t_integer) : t_number;
    }
    case element_type::BOOL:
      return t_boolean;
    case element_type::OBJECT:
      return t_object;
    case element_type::ARRAY:
      return t_array;
    case element_type::NULL_VALUE:
      return t_null;
  }
  return 0;
}

std::string type_names(std::uint16_t types) {
  static const std::pair<std::uint16_t, const char*> kNames[] = {
      {t_string, "string"}, {t_number, "number"}, {t_integer, "integer"}, {t_boolean, "boolean"},
      {t_object, "object"}, {t_array, "array"},   {t_null, "null"}};
  std::string out;
  for (auto [bit, name] : kNames)
    if (types & bit) out += (out.empty() ? "" : " or ") + std::string(name);
  return out;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

bool format_ok(const std::string& format, std::string_view s) {
  if (format == "date-time")
    return s.size() > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') &&
           parse_iso8601(s).has_value();
  if (format == "date") return s.size() == 10 && parse_iso8601(s).has_value();
  if (format == "email") {
    auto at = s.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
           s.find('@', at + 1) == std::string_view::npos;
  }
  if (format == "uri")
    return s.find("://") != std::string_view::npos || s.substr(0, 7) == "mailto:";
  return true;
}

double number_of(element e) {
  if (e.type() == element_type::INT64) return static_cast<double>(e.get_int64().value_unsafe());
  if (e.type() == element_type::UINT64) return static_cast<double>(e.get_uint64().value_unsafe());
  return e.get_double().value_unsafe();
}

bool in_enum(const std::vector<enum_value>& values, element e, std::uint16_t kind) {
  using k = enum_value::kind;
  for (const auto& v : values) {
    if (v.k == k::string && kind == t_string && e.get_string().value_unsafe() == v.s) return true;
    if (v.k == k::number && (kind & t_number) && number_of(e) == v.d) return true;
    if (v.k == k::boolean && kind == t_boolean && e.get_bool().value_unsafe() == v.b) return true;
    if (v.k == k::null && kind == t_null) return true;
  }
  return false;
}

struct checker {
  const plan& p;
  verdict& v;

  void add(const char* type, const std::string& field, std::string description) {
    v.violations.push_back({type, field, std::move(description)});
  }

  // Validates `value` at `path`; returns true when it conforms.
  bool value(const schema& s, element e, const std::string& path, bool unplanned_check) {
    std::size_t before = v.violations.size();
    std::uint16_t kind = kind_of(e);
    if (!(s.types & kind)) {
      add("Type", path, fmt::format("{} must be {}", path, type_names(s.types)));
      return false;
    }
    if (!s.enum_values.empty() && !in_enum(s.enum_values, e, kind))
      add("Enum", path, fmt::format("{} must be one of the allowed values", path));
    if (kind == t_string) {
      std::string_view str = e.get_string().value_unsafe();
      if (s.pattern && !std::regex_search(str.begin(), str.end(), *s.pattern))
        add("Pattern", path, fmt::format("{} must match {}", path, s.pattern_text));
      if (!s.format.empty() && !format_ok(s.format, str))
        add("Format", path, fmt::format("{} must be a {}", path, s.format));
      std::size_t len = (s.min_length || s.max_length) ? utf8_length(str) : 0;
      if (s.min_length && len < *s.min_length)
        add("MinLength", path,
            fmt::format("{} must be at least {} characters", path, *s.min_length));
      if (s.max_length && len > *s.max_length)
        add("MaxLength", path,
            fmt::format("{} must be at most {} characters", path, *s.max_length));
    }
    if (kind & t_number) {
      double d = number_of(e);
      if (s.minimum && d < *s.minimum)
        add("Minimum", path, fmt::format("{} must be at least {}", path, *s.minimum));
      if (s.maximum && d > *s.maximum)
        add("Maximum", path, fmt::format("{} must be at most {}", path, *s.maximum));
    }
    if (kind == t_object && s.has_properties)
      object(s, e.get_object().value_unsafe(), path, unplanned_check, nullptr);
    if (kind == t_array && s.items) {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      std::size_t i = 0;
      for (auto item : arr) value(*s.items, item, fmt::format("{}.{}", path, i++), unplanned_check);
    }
    return v.violations.size() == before;
  }

  // Validates the members of an object against `s.properties`.
  void object(const schema& s, simdjson::dom::object obj, const std::string& path,
              bool unplanned_check, const std::unordered_map<std::string, std::string>* renames) {
    auto renamed = [&](std::string_view key) -> std::string_view {
      if (renames)
        if (auto it = renames->find(std::string(key)); it != renames->end()) return it->second;
      return key;
    };
    for (const auto& [name, child] : s.properties) {
      bool present = false;
      for (auto f : obj)
        if (renamed(f.key) == name) present = true;
      if (!present && child.required)
        add("Required", path + "." + name, fmt::format("{}.{} is required", path, name));
    }
    for (auto f : obj) {
      std::string_view key = renamed(f.key);
      std::string child_path = path + "." + std::string(key);
      auto it = s.properties.find(std::string(key));
      if (it == s.properties.end()) {
        if (unplanned_check && p.unplanned_properties == unplanned_properties_mode::omit)
          v.omitted.push_back(child_path);
        continue;
      }
      if (!value(it->second, f.value, child_path, unplanned_check) &&
          p.violations == violations_mode::omit)
        v.omitted_on_violation.push_back(child_path);
    }
  }

  void section(const schema& s, simdjson::dom::object msg, const char* field,
               const std::unordered_map<std::string, std::string>* renames) {
    element e;
    if (msg[field].get(e) != simdjson::SUCCESS || e.is_null()) {
      if (!s.properties.empty()) {
        for (const auto& [name, child] : s.properties)
          if (child.required)
            add("Required", std::string(field) + "." + name,
                fmt::format("{}.{} is required", field, name));
      }
      return;
    }
    if (!e.is_object()) return;  // normalization already rejects a non-object
    object(s, e.get_object().value_unsafe(), field, true, renames);
  }
};

}  // namespace

bool verdict::is_omitted(std::string_view path) const {
  for (const auto& o : omitted)
    if (o == path) return true;
  for (const auto& o : omitted_on_violation)
    if (o == path) return true;
  return false;
}

verdict check(const plan& p, std::string_view type, simdjson::dom::object msg) {
  verdict v;
  checker c{p, v};
  if (type == "track") {
    std::string_view sent;
    if (msg["event"].get_string().get(sent) != simdjson::SUCCESS) sent = {};
    v.event_name = std::string(sent);
    if (auto it = p.rename_events.find(v.event_name); it != p.rename_events.end()) {
      v.event_name = it->second;
      v.renamed = true;
    }
    if (auto it = p.rename_properties.find(v.event_name); it != p.rename_properties.end()) {
      simdjson::dom::object props;
      if (msg["properties"].get_object().get(props) == simdjson::SUCCESS) {
        for (auto f : props) {
          auto r = it->second.find(std::string(f.key));
          if (r == it->second.end()) continue;
          v.property_renames = &it->second;
          break;
        }
      }
    }
    auto ev = p.events.find(v.event_name);
    if (ev == p.events.end()) {
      if (p.unplanned_events == unplanned_events_mode::block) {
        v.blocked = true;
        v.block_reason = "unplanned_event";
        return v;
      }
    } else {
      c.section(ev->second, msg, "properties", v.property_renames);
    }
  } else if (type == "identify" && p.identify_traits) {
    c.section(*p.identify_traits, msg, "traits", nullptr);
  } else if (type == "group" && p.group_traits) {
    c.section(*p.group_traits, msg, "traits", nullptr);
  }
  if (p.common) {
    for (const auto& [name, child] : p.common->properties) {
      element e;
      if (msg[name].get(e) != simdjson::SUCCESS) {
        if (child.required) c.add("Required", name, fmt::format("{} is required", name));
        continue;
      }
      if (!c.value(child, e, name, false) && p.violations == violations_mode::omit)
        v.omitted_on_violation.push_back(name);
    }
  }
  if (!v.violations.empty() && p.violations == violations_mode::block) {
    v.blocked = true;
    v.block_reason = "violations";
  }
  return v;
}

}  // namespace tributary::protocols
