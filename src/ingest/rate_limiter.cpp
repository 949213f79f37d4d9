#include "ingest/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tributary::ingest {

std::optional<int> rate_limiter::acquire(const std::string& key, double rate, millis now) {
  const double burst = std::max(rate, 1.0);
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(key, bucket{burst, now});
  bucket& b = it->second;
  if (!fresh && now > b.at) b.tokens += static_cast<double>(now - b.at) / 1000.0 * rate;
  b.at = std::max(b.at, now);
  b.tokens = std::min(b.tokens, burst);  // also caps a bucket whose rate was lowered by a reload
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate)));
}

}  // namespace tributary::ingest
