#include "protocols/summary.h"

#include <algorithm>

namespace tributary::protocols {

constexpr millis kHour = 3'600'000;

void violation_summary::record(millis now, const std::string& event, const std::string& field,
                               const std::string& type) {
  std::lock_guard lock(mu_);
  millis hour = now - now % kHour;
  ++hours_[hour][{event, field, type}];
  while (!hours_.empty() && hours_.begin()->first <= hour - 24 * kHour)
    hours_.erase(hours_.begin());
}

std::vector<violation_summary::row> violation_summary::last_24h(millis now) const {
  std::map<key, std::uint64_t> total;
  {
    std::lock_guard lock(mu_);
    millis hour = now - now % kHour;
    for (const auto& [start, counts] : hours_)
      if (start > hour - 24 * kHour)
        for (const auto& [k, n] : counts) total[k] += n;
  }
  std::vector<row> rows;
  for (const auto& [k, n] : total)
    rows.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const row& a, const row& b) { return a.count > b.count; });
  return rows;
}

}  // namespace tributary::protocols
