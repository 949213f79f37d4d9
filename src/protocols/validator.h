#pragma once
//! Checks one message against a tracking plan and says what to change, omit, record or block.
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "tributary/protocols/plan.h"

namespace tributary::protocols {

struct violation {
  std::string
      type;  //!< Required, Type, Enum, Pattern, Format, Minimum, Maximum, MinLength, MaxLength
  std::string field;        //!< e.g. properties.project_id
  std::string description;  //!< e.g. "properties.project_id is required"
};

//! The outcome for one message. Paths are dotted from the message root ("properties.x").
struct verdict {
  bool blocked = false;
  std::string block_reason;  //!< "unplanned_event" or "violations"
  std::string event_name;    //!< the event name after renaming ("" if not a track)
  bool renamed = false;      //!< event_name differs from what was sent
  std::vector<violation> violations;
  std::vector<std::string> omitted;  //!< unplanned fields removed
  std::vector<std::string> omitted_on_violation;
  //! old → new top-level names inside `properties` (track only)
  const std::unordered_map<std::string, std::string>* property_renames = nullptr;

  bool changes_payload() const {
    return renamed || property_renames || !omitted.empty() || !omitted_on_violation.empty();
  }
  bool touched() const { return changes_payload() || !violations.empty(); }
  bool is_omitted(std::string_view path) const;
};

//! `type` is "track", "identify", "group", "page", "screen" or "alias".
verdict check(const plan& p, std::string_view type, simdjson::dom::object msg);

}  // namespace tributary::protocols
