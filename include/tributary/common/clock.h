#pragma once
//! The one injectable clock: every time-dependent decision asks it, so tests can move time.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace tributary {

//! Milliseconds since the Unix epoch, UTC.
using millis = std::int64_t;

//! Source of "now". The system clock by default; a manual clock in tests.
class clock_source {
 public:
  virtual ~clock_source() = default;
  virtual millis now_ms() const = 0;
};

//! Wall-clock time from the operating system.
class system_clock_source final : public clock_source {
 public:
  millis now_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

//! A clock that moves only when told to; thread-safe.
class manual_clock final : public clock_source {
 public:
  explicit manual_clock(millis start) : now_(start) {}
  millis now_ms() const override { return now_.load(); }
  void set(millis t) { now_.store(t); }
  void advance(millis d) { now_.fetch_add(d); }

 private:
  std::atomic<millis> now_;
};

}  // namespace tributary
