#pragma once
//! JavaScript value semantics over ordered_json, as Segment's mapping-kit relies on them:
//! truthiness, `String(v)`, property access, `Object.keys`, object spread and `Object.assign`.
//! A discarded ordered_json stands for `undefined`. Internal to tributary_transform.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/transform/js_json.h"

namespace tributary::transform::js {

inline ordered_json undefined() {
  return ordered_json(ordered_json::value_t::discarded);
}
inline bool is_undefined(const ordered_json& v) {
  return v.is_discarded();
}
inline bool is_nullish(const ordered_json& v) {
  return v.is_discarded() || v.is_null();
}

//! JS truthiness: false for undefined, null, false, 0, NaN and "".
bool truthy(const ordered_json& v);

//! Segment's realTypeOf: "undefined", "null", "boolean", "number", "string", "array", "object".
std::string type_of(const ordered_json& v);

//! "a" or "an" before a type name, as Segment's messages write it.
std::string_view article(std::string_view type);

//! `String(v)`: numbers as JS prints them, arrays joined with "," (null and undefined elements
//! empty), objects "[object Object]".
std::string to_string(const ordered_json& v);

//! `v == ''` with JS loose equality.
bool loosely_equals_empty_string(const ordered_json& v);

//! `v[key]` for own data: object members, array elements and `length`, string characters (one
//! UTF-16 unit) and `length`. Anything else (including prototype methods) is undefined.
ordered_json property(const ordered_json& v, const std::string& key);

//! `Object.keys(v)`; nullopt where JS throws (null, undefined).
std::optional<std::vector<std::string>> own_keys(const ordered_json& v);

//! `Object.assign(target, source)` for one source: copies own enumerable members (array and
//! string indexes too), undefined values included.
void assign(ordered_json& target, const ordered_json& source);

//! `{...v}`.
inline ordered_json spread(const ordered_json& v) {
  ordered_json out = ordered_json::object();
  assign(out, v);
  return out;
}

//! Segment's `get(obj, path)`: "" or "." is obj itself; otherwise the runs of characters other
//! than `[`, `.` and `]` are keys, followed while each step is truthy (`prev && prev[key]`, so a
//! falsy value part way, like 0 or "", is the result). nullopt when the path has no key at all
//! (Segment throws there).
std::optional<ordered_json> get(const ordered_json& obj, std::string_view path);

//! Segment's `@template` renderer: `{{{ key }}}` then `{{ key }}` placeholders (key: one or more
//! characters other than `}`, trimmed) replaced by `String(get(data, key) ?? '')`, no escaping.
std::string render_template(std::string_view tpl, const ordered_json& data);

//! `value.replace(new RegExp(escaped(pattern), flags), replacement)` for a literal pattern:
//! first or every (`global`) match, `ignore_case` with JS's non-unicode folding, and the `$$`,
//! `$&`, `` $` `` and `$'` patterns of the replacement string.
std::string replace_literal(std::string_view value, std::string_view pattern,
                            std::string_view replacement, bool global, bool ignore_case);

}  // namespace tributary::transform::js
