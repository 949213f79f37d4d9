#pragma once
//! Byte layouts of the `outbox` and `dlq` column families, shared by the router stage (which
//! appends rows) and the delivery service (which updates, deletes and dead-letters them).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tributary/common/clock.h"

namespace tributary::delivery {

//! Key: destination name, `\0`, log sequence (8 bytes big-endian), sub-index (4 bytes
//! big-endian). Deterministic, so a processor replay rewrites the same rows; the byte order is
//! the delivery order within a destination. The `dlq` family uses the same keys.
std::string outbox_key(std::string_view destination, std::uint64_t seq, std::uint32_t sub = 0);
//! The prefix of every key of `destination` ("name\0").
std::string outbox_prefix(std::string_view destination);

//! The parts of a key; nullopt when it is not one.
struct key_parts {
  std::string_view destination;
  std::uint64_t seq = 0;
  std::uint32_t sub = 0;
};
std::optional<key_parts> parse_outbox_key(std::string_view key);

//! One event waiting for (or, in the dlq, given up on) delivery to one destination.
struct outbox_row {
  std::string message_id;      //!< sent as Idempotency-Key
  std::string profile_id;      //!< per-profile ordering; "" = not ordered with anything
  millis enqueued_at = 0;      //!< when the router wrote it (retry.max_age and latency start here)
  std::uint32_t attempts = 0;  //!< failed attempts so far
  millis next_attempt_at = 0;  //!< not before this (0 = now); in the dlq: when it was given up
  std::int32_t last_status = 0;  //!< HTTP status of the last failure, 0 = no response
  std::string last_error;        //!< "" until a failure
  std::string body;              //!< the event, compact JSON, exactly the bytes sent
};

//! Value: [version=1][enqueued_at be64][next_attempt_at be64][attempts be32][last_status be32]
//! then message_id, profile_id, last_error each as [length be32][bytes], then the body (rest).
std::string encode_row(const outbox_row& row);
std::optional<outbox_row> decode_row(std::string_view value);

//! The body bytes of an event: compact JSON, byte-identical to JavaScript's JSON.stringify so a
//! receiver's `JSON.stringify(req.body)` reproduces what was signed.
std::string serialize_body(const nlohmann::ordered_json& event);

}  // namespace tributary::delivery
