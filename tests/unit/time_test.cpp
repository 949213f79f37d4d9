// ISO-8601 parsing and formatting (common/time.h) and the clock-skew correction of ingest.
#include "tributary/common/time.h"

#include <gtest/gtest.h>

#include "ingest/normalize.h"

namespace tributary {
namespace {

constexpr millis k2020 = 1577836800000;  // 2020-01-01T00:00:00Z

TEST(ParseIso8601, UtcWithZ) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00Z"), k2020);
  EXPECT_EQ(parse_iso8601("2024-02-29T12:34:56Z"), 1709210096000);
}

TEST(ParseIso8601, LowercaseTAndZAndSpaceSeparator) {
  EXPECT_EQ(parse_iso8601("2020-01-01t00:00:00z"), k2020);
  EXPECT_EQ(parse_iso8601("2020-01-01 00:00:00Z"), k2020);
}

TEST(ParseIso8601, PositiveOffsetWithColon) {
  // Midnight in UTC+05:30 is 18:30 the previous day in UTC.
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+05:30"), 1577817000000);
}

TEST(ParseIso8601, NegativeOffsetWithoutColon) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00-0800"), 1577865600000);
}

TEST(ParseIso8601, ZeroOffsetEqualsZ) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+00:00"), k2020);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00-00:00"), k2020);
}

TEST(ParseIso8601, HourOnlyOffset) {
  EXPECT_EQ(parse_iso8601("2020-01-01T01:00:00+01"), k2020);
}

TEST(ParseIso8601, NoZoneIsUtc) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00"), k2020);
  EXPECT_EQ(parse_iso8601("2020-01-01T10:20"), k2020 + (10 * 60 + 20) * 60'000);
}

TEST(ParseIso8601, DateOnlyIsMidnightUtc) {
  EXPECT_EQ(parse_iso8601("2020-01-01"), k2020);
  EXPECT_EQ(parse_iso8601("1970-01-01"), 0);
}

TEST(ParseIso8601, MinutesWithoutSecondsAcceptZone) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00Z"), k2020);
  EXPECT_EQ(parse_iso8601("2020-01-01T01:00+01:00"), k2020);
}

TEST(ParseIso8601, FractionalSecondsOfEveryPrecision) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00.5Z"), k2020 + 500);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00.12Z"), k2020 + 120);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00.123Z"), k2020 + 123);
  // Beyond milliseconds the digits are read and truncated, not rounded.
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00.123456Z"), k2020 + 123);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00.999999999Z"), k2020 + 999);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00,250Z"), k2020 + 250);
}

TEST(ParseIso8601, FractionWithOffset) {
  EXPECT_EQ(parse_iso8601("2020-01-01T02:00:00.042+02:00"), k2020 + 42);
}

TEST(ParseIso8601, EmptyFractionIsInvalid) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00.Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00."), std::nullopt);
}

TEST(ParseIso8601, LeapDays) {
  EXPECT_EQ(parse_iso8601("2024-02-29"), parse_iso8601("2024-03-01").value() - 86'400'000);
  EXPECT_EQ(parse_iso8601("2000-02-29T00:00:00Z"), 951782400000);  // divisible by 400
  EXPECT_EQ(parse_iso8601("2023-02-29"), std::nullopt);
  EXPECT_EQ(parse_iso8601("1900-02-29"), std::nullopt);  // divisible by 100, not by 400
  EXPECT_EQ(parse_iso8601("2024-02-30"), std::nullopt);
}

TEST(ParseIso8601, DaysPerMonth) {
  EXPECT_TRUE(parse_iso8601("2021-01-31").has_value());
  EXPECT_TRUE(parse_iso8601("2021-04-30").has_value());
  EXPECT_EQ(parse_iso8601("2021-04-31"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2021-06-31"), std::nullopt);
  EXPECT_TRUE(parse_iso8601("2021-12-31").has_value());
}

TEST(ParseIso8601, MonthAndDayOutOfRange) {
  EXPECT_EQ(parse_iso8601("2020-13-01"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-00-01"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-32"), std::nullopt);
}

TEST(ParseIso8601, TimeOutOfRange) {
  EXPECT_EQ(parse_iso8601("2020-01-01T24:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T23:60:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T23:59:61Z"), std::nullopt);
}

TEST(ParseIso8601, OffsetOutOfRange) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+24:00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+05:60"), std::nullopt);
}

TEST(ParseIso8601, MalformedOffsets) {
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+5"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+05:3"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+05:"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+05:30:00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+"), std::nullopt);
}

