#pragma once
//! The incremental state behind one computed trait on one profile. Events fold into time
//! buckets (one bucket for all-time traits), so the state never grows with the number of events:
//! only with the number of buckets inside a window and of distinct values.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "tributary/common/clock.h"

namespace tributary::profile {

//! What a set of events contributed; every trait type reads the fields it needs.
struct trait_partial {
  std::int64_t count = 0;
  double sum = 0;
  std::int64_t numbers = 0;  //!< how many numeric values went into sum/min/max
  double min = 0, max = 0;
  std::map<std::string, std::int64_t> frequency;  //!< value → occurrences
  std::set<std::string> distinct;                 //!< values (or milestone names) seen
  //! earliest and latest event (by time, then log sequence) with their value
  std::optional<std::pair<millis, std::uint64_t>> first_at, last_at;
  nlohmann::json first_value, last_value;

  //! Adds `other` in; true if this partial changed.
  bool merge(const trait_partial& other);
  bool operator==(const trait_partial&) const = default;
};

struct trait_state {
  std::string fingerprint;                  //!< the definition this state was built for
  std::map<millis, trait_partial> buckets;  //!< bucket start → partial; key 0 when unwindowed

  void merge(const trait_state& other);
  bool operator==(const trait_state&) const = default;
};

nlohmann::json to_json(const trait_state& s);
trait_state trait_state_from_json(const nlohmann::json& j);

}  // namespace tributary::profile
