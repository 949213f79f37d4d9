// Per-write-key token buckets (ingest/rate_limiter.h), driven by explicit times.
#include "ingest/rate_limiter.h"

#include <gtest/gtest.h>

namespace tributary::ingest {
namespace {

constexpr millis kT0 = 1'700'000'000'000;

TEST(RateLimiter, BurstOfOneSecondThenRefused) {
  rate_limiter rl;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(rl.acquire("k", 5, kT0)) << i;
  auto wait = rl.acquire("k", 5, kT0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1);
}

TEST(RateLimiter, TokensComeBackWithTime) {
  rate_limiter rl;
  EXPECT_FALSE(rl.acquire("k", 2, kT0));
  EXPECT_FALSE(rl.acquire("k", 2, kT0));
  EXPECT_TRUE(rl.acquire("k", 2, kT0 + 100));   // 0.2 tokens
  EXPECT_FALSE(rl.acquire("k", 2, kT0 + 500));  // 1.0 token
  EXPECT_TRUE(rl.acquire("k", 2, kT0 + 500));
}

TEST(RateLimiter, SlowRatesHaveABurstOfOneAndALongerRetryAfter) {
  rate_limiter rl;
  const double per_minute = 6.0 / 60;  // 6/m: one every 10 s
  EXPECT_FALSE(rl.acquire("k", per_minute, kT0));
  auto wait = rl.acquire("k", per_minute, kT0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 10);
  EXPECT_EQ(*rl.acquire("k", per_minute, kT0 + 4'000), 6);
  EXPECT_FALSE(rl.acquire("k", per_minute, kT0 + 10'000));
}

TEST(RateLimiter, KeysAreIndependent) {
  rate_limiter rl;
  EXPECT_FALSE(rl.acquire("a", 1, kT0));
  EXPECT_TRUE(rl.acquire("a", 1, kT0));
  EXPECT_FALSE(rl.acquire("b", 1, kT0));
}

TEST(RateLimiter, ALoweredRateCapsTheSavedBurst) {
  rate_limiter rl;
  EXPECT_FALSE(rl.acquire("k", 100, kT0));  // 99 tokens left
  EXPECT_FALSE(rl.acquire("k", 2, kT0));    // reload to 2/s: capped to 2, one taken
  EXPECT_FALSE(rl.acquire("k", 2, kT0));
  EXPECT_TRUE(rl.acquire("k", 2, kT0));
}

TEST(RateLimiter, ClockGoingBackwardsNeitherAddsNorThrows) {
  rate_limiter rl;
  EXPECT_FALSE(rl.acquire("k", 1, kT0));
  EXPECT_TRUE(rl.acquire("k", 1, kT0 - 60'000));
  EXPECT_FALSE(rl.acquire("k", 1, kT0 + 1'000));
}

}  // namespace
}  // namespace tributary::ingest
