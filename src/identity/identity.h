#pragma once
//! Identity resolution: which external ids an event carries, and which profile they resolve to.
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tributary/config/config.h"

namespace tributary::identity {

//! One identifier of a person: `user_id:42`, `email:a@b.c`, `anonymous_id:...`, `ios.id:...`.
struct external_id {
  std::string type;
  std::string value;
  std::string encoding = "none";
  std::string key() const { return type + ":" + value; }
  bool operator==(const external_id& o) const { return type == o.type && value == o.value; }
};

//! The ids of an event, blocked values removed, duplicates removed, highest priority first.
//! `alias` contributes `previousId` under the type it is already known as (see `known`),
//! else as an anonymous_id.
std::vector<external_id> extract(const nlohmann::json& event, const config::identity_config& cfg,
                                 const std::function<bool(const std::string& key)>& known);

//! Lower is higher priority: the configured order, then the other types alphabetically.
int priority_rank(const config::identity_config& cfg, const std::string& type);

//! What to do with an event's ids.
struct resolution {
  std::vector<std::string> profiles;  //!< existing profiles to merge (empty: create one)
  std::vector<external_id> ids;       //!< ids to attach (after dropping)
  std::vector<external_id> dropped;   //!< ids dropped to respect the limits
};

//! Segment's algorithm: find the profiles the ids belong to; if joining them and the ids would
//! exceed a per-type limit, drop the event's lowest-priority id and try again.
//! `find` maps an id key to its (current, forwarded) profile; `ids_of` lists a profile's ids.
resolution resolve(
    std::vector<external_id> ids, const config::identity_config& cfg,
    const std::function<std::optional<std::string>(const std::string& key)>& find,
    const std::function<std::vector<external_id>(const std::string& profile)>& ids_of);

}  // namespace tributary::identity
