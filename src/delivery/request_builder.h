#pragma once
//! Turns outbox rows into the HTTP request a destination receives. Pure; any thread.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/config/destinations.h"

namespace tributary::delivery {

//! One request, independent of the HTTP library.
struct outgoing_request {
  std::string method;
  std::string target;                                        //!< path and query
  std::string host;                                          //!< the Host header
  std::vector<std::pair<std::string, std::string>> headers;  //!< in sending order
  std::string body;
};

//! One event of a request: its idempotency key and its compact JSON.
struct event_part {
  std::string_view message_id;
  std::string_view body;
};

//! Builds the request for `events` (one event, or a batch sent as a JSON array when `batched`).
//! Headers, in order: Content-Type, User-Agent, the configured headers (which may replace the
//! first two), Idempotency-Key (the first event's messageId) and, with a shared secret,
//! X-Signature and X-Tributary-Signature signed at `now`.
outgoing_request build_request(const config::destination& d, const std::vector<event_part>& events,
                               bool batched, millis now);

}  // namespace tributary::delivery
