#pragma once
//! Per-write-key token buckets for `sources.<name>.rate_limit`.
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "tributary/common/clock.h"

namespace tributary::ingest {

//! Token buckets keyed by write key: `rate` tokens a second, holding at most max(rate, 1) (one
//! second's burst). Owned by the tracking_api; called from io threads under one mutex. Keys are
//! authenticated write keys only, so the map stays as small as the configuration.
class rate_limiter {
 public:
  //! Takes one token for `key` at `now`. Empty when allowed; otherwise the whole seconds to wait
  //! (at least 1) before a token is available, for `Retry-After`.
  std::optional<int> acquire(const std::string& key, double rate, millis now);

 private:
  struct bucket {
    double tokens = 0;
    millis at = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace tributary::ingest
