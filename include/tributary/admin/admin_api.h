#pragma once
//! The admin listener: health, metrics, the log reader, rejections, config status and reload.
#include <functional>

#include "tributary/common/clock.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/http/message.h"
#include "tributary/http/server.h"
#include "tributary/ingest/tracking_api.h"
#include "tributary/profile/profile_store.h"
#include "admin/profile_api.h"
#include "processor/processor.h"

namespace tributary::delivery {
class service;
}

namespace tributary::admin {

//! What the admin API reads; owned by the server wiring, outlives the handler.
struct admin_deps {
  const config::holder* cfg = nullptr;
  eventlog::event_log* log = nullptr;
  const ingest::ingest_stats* ingest = nullptr;
  const http::server_stats* http = nullptr;
  const clock_source* clock = nullptr;
  millis started_at = 0;
  //! Reloads the config file; returns "" on success or the errors, one per line.
  std::function<std::string()> reload;
  //! Reloads by result (`result="ok|error"`), for /metrics; may be null.
  const labeled_counter* reloads = nullptr;
  //! Profile state (null when the processor is not running).
  const profile::profile_reader* profiles = nullptr;
  const processor::processor_stats* processor = nullptr;
  std::function<std::uint64_t()> processor_cursor;
  //! Destination delivery (null when not running).
  delivery::service* delivery = nullptr;
};

//! Answers admin requests on io threads. Bearer (or Basic user-name) token auth on all but
//! /healthz, /readyz and /metrics; tokens compared in constant time.
class admin_api final : public http::handler {
 public:
  explicit admin_api(admin_deps deps)
      : d_(std::move(deps)), profile_api_(d_.profiles ? std::make_unique<profile_api>(*d_.profiles) : nullptr) {}
  void handle(http::request req, std::function<void(http::response)> reply) override;

 private:
  http::response route(const http::request& req);
  http::response metrics() const;
  http::response tester_route(const config::config& cfg, const http::request& req) const;
  admin_deps d_;
  std::unique_ptr<profile_api> profile_api_;
};

//! True when `presented` equals one of the tokens (constant time per token).
bool token_matches(const std::vector<std::string>& tokens, std::string_view presented);

}  // namespace tributary::admin
