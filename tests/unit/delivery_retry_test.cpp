// Retry rules of the webhook sink (delivery/retry.h): which answers are retried, the randomized
// exponential backoff, Retry-After in both forms, and the max_age deadline.
#include "delivery/retry.h"

#include <gtest/gtest.h>

namespace tributary::delivery {
namespace {

constexpr millis kSecond = 1000;

TEST(ClassifyStatus, TwoHundredsSucceed) {
  for (int s : {200, 201, 202, 204, 299}) EXPECT_EQ(classify_status(s), verdict::success) << s;
}

TEST(ClassifyStatus, TransientStatusesAreRetried) {
  for (int s : {408, 423, 429, 500, 502, 503, 504, 507, 599})
    EXPECT_EQ(classify_status(s), verdict::retry) << s;
}

TEST(ClassifyStatus, OtherClientErrorsAnd501GoToTheDeadLetterQueue) {
  for (int s : {400, 401, 403, 404, 405, 409, 410, 413, 422, 501, 301, 302, 100, 600})
    EXPECT_EQ(classify_status(s), verdict::dont_retry) << s;
}

TEST(BackoffDelay, DoublesFromTheInitialBackoff) {
  config::retry_policy p;  // 1s .. 10m
  EXPECT_EQ(backoff_delay(p, 1, 0), 1 * kSecond);
  EXPECT_EQ(backoff_delay(p, 2, 0), 2 * kSecond);
  EXPECT_EQ(backoff_delay(p, 3, 0), 4 * kSecond);
  EXPECT_EQ(backoff_delay(p, 10, 0), 512 * kSecond);
}

TEST(BackoffDelay, RandomFactorStretchesUpToHalfAgain) {
  config::retry_policy p;
  EXPECT_EQ(backoff_delay(p, 1, 0.5), 1250);
  EXPECT_EQ(backoff_delay(p, 3, 0.999), 5998);
  EXPECT_EQ(backoff_delay(p, 3, 7.0), 6000);  // out-of-range units are clamped
}

TEST(BackoffDelay, NeverAboveMaxBackoff) {
  config::retry_policy p;
  EXPECT_EQ(backoff_delay(p, 11, 0), 600 * kSecond);
  EXPECT_EQ(backoff_delay(p, 10, 0.9), 600 * kSecond);  // 512s * 1.45 is capped
  EXPECT_EQ(backoff_delay(p, 4'000'000'000u, 0.5), 600 * kSecond);
}

TEST(BackoffDelay, CustomPolicy) {
  config::retry_policy p{60'000, 50, 200};
  EXPECT_EQ(backoff_delay(p, 1, 0), 50);
  EXPECT_EQ(backoff_delay(p, 2, 0), 100);
  EXPECT_EQ(backoff_delay(p, 3, 0), 200);
  EXPECT_EQ(backoff_delay(p, 4, 0.9), 200);
}

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", 0), 120 * kSecond);
  EXPECT_EQ(parse_retry_after("  5 ", 0), 5 * kSecond);
  EXPECT_EQ(parse_retry_after("0", 0), 0);
}

TEST(RetryAfter, HttpDateInEachForm) {
  const millis at = 1445412480LL * 1000;  // Wed, 21 Oct 2015 07:28:00 GMT
  const millis now = at - 10 * kSecond;
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 10 * kSecond);
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now), 10 * kSecond);
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:00 2015", now), 10 * kSecond);
  EXPECT_EQ(parse_retry_after("Wed Oct  1 07:28:00 2015", now - 20LL * 86'400'000), 10 * kSecond);
}

TEST(RetryAfter, DateInThePastIsNow) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 2'000'000'000'000), 0);
}

TEST(RetryAfter, GarbageIsIgnored) {
  for (const char* v : {"", "soon", "-5", "1.5", "5s", "Wed, 21 Oct 2015 07:28:00",
                        "Wed, 32 Oct 2015 07:28:00 GMT", "Wed, 21 Foo 2015 07:28:00 GMT"})
    EXPECT_FALSE(parse_retry_after(v, 0).has_value()) << v;
}

TEST(NextAttempt, BackoffFromNow) {
  config::retry_policy p;
  EXPECT_EQ(next_attempt(p, 0, 5000, 1, std::nullopt, 0), 6000);
  EXPECT_EQ(next_attempt(p, 0, 5000, 2, std::nullopt, 0), 7000);
}

TEST(NextAttempt, RetryAfterReplacesTheBackoff) {
  config::retry_policy p;
  EXPECT_EQ(next_attempt(p, 0, 5000, 1, 30 * kSecond, 0), 35000);
  EXPECT_EQ(next_attempt(p, 0, 5000, 9, 0, 0), 5000);
}

TEST(NextAttempt, LastAttemptAtTheDeadlineThenGiveUp) {
  config::retry_policy p{10 * kSecond, kSecond, 60 * kSecond};
  EXPECT_EQ(next_attempt(p, 1000, 9000, 5, std::nullopt, 0), 11000);  // clamped to the deadline
  EXPECT_FALSE(next_attempt(p, 1000, 11000, 6, std::nullopt, 0).has_value());
  EXPECT_FALSE(next_attempt(p, 1000, 50000, 6, std::nullopt, 0).has_value());
}

TEST(NextAttempt, ZeroMaxAgeNeverRetries) {
  config::retry_policy p{0, kSecond, kSecond};
  EXPECT_FALSE(next_attempt(p, 1000, 1000, 1, std::nullopt, 0).has_value());
}

}  // namespace
}  // namespace tributary::delivery
