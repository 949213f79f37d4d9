#pragma once
//! Validates one Tracking API message and writes its normalized, stored form.
#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "protocols/validator.h"
#include "tributary/common/clock.h"
#include "tributary/common/result.h"

namespace tributary::ingest {

enum class call_type { identify, track, page, screen, group, alias };

//! "identify", "track", ... ; nullopt for anything else.
std::optional<call_type> parse_call_type(std::string_view s);
const char* call_type_name(call_type t);

//! Everything normalization needs besides the message itself.
struct normalize_input {
  millis received_at = 0;
  std::string_view client_ip;
  std::size_t message_bytes = 32 * 1024;
  //! Batch-level `context` / `integrations`, merged under each item's own keys.
  std::optional<simdjson::dom::object> batch_context;
  std::optional<simdjson::dom::object> batch_integrations;
  //! Batch-level `sentAt` (analytics-node and analytics-python send it only there); an item's
  //! own `sentAt` wins.
  std::optional<millis> batch_sent_at;
  //! The tracking plan to enforce, or nullptr; `source` names the source in context.protocols.
  const protocols::plan* plan = nullptr;
  std::string_view source;
};

struct normalized_message {
  call_type type = call_type::track;
  std::string message_id;
  std::string json;
  protocols::verdict verdict;  //!< what the tracking plan said (empty without a plan)
  bool blocked() const { return verdict.blocked; }
};

//! Normalizes `msg`. `forced` is the type named by the endpoint (single-message paths);
//! without it the message's own `type` is required. Errors carry Segment-style codes:
//! invalid_message, invalid_type, missing_user_id, missing_event, missing_group_id,
//! missing_previous_id, invalid_field, invalid_message_id, invalid_timestamp, message_too_large.
result<normalized_message> normalize(simdjson::dom::element msg, std::optional<call_type> forced,
                                     const normalize_input& in);

//! The effective event time: receivedAt - (sentAt - client timestamp) when both client times
//! are given, else the client timestamp, else receivedAt.
millis corrected_timestamp(millis received_at, std::optional<millis> client_ts,
                           std::optional<millis> sent_at);

}  // namespace tributary::ingest
