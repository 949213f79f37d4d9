#pragma once
//! The Segment-compatible Tracking API (`/v1/*`) as an http::handler.
#include "ingest/rate_limiter.h"
#include "protocols/summary.h"
#include "tributary/common/clock.h"
#include "tributary/common/metrics.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/http/message.h"

namespace tributary::ingest {

struct normalized_message;

//! Ingest counters, rendered by the admin API's /metrics.
struct ingest_stats {
  labeled_counter requests;  //!< endpoint="track",status="200"
  labeled_counter events;    //!< source="web",type="track"
  labeled_counter rejected;  //!< reason="missing_event"
  std::atomic<std::uint64_t> bytes_received{0};
  latency_histogram ack_latency;
  labeled_counter plan_violations;  //!< event="...",type="Required"
  labeled_counter plan_blocked;     //!< event="...",reason="unplanned_event|violations"
  labeled_counter plan_omitted;     //!< event="..."
  protocols::violation_summary plan_summary;
};

//! Parses, authenticates, validates and normalizes requests on io threads, hands the events to
//! the log writer, and replies once the log says they are durable. Stateless between requests.
class tracking_api final : public http::handler {
 public:
  tracking_api(const config::holder& cfg, eventlog::event_log& log, const clock_source& clock,
               ingest_stats& stats)
      : cfg_(cfg), log_(log), clock_(clock), stats_(stats) {}

  void handle(http::request req, std::function<void(http::response)> reply) override;

 private:
  void record_plan_outcome(const normalized_message& m, millis now);
  //! The 429 answer when `write_key` is over its source's `rate_limit`, else empty.
  std::optional<http::response> rate_limited(const config::config& cfg, const std::string& source,
                                             const std::string& write_key, millis now);
  const config::holder& cfg_;
  eventlog::event_log& log_;
  const clock_source& clock_;
  ingest_stats& stats_;
  rate_limiter limiter_;
};

}  // namespace tributary::ingest
