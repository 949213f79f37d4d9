#pragma once
//! Webhook signatures: Segment's `X-Signature` and Tributary's timestamped
//! `X-Tributary-Signature`. Pure functions; any thread.
#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::delivery {

//! Lowercase hex HMAC-SHA1 of `data` keyed with `secret`.
std::string hmac_sha1_hex(std::string_view secret, std::string_view data);
//! Lowercase hex HMAC-SHA256 of `data` keyed with `secret`.
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

//! `X-Signature`: HMAC-SHA1 of `signed_json` — the body, or for a batch its first event's
//! compact JSON, as Segment signs it.
std::string x_signature(std::string_view secret, std::string_view signed_json);

//! `X-Tributary-Signature`: `t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">` over the
//! whole body, so a receiver can verify all of it and reject replays by age.
std::string tributary_signature(std::string_view secret, std::int64_t unix_seconds,
                                std::string_view body);

}  // namespace tributary::delivery
