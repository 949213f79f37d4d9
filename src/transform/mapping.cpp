// Mapping-kit resolution: Segment's transform() and its directives (see mapping.h).
#include "tributary/transform/mapping.h"

#include <string_view>
#include <utility>

#include "transform/js_value.h"
#include "transform/mapping_internal.h"
#include "transform/utf.h"

namespace tributary::transform {
namespace {

using js::undefined;

constexpr std::string_view kRootKey = "__segment_internal_directive";
constexpr std::size_t kMaxPattern = 10;
constexpr std::size_t kMaxReplacement = 10;

ordered_json resolve(const ordered_json& m, const ordered_json& payload);
ordered_json transform_inner(const ordered_json& mapping, const ordered_json& data);

//! `opts.name` in JS: the member, or undefined.
ordered_json member(const ordered_json& opts, const char* name) {
  auto it = opts.find(name);
  return it == opts.end() ? undefined() : *it;
}

//! `path.replace('$.', '')`: the first occurrence, wherever it is.
std::string strip_root(std::string p) {
  if (auto at = p.find("$."); at != std::string::npos) p.erase(at, 2);
  return p;
}

ordered_json get_or_throw(const ordered_json& payload, const std::string& path) {
  auto v = js::get(payload, path);
  if (!v) throw mapping_error("path \"" + path + "\" has no keys");
  return *std::move(v);
}

//! A directive whose option resolves to a string first (`@path`, `@template`).
std::string resolve_string(const char* name, const ordered_json& opts,
                           const ordered_json& payload) {
  ordered_json s = resolve(opts, payload);
  if (!s.is_string())
    throw mapping_error(std::string(name) + ": expected string, got " + js::type_of(s));
  return s.get<std::string>();
}

ordered_json do_if(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object()) throw mapping_error("@if requires an object with an \"exists\" key");
  const ordered_json exists = member(opts, "exists");
  const ordered_json blank = member(opts, "blank");
  bool condition = false;
  if (!js::truthy(exists) && !js::truthy(blank)) {
    throw mapping_error("@if requires an \"exists\" key or a \"blank\" key");
  } else if (!js::is_undefined(exists)) {
    condition = !js::is_nullish(resolve(exists, payload));
  } else {
    const ordered_json v = resolve(blank, payload);
    condition = !js::is_nullish(v) && !js::loosely_equals_empty_string(v);
  }
  const ordered_json then = member(opts, "then");
  const ordered_json otherwise = member(opts, "else");
  if (condition && !js::is_undefined(then)) return resolve(then, payload);
  if (!condition && js::truthy(otherwise)) return resolve(otherwise, payload);
  return undefined();
}

ordered_json do_case(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object()) throw mapping_error("@case requires an object with a \"operator\" key");
  const ordered_json op = member(opts, "operator");
  if (!js::truthy(op)) throw mapping_error("@case requires a \"operator\" key");
  const ordered_json value = member(opts, "value");
  if (!js::truthy(value)) return undefined();
  ordered_json v = resolve(value, payload);
  if (!v.is_string()) return v;
  if (op == "lower") return utf::to_lower(v.get<std::string>());
  if (op == "upper") return utf::to_upper(v.get<std::string>());
  throw mapping_error("operator key should have a value of \"lower\" or \"upper\"");
}

std::string replace_once(const std::string& value, const std::string& pattern,
                         const std::string& replacement, bool global, bool ignore_case) {
  if (utf::js_length(pattern) > kMaxPattern)
    throw mapping_error("@replace requires a \"pattern\" less than 10 characters");
  if (utf::js_length(replacement) > kMaxReplacement)
    throw mapping_error("@replace requires a \"replacement\" less than 10 characters");
  return js::replace_literal(value, pattern, replacement, global, ignore_case);
}

ordered_json do_replace(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object()) throw mapping_error("@replace requires an object with a \"pattern\" key");
  const ordered_json pattern = member(opts, "pattern");
  if (!js::truthy(pattern)) throw mapping_error("@replace requires a \"pattern\" key");
  ordered_json replacement = member(opts, "replacement");
  if (js::is_nullish(replacement)) replacement = "";
  const ordered_json pattern2 = member(opts, "pattern2");
  ordered_json replacement2 = member(opts, "replacement2");
  if (js::truthy(pattern2) && js::is_nullish(replacement2)) replacement2 = "";
  ordered_json ignorecase = member(opts, "ignorecase");
  if (js::is_nullish(ignorecase)) ignorecase = false;
  ordered_json global = member(opts, "global");
  if (js::is_nullish(global)) global = true;

  const ordered_json value_opt = member(opts, "value");
  if (!js::truthy(value_opt)) return undefined();
  ordered_json value = resolve(value_opt, payload);
  if (value.is_boolean() || value.is_number()) value = js::to_string(value);
  if (!value.is_string() || !pattern.is_string() || !replacement.is_string() ||
      !ignorecase.is_boolean() || !global.is_boolean()) {
    return "";
  }
  const bool g = global.get<bool>(), i = ignorecase.get<bool>();
  std::string out = replace_once(value.get<std::string>(), pattern.get<std::string>(),
                                 replacement.get<std::string>(), g, i);
  if (js::truthy(pattern2) && pattern2.is_string() && replacement2.is_string())
    out = replace_once(out, pattern2.get<std::string>(), replacement2.get<std::string>(), g, i);
  return out;
}

