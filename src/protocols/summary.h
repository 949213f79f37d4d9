#pragma once
//! Violation counts per event and field over the last 24 hours, in hourly buckets, in memory.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "tributary/common/clock.h"

namespace tributary::protocols {

//! Thread-safe; written by io threads, read by the admin API. Restarts begin empty.
class violation_summary {
 public:
  struct row {
    std::string event, field, type;
    std::uint64_t count = 0;
  };
  void record(millis now, const std::string& event, const std::string& field,
              const std::string& type);
  //! Rows of the last 24 hours, largest count first.
  std::vector<row> last_24h(millis now) const;

 private:
  using key = std::tuple<std::string, std::string, std::string>;
  mutable std::mutex mu_;
  std::map<millis, std::map<key, std::uint64_t>> hours_;  // hour start → counts
};

}  // namespace tributary::protocols
