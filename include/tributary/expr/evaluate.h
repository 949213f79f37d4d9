#pragma once
//! Evaluating compiled programs: event programs on a JSON event (either nlohmann flavor),
//! profile programs through a profile_view, and the next instant a profile program's value can
//! change with time alone.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/expr/program.h"
#include "tributary/expr/value.h"

namespace tributary::expr {

//! What a profile expression reads. Implemented by the processor for one profile; used only
//! for the duration of one evaluate/matches/next_change call, on the caller's thread.
class profile_view {
 public:
  virtual ~profile_view() = default;
  //! Merged traits, computed traits included, as an object (anything else reads as no traits).
  virtual const nlohmann::json& traits() const = 0;
  //! The trait `key` of traits(), or null if absent. Override to read one without building all.
  virtual const nlohmann::json* trait(const std::string& key) const {
    const nlohmann::json& all = traits();
    if (!all.is_object()) return nullptr;
    auto it = all.find(key);
    return it == all.end() ? nullptr : &*it;
  }
  virtual bool in_audience(std::string_view key) const = 0;
  //! The user id, or "" when the profile has none (then `user_id` is null).
  virtual std::string_view user_id() const = 0;
  virtual std::vector<std::string_view> anonymous_ids() const = 0;
  virtual millis now() const = 0;
  //! Current value of program.history()[term_index]: a number for counts; a time
  //! (value::time) or null for first_seen/last_seen.
  virtual value history(std::size_t term_index) const = 0;
  //! When that value next changes without a new event (a windowed event leaving the window),
  //! or nullopt if never.
  virtual std::optional<millis> history_next_change(std::size_t term_index) const = 0;
};

//! Evaluates an event program. The result may borrow from `event` and `p`. A profile program
//! evaluates to null here.
value evaluate(const program& p, const nlohmann::json& event);
value evaluate(const program& p, const nlohmann::ordered_json& event);
//! True iff evaluate() is literally `true` (a filter/subscription matches).
bool matches(const program& p, const nlohmann::json& event);
bool matches(const program& p, const nlohmann::ordered_json& event);

//! Evaluates a profile program (an event program evaluates to null here). The result may
//! borrow from the view's traits and ids.
value evaluate(const program& p, const profile_view& profile);
bool matches(const program& p, const profile_view& profile);

//! The earliest instant strictly after profile.now() at which the value of `p` could change
//! with time alone (trait, audience and event changes aside). Never later than the real change;
//! possibly earlier. nullopt when no time term can change it. Referenced audiences and
//! computed traits are taken as constants: whoever changes them re-evaluates dependents.
std::optional<millis> next_change(const program& p, const profile_view& profile);

//! The name an event counts as in history terms: `event` of a track, "Page Viewed" for a page,
//! "Screen Viewed" for a screen; nullopt for other types (identify, group, alias).
std::optional<std::string_view> effective_event_name(const nlohmann::json& event);
std::optional<std::string_view> effective_event_name(const nlohmann::ordered_json& event);

//! Whether `event` counts for `term` (name or "*", then `where`). Windows are not checked.
bool counts_for(const history_term& term, const nlohmann::json& event);
bool counts_for(const history_term& term, const nlohmann::ordered_json& event);

}  // namespace tributary::expr
