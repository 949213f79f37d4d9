#include "delivery/probe.h"

#include <fmt/format.h>

namespace tributary::delivery {

void delivery_latency::render(std::string& out, const std::string& name,
                              const std::string& labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, cumulative);
  out += fmt::format("{}_sum{{{}}} {}\n", name, labels,
                     sum_ms_.load(std::memory_order_relaxed) / 1000.0);
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, cumulative);
}

}  // namespace tributary::delivery