ordered_json do_array_path(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_array()) throw mapping_error("@arrayPath expected array, got " + js::type_of(opts));
  const ordered_json path = opts.empty() ? undefined() : opts[0];
  const ordered_json shape = opts.size() > 1 ? opts[1] : undefined();
  const ordered_json root = path.is_string()
                                ? get_or_throw(payload, strip_root(path.get<std::string>()))
                                : resolve(path, payload);
  if ((root.is_object() || root.is_array()) && shape.is_object() && !shape.empty()) {
    ordered_json out = ordered_json::array();
    if (root.is_array()) {
      for (const auto& item : root) out.push_back(resolve(shape, item));
    } else {
      out.push_back(resolve(shape, root));
    }
    return out;
  }
  return root;
}

ordered_json flatten(const ordered_json& input, const std::string& prefix, const std::string& sep,
                     bool keep_arrays) {
  if (input.is_object() || (!keep_arrays && input.is_array())) {
    ordered_json acc = ordered_json::object();
    for (const auto& kv : input.items()) {
      const std::string key = prefix.empty() ? kv.key() : prefix + sep + kv.key();
      js::assign(acc, flatten(kv.value(), key, sep, keep_arrays));
    }
    return acc;
  }
  ordered_json leaf = ordered_json::object();
  leaf[prefix] = input;
  return leaf;
}

ordered_json do_flatten(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object())
    throw mapping_error("@flatten requires an object with a \"separator\" key");
  const ordered_json separator_opt = member(opts, "separator");
  if (!js::truthy(separator_opt)) throw mapping_error("@flatten requires a \"separator\" key");
  const ordered_json separator = resolve(separator_opt, payload);
  if (!separator.is_string()) throw mapping_error("@flatten requires a string separator");
  const ordered_json value = resolve(member(opts, "value"), payload);
  return flatten(value, "", separator.get<std::string>(), js::truthy(member(opts, "omitArrays")));
}

ordered_json do_json(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object()) throw mapping_error("@json requires an object with a \"value\" key");
  const ordered_json mode = member(opts, "mode");
  if (!js::truthy(mode)) throw mapping_error("@json requires a \"mode\" key");
  const ordered_json value_opt = member(opts, "value");
  if (!js::truthy(value_opt)) throw mapping_error("@json requires a \"value\" key");
  ordered_json value = resolve(value_opt, payload);
  if (mode == "encode") {
    if (js::is_undefined(value)) return undefined();  // JSON.stringify(undefined)
    return stringify(value);
  }
  if (mode == "decode") {
    if (!value.is_string()) return value;
    if (auto parsed = try_parse(value.get<std::string>())) return *std::move(parsed);
    return value;  // not JSON: the string as it was
  }
  return undefined();
}

ordered_json do_merge(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object())
    throw mapping_error(
        "@merge requires an object with an \"objects\" key and a \"direction\" key");
  const ordered_json direction_opt = member(opts, "direction");
  if (!js::truthy(direction_opt)) throw mapping_error("@merge requires a \"direction\" key");
  const ordered_json direction = resolve(direction_opt, payload);
  const ordered_json objects = member(opts, "objects");
  if (!js::truthy(objects)) throw mapping_error("@merge requires a \"objects\" key");
  if (!objects.is_array()) throw mapping_error("@merge: expected an array of objects");
  std::vector<ordered_json> resolved;
  for (const auto& o : objects) resolved.push_back(resolve(o, payload));
  if (direction == "left") std::reverse(resolved.begin(), resolved.end());
  ordered_json out = ordered_json::object();
  for (const auto& o : resolved) js::assign(out, o);
  return out;
}

ordered_json do_transform(const ordered_json& opts, const ordered_json& payload) {
  if (!opts.is_object())
    throw mapping_error(
        "@transform requires an object with an \"apply\" key and a \"mapping\" key");
  const ordered_json mapping = member(opts, "mapping");
  if (!js::truthy(mapping)) throw mapping_error("@transform requires a \"mapping\" key");
  const ordered_json apply = member(opts, "apply");
  if (!js::truthy(apply)) throw mapping_error("@transform requires a \"apply\" key");
  if (!apply.is_object()) throw mapping_error("@transform \"apply\" key should be an object");
  return resolve(mapping, transform_inner(apply, payload));
}

//! Drops null members of objects at every depth (array elements stay).
ordered_json without_nulls(const ordered_json& v) {
  if (v.is_object()) {
    ordered_json out = ordered_json::object();
    for (const auto& kv : v.items())
      if (!kv.value().is_null()) out[kv.key()] = without_nulls(kv.value());
    return out;
  }
  if (v.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& e : v) out.push_back(without_nulls(e));
    return out;
  }
  return v;
}

