#pragma once
//! Counters of one destination, written by the delivery thread and the router stage, read by
//! the admin API and /metrics without locks (except the last error's text).
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "tributary/common/clock.h"

namespace tributary::delivery {

//! Enqueue-to-2xx latency in seconds; buckets from 10 ms to the 4 h default retry window.
class delivery_latency {
 public:
  static constexpr std::array<double, 15> kBounds = {0.01, 0.05, 0.1, 0.25, 0.5,  1,    2.5,  5,
                                                     10,   30,   60,  300,  1800, 3600, 14400};
  void observe(double seconds) {
    std::size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ms_.fetch_add(static_cast<std::uint64_t>(seconds * 1000), std::memory_order_relaxed);
  }
  //! Appends the `_bucket`, `_sum` and `_count` lines of `name` with `labels` (`k="v"`).
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ms_{0};
};

struct destination_probe {
  std::atomic<std::uint64_t> delivered{0};    //!< events answered 2xx
  std::atomic<std::uint64_t> failed{0};       //!< events moved to the dead-letter queue
  std::atomic<std::uint64_t> retries{0};      //!< retries scheduled (per event)
  std::atomic<std::uint64_t> skipped{0};      //!< events not enqueued (integrations, filters)
  std::atomic<std::uint64_t> replayed{0};     //!< rows enqueued again by replays
  std::atomic<std::uint64_t> requests{0};     //!< HTTP requests completed or failed
  std::atomic<std::int64_t> outbox_depth{0};  //!< rows in the outbox
  std::atomic<std::int64_t> dlq_size{0};      //!< rows in the dead-letter queue
  std::atomic<std::int64_t> retrying{0};      //!< outbox rows that failed at least once
  std::atomic<std::int64_t> in_flight{0};     //!< events in requests in flight
  std::atomic<millis> last_success_at{0};
  delivery_latency latency;

  void set_last_error(std::string message, millis at) {
    std::lock_guard lock(mu_);
    last_error_ = std::move(message);
    last_error_at_ = at;
  }
  std::pair<std::string, millis> last_error() const {
    std::lock_guard lock(mu_);
    return {last_error_, last_error_at_};
  }

 private:
  mutable std::mutex mu_;
  std::string last_error_;
  millis last_error_at_ = 0;
};

}  // namespace tributary::delivery
