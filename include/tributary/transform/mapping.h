#pragma once
//! Segment's mapping-kit (action-destinations `packages/core/src/mapping-kit`): a mapping is a
//! JSON value whose objects with one `@`-key are directives, resolved against an event.
//!
//! Directives: `@path`, `@template`, `@literal`, `@if` (exists / blank, then / else),
//! `@arrayPath`, `@case` (lower / upper), `@replace` (pattern, replacement, global, ignorecase,
//! pattern2, replacement2), `@json` (encode / decode), `@merge` (objects, direction),
//! `@flatten` (value, separator, omitArrays), `@transform` (apply, mapping),
//! `@excludeWhenNull`, and the root key `__segment_internal_directive`. `@liquid` is not
//! supported (validate() reports it as an invalid directive).
//!
//! Semantics follow Segment's implementation, JavaScript quirks included (see
//! src/transform/README.md): keys whose value resolves to undefined are dropped; paths are
//! dot/bracket keys (`$.a.b`, `a[0].b`, `$.` for the whole event), no wildcards or filters; a
//! top-level mapping that is an array or string becomes an object keyed by index, as Segment's
//! object spread does. Pure functions; any thread.
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace tributary::transform {

using ordered_json = nlohmann::ordered_json;

//! Thrown by transform() wherever Segment's transform throws: an invalid mapping, data that is
//! not an object, or a directive that fails at run time (e.g. `@path` resolving to a
//! non-string path, `@case` with an unknown operator, a `@replace` pattern over 10 characters).
class mapping_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! nullopt when transform() would accept the mapping's shape; otherwise every problem found, one
//! per line, each naming the key path as Segment does, e.g.
//! "/neat/@path should be a string or a mapping directive but it is an object.".
//! This is the check transform() runs before resolving, after the same top-level preparation
//! (so a `__segment_internal_directive` mapping validates as Segment runs it).
std::optional<std::string> validate(const ordered_json& mapping);

//! Resolves `mapping` against `data` (an event; must be an object). Throws mapping_error.
//! Keys that resolve to undefined are removed from objects; an undefined array element becomes
//! null (as JSON.stringify writes it). A top-level directive that resolves to undefined (e.g.
//! `{"@path": "$.missing"}`) returns a discarded value: test with is_undefined().
ordered_json transform(const ordered_json& mapping, const ordered_json& data);

//! True for the value transform() returns when the whole mapping resolved to undefined.
inline bool is_undefined(const ordered_json& v) {
  return v.is_discarded();
}

}  // namespace tributary::transform