TEST(ParseIso8601, Garbage) {
  EXPECT_EQ(parse_iso8601(""), std::nullopt);
  EXPECT_EQ(parse_iso8601("yesterday"), std::nullopt);
  EXPECT_EQ(parse_iso8601("1577836800000"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020/01/01"), std::nullopt);
  EXPECT_EQ(parse_iso8601("20-01-01"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-1-01"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-1"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T10"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T1:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T10:00:0Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("Wed, 01 Jan 2020 00:00:00 GMT"), std::nullopt);
}

TEST(ParseIso8601, TrailingJunk) {
  EXPECT_EQ(parse_iso8601("2020-01-01X"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00Zjunk"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00Z "), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00+01:00x"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2020-01-01T00:00:00 UTC"), std::nullopt);
}

TEST(ParseIso8601, PreEpoch) {
  EXPECT_EQ(parse_iso8601("1969-07-20T20:17:40Z"), -14182940000);
  EXPECT_EQ(parse_iso8601("1900-01-01T00:00:00Z"), -2208988800000);
  EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59.999Z"), -1);
}

TEST(FormatIso8601, Epoch) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
}

TEST(FormatIso8601, AlwaysMillisecondsAndZ) {
  EXPECT_EQ(format_iso8601(k2020), "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(k2020 + 7), "2020-01-01T00:00:00.007Z");
  EXPECT_EQ(format_iso8601(1709210096123), "2024-02-29T12:34:56.123Z");
}

TEST(FormatIso8601, NegativeTimes) {
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_iso8601(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(-14182940000), "1969-07-20T20:17:40.000Z");
  EXPECT_EQ(format_iso8601(-2208988800000), "1900-01-01T00:00:00.000Z");
}

TEST(FormatIso8601, RoundTripsThroughParse) {
  const millis samples[] = {0,
                            1,
                            -1,
                            999,
                            -999,
                            k2020,
                            k2020 + 999,
                            951782400000,
                            -14182940000,
                            -2208988800000,
                            4102444799999 /* 2099-12-31T23:59:59.999Z */,
                            1709210096123};
  for (millis t : samples) {
    std::string s = format_iso8601(t);
    EXPECT_EQ(parse_iso8601(s), t) << s;
  }
}

TEST(FormatIso8601, RoundTripsEveryDayOfALeapYear) {
  millis start = parse_iso8601("2024-01-01").value();
  for (int d = 0; d < 366; ++d) {
    millis t = start + d * 86'400'000LL + 12 * 3'600'000 + 345;
    EXPECT_EQ(parse_iso8601(format_iso8601(t)), t) << format_iso8601(t);
  }
  EXPECT_EQ(format_iso8601(start + 366 * 86'400'000LL), "2025-01-01T00:00:00.000Z");
}

TEST(FormatIso8601, AppendKeepsExistingText) {
  std::string out = "at ";
  append_iso8601(out, k2020);
  EXPECT_EQ(out, "at 2020-01-01T00:00:00.000Z");
}

TEST(CorrectedTimestamp, SkewCorrectionUsesSentAt) {
  // The client clock is 10 minutes fast; the event happened 2 s before it was sent.
  millis received = k2020;
  millis client_sent = k2020 + 600'000;
  millis client_ts = client_sent - 2'000;
  EXPECT_EQ(ingest::corrected_timestamp(received, client_ts, client_sent), received - 2'000);
}

TEST(CorrectedTimestamp, SlowClientIsCorrectedToo) {
  millis received = k2020;
  EXPECT_EQ(ingest::corrected_timestamp(received, k2020 - 3'600'000 - 500, k2020 - 3'600'000),
            received - 500);
}

TEST(CorrectedTimestamp, OnlyClientTimestamp) {
  EXPECT_EQ(ingest::corrected_timestamp(k2020, k2020 - 12345, std::nullopt), k2020 - 12345);
}

TEST(CorrectedTimestamp, OnlySentAtFallsBackToReceivedAt) {
  EXPECT_EQ(ingest::corrected_timestamp(k2020, std::nullopt, k2020 - 5), k2020);
}

TEST(CorrectedTimestamp, NoClientTimesIsReceivedAt) {
  EXPECT_EQ(ingest::corrected_timestamp(k2020, std::nullopt, std::nullopt), k2020);
}

}  // namespace
}  // namespace tributary
