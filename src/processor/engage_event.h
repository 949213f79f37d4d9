#pragma once
//! The JSON text of a synthesized Engage event (Audience Entered/Exited, Trait Computed and the
//! identify that goes with them), written directly rather than built as a tree and dumped.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/profile/profile.h"

namespace tributary::processor {

struct engage_fields {
  std::string_view type;   //!< "track" or "identify"
  std::string_view event;  //!< the track's event name (unused for identify)
  std::string_view message_id;
  std::string_view now;  //!< ISO 8601: timestamp and receivedAt
  std::string_view computation_class, computation_id, computation_key;
  std::string_view space;  //!< namespace and space_id are "spa_" + space
  bool backfill = false;
  //! The track's properties or the identify's traits: key and JSON text of the value.
  std::vector<std::pair<std::string, std::string>> body;
};

//! The event for profile `p`: its first user id and anonymous id, and its `email` trait (in
//! `context.traits` for a track, in `traits` for an identify). Keys are in sorted order, a key
//! given twice keeps its last value, the text is what nlohmann::json's dump() would print.
std::string engage_json(const profile::profile& p, const engage_fields& f);

}  // namespace tributary::processor