ordered_json do_exclude_when_null(const ordered_json& opts, const ordered_json& payload) {
  const ordered_json v = resolve(opts, payload);
  if (v.is_null()) return undefined();
  return without_nulls(v);
}

using directive_fn = ordered_json (*)(const ordered_json&, const ordered_json&);

ordered_json run_directive(const ordered_json& m, const ordered_json& payload) {
  static const std::pair<std::string_view, directive_fn> kDirectives[] = {
      {"@if", do_if},
      {"@case", do_case},
      {"@replace", do_replace},
      {"@arrayPath", do_array_path},
      {"@flatten", do_flatten},
      {"@json", do_json},
      {"@merge", do_merge},
      {"@transform", do_transform},
      {"@excludeWhenNull", do_exclude_when_null},
  };
  std::string name;
  for (const auto& kv : m.items()) {
    if (!kv.key().empty() && kv.key()[0] == '@') {
      name = kv.key();
      break;
    }
  }
  const ordered_json& opts = m[name];
  if (name == "@path")
    return get_or_throw(payload, strip_root(resolve_string("@path", opts, payload)));
  if (name == "@template")
    return js::render_template(resolve_string("@template", opts, payload), payload);
  if (name == "@literal") return resolve(opts, payload);
  for (const auto& [n, fn] : kDirectives)
    if (n == name) return fn(opts, payload);
  throw mapping_error(name + " is not a valid directive");
}

ordered_json resolve(const ordered_json& m, const ordered_json& payload) {
  if (!m.is_object() && !m.is_array()) return m;
  if (detail::is_directive(m)) return run_directive(m, payload);
  if (m.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& e : m) out.push_back(resolve(e, payload));
    return out;
  }
  ordered_json out = ordered_json::object();
  for (const auto& kv : m.items()) out[kv.key()] = resolve(kv.value(), payload);
  return out;
}

//! Segment's removeUndefined: undefined members leave objects; array elements stay as they are.
ordered_json remove_undefined(ordered_json v) {
  if (v.is_object()) {
    ordered_json out = ordered_json::object();
    for (auto& kv : v.items())
      if (!js::is_undefined(kv.value())) out[kv.key()] = remove_undefined(std::move(kv.value()));
    return out;
  }
  if (v.is_array()) {
    for (auto& e : v) e = remove_undefined(std::move(e));
  }
  return v;
}

//! What leaves the library: JSON has no undefined, so array elements that are become null.
void undefined_elements_to_null(ordered_json& v) {
  if (v.is_array()) {
    for (auto& e : v) {
      if (js::is_undefined(e)) {
        e = nullptr;
      } else {
        undefined_elements_to_null(e);
      }
    }
  } else if (v.is_object()) {
    for (auto& kv : v.items()) undefined_elements_to_null(kv.value());
  }
}

ordered_json transform_inner(const ordered_json& mapping, const ordered_json& data) {
  if (!data.is_object()) throw mapping_error("data must be an object, got " + js::type_of(data));
  const ordered_json prepared = detail::prepare(mapping);
  if (auto problems = detail::validate_prepared(prepared)) throw mapping_error(*problems);
  return remove_undefined(resolve(prepared, data));
}

}  // namespace

namespace detail {

bool is_directive(const ordered_json& m) {
  if (!m.is_object()) return false;
  bool has_directive = false;
  for (const auto& kv : m.items()) {
    if (!kv.key().empty() && kv.key()[0] == '@') {
      has_directive = true;
    } else if (kv.key() != "_metadata") {
      return false;
    }
  }
  return has_directive;
}

ordered_json prepare(const ordered_json& mapping) {
  if (js::is_nullish(mapping)) throw mapping_error("the mapping must not be null");
  if (!mapping.is_object() || !mapping.contains(kRootKey)) return js::spread(mapping);
  ordered_json customer = ordered_json::object();
  for (const auto& kv : mapping.items())
    if (kv.key() != kRootKey) customer[kv.key()] = kv.value();
  ordered_json root = mapping[std::string(kRootKey)];
  const auto keys = js::own_keys(root);
  if (!keys) throw mapping_error("the root mapping must be an object");
  if (keys->size() > 1)
    throw mapping_error("The root mapping must only have a single directive object");
  const ordered_json first = keys->empty() ? undefined() : js::property(root, keys->front());
  if (!first.is_object() && !first.is_array())
    throw mapping_error("The root directive must be an object");
  if (first.is_object()) {
    ordered_json& directive = root.is_array() ? root[0] : root[keys->front()];
    directive["mapping"] = std::move(customer);
  }
  return root;
}

}  // namespace detail

std::optional<std::string> validate(const ordered_json& mapping) {
  try {
    return detail::validate_prepared(detail::prepare(mapping));
  } catch (const mapping_error& e) {
    return std::string(e.what());
  }
}

ordered_json transform(const ordered_json& mapping, const ordered_json& data) {
  ordered_json out = transform_inner(mapping, data);
  undefined_elements_to_null(out);
  return out;
}

}  // namespace tributary::transform
