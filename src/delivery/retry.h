#pragma once
//! What to do after an attempt: the retry rules of the webhook sink, as pure functions.
#include <optional>
#include <string>
#include <string_view>

#include "tributary/common/clock.h"
#include "tributary/config/destinations.h"

namespace tributary::delivery {

enum class verdict {
  success,     //!< 2xx: delete the row
  retry,       //!< 5xx but 501, 408, 423, 429, timeouts, connection errors: try again later
  dont_retry,  //!< other statuses: straight to the dead-letter queue
};

//! The verdict for an HTTP status.
verdict classify_status(int status);

//! The delay after the `attempts`-th failed attempt (1 = the first failure), before
//! `Retry-After`: min(max_backoff, initial_backoff * 2^(attempts-1)) stretched by a random
//! factor in [1, 1.5) drawn from `unit` in [0, 1), and never above max_backoff.
millis backoff_delay(const config::retry_policy& p, std::uint32_t attempts, double unit);

//! A `Retry-After` value as a delay from `now`: delta-seconds, or an HTTP date (IMF-fixdate,
//! RFC 850 or asctime). A date in the past is 0. nullopt when it is neither.
std::optional<millis> parse_retry_after(std::string_view value, millis now);

//! When to try again after a retryable failure at `now`, or nullopt to give up (dead-letter)
//! because `max_age` since `enqueued_at` has passed. The delay is the server's Retry-After when
//! given, else the backoff; a last attempt is made at the max_age deadline.
std::optional<millis> next_attempt(const config::retry_policy& p, millis enqueued_at, millis now,
                                   std::uint32_t attempts, std::optional<millis> retry_after,
                                   double unit);

}  // namespace tributary::delivery
