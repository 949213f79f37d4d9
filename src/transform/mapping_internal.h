#pragma once
//! Pieces of the mapping-kit port shared by mapping.cpp and mapping_validate.cpp.
#include <optional>
#include <string>

#include "tributary/transform/mapping.h"

namespace tributary::transform::detail {

//! Segment's `validate(mapping)` on an already prepared mapping: nullopt or the messages, one
//! per line.
std::optional<std::string> validate_prepared(const ordered_json& mapping);

//! Segment's getMappingToProcess: the top-level spread and `__segment_internal_directive`.
//! Throws mapping_error where Segment throws.
ordered_json prepare(const ordered_json& mapping);

//! True for an object with an `@` key and no keys other than `@` keys and `_metadata`.
bool is_directive(const ordered_json& m);

}  // namespace tributary::transform::detail
