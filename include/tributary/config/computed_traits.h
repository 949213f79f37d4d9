#pragma once
//! Definitions of computed traits (the `computed_traits` section, and the implicit traits that
//! history functions in audience expressions compile to).
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tributary/common/clock.h"

namespace tributary::config {

enum class trait_type {
  event_count,
  aggregate,
  most_frequent,
  first,
  last,
  unique_list,
  unique_list_count,
  score,
  days_since,
};
enum class aggregate_fn { sum, avg, min, max };

struct computed_trait {
  std::string key;
  trait_type type = trait_type::event_count;
  std::string event;  //!< event name; "*" = any track, page ("Page Viewed") or screen
  millis window = 0;  //!< 0 = all time; else only events with timestamp >= now - window
  std::string where;  //!< FQL on the event, as written ("" = every event)
  int where_line = 0, where_column = 0;
  std::function<bool(const nlohmann::json& event)> where_fn;  //!< compiled `where`
  std::vector<std::string> property;  //!< path segments into the event; empty with value_timestamp
  bool value_timestamp = false;       //!< `value: timestamp`: the event's time is the value
  aggregate_fn function = aggregate_fn::sum;
  std::vector<std::pair<std::string, double>> milestones;  //!< score: event name → points
  std::string trait;                                       //!< days_since: the source trait
  bool implicit = false;    //!< compiled from a history function in an audience expression
  std::string fingerprint;  //!< identity of the definition: a change means recompute

  //! True if the trait's value depends on the clock (windows and days_since).
  bool time_dependent() const { return window > 0 || type == trait_type::days_since; }
};

//! Name of a trait type as written in YAML.
const char* to_string(trait_type t);

}  // namespace tributary::config
