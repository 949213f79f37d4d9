// Mapping validation: the shape checks Segment's validate.ts makes before resolving a mapping.
// Errors are collected where Segment aggregates them (every key of an object, every field of a
// directive) and stop the check where Segment throws.
#include <functional>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "transform/js_value.h"
#include "transform/mapping_internal.h"
#include "transform/utf.h"

namespace tributary::transform::detail {
namespace {

using errors = std::vector<std::string>;
using path = std::vector<std::string>;
using validator = std::function<errors(const ordered_json&, const path&)>;

constexpr std::size_t kMaxPattern = 10;
constexpr std::size_t kMaxReplacement = 10;

path operator+(path p, std::string key) {
  p.push_back(std::move(key));
  return p;
}

errors fail(const path& at, const std::string& text) {
  std::string m = "/";
  for (std::size_t i = 0; i < at.size(); ++i) {
    if (i) m += '/';
    m += at[i];
  }
  return {m + " " + text + "."};
}

std::string kind(const ordered_json& v) {
  if (v.is_object()) {
    for (const auto& kv : v.items())
      if (!kv.key().empty() && kv.key()[0] == '@') return "directive";
  }
  return js::type_of(v);
}

std::string a_kind(const ordered_json& v) {
  const std::string k = kind(v);
  return std::string(js::article(k)) + " " + k;
}

void append(errors& to, errors from) {
  for (auto& e : from) to.push_back(std::move(e));
}

errors check_any(const ordered_json& v, const path& at);
errors check_directive(const ordered_json& v, const path& at);

errors check_object(const ordered_json& v, const path& at) {
  if (kind(v) != "object") return fail(at, "should be an object but it is " + a_kind(v));
  errors all;
  for (const auto& kv : v.items()) append(all, check_any(kv.value(), at + kv.key()));
  return all;
}

errors check_array(const ordered_json& v, const path& at) {
  if (!v.is_array()) {
    const std::string t = js::type_of(v);
    return fail(at, "should be an array but it is " + std::string(js::article(t)) + " " + t);
  }
  return {};
}

errors check_directive_or_raw(const ordered_json& v, const path& at) {
  const std::string k = kind(v);
  if (k == "directive") return check_directive(v, at);
  if (k == "undefined")
    return fail(at, "should be a mapping directive or a JSON value but it is " + a_kind(v));
  return {};
}

errors check_directive_or_string(const ordered_json& v, const path& at) {
  const std::string k = kind(v);
  if (k == "directive") return check_directive(v, at);
  if (k == "string") return {};
  return fail(at, "should be a string or a mapping directive but it is " + a_kind(v));
}

errors check_string(const ordered_json& v, const path& at) {
  if (kind(v) != "string") return fail(at, "should be a string but it is " + a_kind(v));
  return {};
}

errors check_boolean(const ordered_json& v, const path& at) {
  if (kind(v) != "boolean") return fail(at, "should be a boolean but it is " + a_kind(v));
  return {};
}

validator string_length(std::size_t min, std::size_t max) {
  return [min, max](const ordered_json& v, const path& at) -> errors {
    if (auto e = check_string(v, at); !e.empty()) return e;
    const std::size_t n = utf::js_length(v.get<std::string>());
    if (n < min)
      return fail(at, "should be a string of length " + std::to_string(min) + " or greater");
    if (n > max)
      return fail(at, "should be a string of length " + std::to_string(max) + " or less");
    return {};
  };
}

validator one_of(std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> list(allowed.begin(), allowed.end());
  return [list](const ordered_json& v, const path& at) -> errors {
    if (auto e = check_string(v, at); !e.empty()) return e;
    const std::string lower = utf::to_lower(v.get<std::string>());
    std::string names;
    for (const auto& a : list) {
      if (a == lower) return {};
      names += names.empty() ? a : ", " + a;
    }
    return fail(at, "should be one of " + names + " but it is " + stringify(v));
  };
}

struct field {
  const char* name;
  bool required;
  validator check;
};

//! An options object of a directive: each key validated as a mapping, then each known field.
errors check_fields(const ordered_json& v, std::initializer_list<field> fields, const path& at) {
  if (auto e = check_object(v, at); !e.empty()) return e;
  errors all;
  for (const auto& f : fields) {
    auto it = v.find(f.name);
    if (it == v.end()) {
      if (f.required)
        append(all, fail(at, std::string("should have field \"") + f.name + "\" but it doesn't"));
      continue;
    }
    append(all, f.check(*it, at + f.name));
  }
  return all;
}

errors check_merge_objects(const ordered_json& v, const path& at) {
  if (auto e = check_array(v, at); !e.empty()) return e;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string k = kind(v[i]);
    const path item = at + std::to_string(i);
    if (k == "directive") {
      if (auto e = check_directive(v[i], item); !e.empty()) return e;
    } else if (k == "object") {
      if (auto e = check_object(v[i], item); !e.empty()) return e;
    } else {
      return fail(item, "should be an object or a mapping directive but it is " + a_kind(v[i]));
    }
  }
  return {};
}

//! The options of one directive; `at` already ends with the directive's name.
errors check_options(std::string_view name, const ordered_json& v, const path& at) {
  if (name == "@if") {
    return check_fields(v,
                        {{"exists", false, check_directive_or_raw},
                         {"blank", false, check_directive_or_raw},
                         {"then", false, check_directive_or_raw},
                         {"else", false, check_directive_or_raw}},
                        at);
  }
  if (name == "@case") {
    return check_fields(
        v, {{"operator", false, check_string}, {"value", false, check_directive_or_string}}, at);
  }
  if (name == "@replace") {
    return check_fields(v,
                        {{"pattern", true, string_length(1, kMaxPattern)},
                         {"replacement", false, string_length(0, kMaxReplacement)},
                         {"value", true, check_directive_or_string},
                         {"ignorecase", false, check_boolean},
                         {"global", false, check_boolean}},
                        at);
  }
  if (name == "@arrayPath") {
    if (auto e = check_array(v, at); !e.empty()) return e;
    const ordered_json first = v.empty() ? js::undefined() : v[0];
    if (auto e = check_directive_or_string(first, at); !e.empty()) return e;
    return v.size() > 1 ? check_any(v[1], at) : errors{};
  }
  if (name == "@path" || name == "@template") return check_directive_or_string(v, at);
  if (name == "@literal" || name == "@excludeWhenNull") return check_directive_or_raw(v, at);
  if (name == "@json") {
    return check_fields(
        v, {{"value", true, check_directive_or_raw}, {"mode", true, one_of({"encode", "decode"})}},
        at);
  }
  if (name == "@merge") {
    return check_fields(
        v, {{"objects", true, check_merge_objects}, {"direction", true, one_of({"left", "right"})}},
        at);
  }
  if (name == "@flatten") {
    return check_fields(v,
                        {{"value", true, check_directive_or_raw},
                         {"separator", true, check_directive_or_string},
                         {"omitArrays", false, check_boolean}},
                        at);
  }
  if (name == "@transform") {
    return check_fields(v, {{"apply", true, check_object}, {"mapping", true, check_any}}, at);
  }
  const path parent(at.begin(), at.end() - 1);
  if (name == "@liquid") return fail(parent, "uses @liquid, which is not supported");
  return fail(parent, "has an invalid directive: " + std::string(name));
}

errors check_directive(const ordered_json& v, const path& at) {
  std::vector<std::string> directive_keys;
  std::size_t other = 0;
  for (const auto& kv : v.items()) {
    if (!kv.key().empty() && kv.key()[0] == '@') {
      directive_keys.push_back(kv.key());
    } else if (kv.key() != "_metadata") {
      ++other;
    }
  }
  if (directive_keys.size() > 1) {
    return fail(at, "should only have one @-prefixed key but it has " +
                        std::to_string(directive_keys.size()) + " keys");
  }
  if (other > 0) {
    return fail(
        at, "should only have one @-prefixed key but it has " + std::to_string(v.size()) + " keys");
  }
  const std::string& name = directive_keys.front();
  return check_options(name, v[name], at + name);
}

errors check_any(const ordered_json& v, const path& at) {
  const std::string k = kind(v);
  if (k == "directive") return check_directive(v, at);
  if (k == "object") return check_object(v, at);
  return {};  // arrays are not looked into, other values are raw
}

}  // namespace

std::optional<std::string> validate_prepared(const ordered_json& mapping) {
  const errors all = check_any(mapping, {});
  if (all.empty()) return std::nullopt;
  std::string joined;
  for (const auto& e : all) {
    if (!joined.empty()) joined += '\n';
    joined += e;
  }
  return joined;
}

}  // namespace tributary::transform::detail
