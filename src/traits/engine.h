#pragma once
//! Computed traits, incrementally: events fold into a per-profile state, the value is read from
//! the state at a given instant, and the next instant at which time alone changes it is known.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "tributary/config/computed_traits.h"
#include "tributary/profile/profile.h"

namespace tributary::traits {

using config::computed_trait;

//! The event name as computed traits see it: track → `event`, page → "Page Viewed",
//! screen → "Screen Viewed"; empty for other types.
std::string_view event_name(const nlohmann::json& ev);
//! True if the event counts for the definition (name and `where`).
bool matches(const computed_trait& d, const nlohmann::json& ev);
//! Width of the time buckets of a windowed trait: a round width of at most window/256 (one
//! second at least). An event leaves the window between `window` and `window` + width after it.
millis bucket_width(millis window);

//! Folds one event (time `ts`, log sequence `seq`) into the state if it matches and is not
//! already outside the window at `now`. True if the state changed.
bool observe(const computed_trait& d, profile::trait_state& st, const nlohmann::json& ev, millis ts,
             std::uint64_t seq, millis now);
//! Drops buckets that lie wholly outside the window at `now`.
void expire(const computed_trait& d, profile::trait_state& st, millis now);
//! The trait's value at `now`; null means the profile does not have it.
nlohmann::json value(const computed_trait& d, const profile::trait_state& st,
                     const profile::profile& p, millis now);
//! The earliest instant after `now` at which the value can change with time alone.
std::optional<millis> next_change(const computed_trait& d, const profile::trait_state& st,
                                  const profile::profile& p, millis now);

//! One computed trait whose value changed on a profile.
struct change {
  std::string key;
  nlohmann::json before, after;  //!< null = absent
};

//! Expires windows and recomputes every definition's value on `p` at `now`, updating
//! `p.computed`; returns what changed. States must already be built for `defs`.
std::vector<change> refresh(const std::vector<computed_trait>& defs, profile::profile& p,
                            millis now);
//! The earliest instant after `now` at which any of `defs` can change on `p` with time alone.
std::optional<millis> next_due(const std::vector<computed_trait>& defs, const profile::profile& p,
                               millis now);

}  // namespace tributary::traits
