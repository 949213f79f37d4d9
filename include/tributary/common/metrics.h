#pragma once
//! Minimal Prometheus-style instruments: labeled counters and a fixed-bucket histogram.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace tributary {

//! Counters keyed by a rendered label set such as `source="web",type="track"`. Thread-safe.
class labeled_counter {
 public:
  void add(const std::string& labels, std::uint64_t n = 1) {
    std::lock_guard lock(mu_);
    values_[labels] += n;
  }
  std::map<std::string, std::uint64_t> snapshot() const {
    std::lock_guard lock(mu_);
    return values_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> values_;
};

//! A latency histogram in seconds with fixed upper bounds; lock-free.
class latency_histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,  0.5,   1.0,  5.0};
  void observe(double seconds) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  }
  //! Appends the `_bucket`, `_sum` and `_count` lines for `name`.
  void render(std::string& out, const std::string& name) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

//! Appends `# HELP` and `# TYPE` lines.
void metric_header(std::string& out, const std::string& name, const char* type, const char* help);

}  // namespace tributary
