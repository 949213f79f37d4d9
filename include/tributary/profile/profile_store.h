#pragma once
//! Read access to profiles, identities and per-profile history, for the Profile API and dumps.
#include <optional>
#include <string>
#include <vector>

#include "tributary/eventlog/event_log.h"
#include "tributary/profile/profile.h"

namespace tributary::profile {

//! One event in a profile's history.
struct history_item {
  std::string key;  //!< opaque position, for paging
  millis ts = 0;
  std::uint64_t seq = 0;
  std::string source;
  std::string json;  //!< the stored event
};

//! Thread-safe reads of what the processor has committed. Does not own the database.
class profile_reader {
 public:
  explicit profile_reader(const eventlog::event_log& log) : s_(log.state()) {}

  //! The live profile holding `type:value`, following merges; nullopt if unknown.
  std::optional<profile> find(const std::string& type, const std::string& value) const;
  //! A profile by id, following merges.
  std::optional<profile> get(const std::string& profile_id) const;
  //! History newest first (or oldest first with `ascending`), within [start, end] times,
  //! starting after the opaque `after` key when given.
  std::vector<history_item> history(const std::string& profile_id, millis start, millis end,
                                    bool ascending, std::size_t limit,
                                    const std::string& after) const;
  //! Live profiles in id order after `after_id`.
  std::vector<profile> list(const std::string& after_id, std::size_t limit) const;

 private:
  eventlog::event_log::state_handles s_;
};

}  // namespace tributary::profile
