#pragma once
//! A person's merged profile: identities, traits with their timestamps, groups, metadata.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/profile/trait_state.h"

namespace tributary::profile {

//! A trait's value with the event time that set it (the latest time wins) and its source.
struct trait_value {
  nlohmann::json value;
  millis ts = 0;
  std::string source;
};

//! One identifier attached to the profile.
struct id_entry {
  std::string type;
  std::string value;
  std::string encoding = "none";
  std::string source;
  millis created_at = 0;
  std::string first_message_id;
};

struct group_membership {
  std::map<std::string, trait_value> traits;
  millis ts = 0;  //!< last group call
};

//! Stored with encode() in the `profiles` column family. A merged-away profile keeps only
//! `id` and `merged_into`, so its old id still resolves.
struct profile {
  std::string id;
  millis created_at = 0;
  millis updated_at = 0;
  std::vector<id_entry> ids;
  std::map<std::string, trait_value> traits;
  std::map<std::string, group_membership> groups;
  std::string first_message_id, first_source_id, last_message_id, last_source_id;
  std::string merged_into;
  std::vector<std::string> merged_from;
  //! Computed traits: their current values (ts = when the value last changed) and the state
  //! they are computed from, by trait key.
  std::map<std::string, trait_value> computed;
  std::map<std::string, trait_state> trait_states;
  millis timer_due = 0;  //!< the pending re-evaluation timer, 0 = none
  //! Audiences the profile is in: value true, ts = when it entered.
  std::map<std::string, trait_value> audiences;

  //! Sets a trait unless a newer value is already there (ties: the later event wins).
  bool set_trait(const std::string& key, const nlohmann::json& value, millis ts,
                 const std::string& source);
  bool has_id(const std::string& type, const std::string& value) const;
  //! Folds `other` into this profile: ids, traits by timestamp, groups, metadata.
  void absorb(const profile& other);
};

//! The JSON form, for dumps and the admin API.
nlohmann::json to_json(const profile& p);
profile from_json(const nlohmann::json& j);
//! The stored form (codec.cpp): compact binary. decode() also reads records stored as JSON;
//! nullopt when the bytes are not a valid record.
std::string encode(const profile& p);
//! The same into `out` (cleared first): a buffer reused across calls keeps its capacity.
void encode(const profile& p, std::string& out);
std::optional<profile> decode(std::string_view data);

}  // namespace tributary::profile
