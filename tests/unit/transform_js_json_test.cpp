// js_json: JSON.stringify / JSON.parse with JavaScript's exact bytes. Expected strings were
// produced with node 20 (`JSON.stringify(JSON.parse(text))`) while writing these tests.
#include "tributary/transform/js_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace tributary::transform {
namespace {

std::string rt(std::string_view text) {
  return stringify(parse(text));
}

TEST(JsStringify, NoWhitespaceAndInsertionOrder) {
  ordered_json v = ordered_json::object();
  v["zeta"] = 1;
  v["alpha"] = ordered_json::array({true, nullptr, "x"});
  v["mid"] = ordered_json::object();
  EXPECT_EQ(stringify(v), R"({"zeta":1,"alpha":[true,null,"x"],"mid":{}})");
}

TEST(JsStringify, ArrayIndexKeysComeFirstAscending) {
  EXPECT_EQ(rt(R"({"b":1,"2":2,"1":3,"01":4,"4294967295":5,"4294967294":6,"-1":7,"1.5":8})"),
            R"({"1":3,"2":2,"4294967294":6,"b":1,"01":4,"4294967295":5,"-1":7,"1.5":8})");
}

TEST(JsStringify, EscapesOnlyQuoteBackslashAndControls) {
  ordered_json s = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f");
  EXPECT_EQ(stringify(s), R"("q\"b\\s/\b\f\n\r\t\u0001\u001f)"
                          "\x7f\"");
}

TEST(JsStringify, NonAsciiWrittenRaw) {
  ordered_json s = "caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80";  // é, U+2028, 😀
  EXPECT_EQ(stringify(s), "\"caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80\"");
}

TEST(JsStringify, NulByteEscaped) {
  ordered_json s = std::string("a\0b", 3);
  EXPECT_EQ(stringify(s), R"("a\u0000b")");
}

TEST(JsStringify, InvalidUtf8BecomesReplacementCharacter) {
  ordered_json s = std::string(
      "a\xFF"
      "b\xC3");
  EXPECT_EQ(stringify(s),
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"");
}

TEST(JsStringify, LoneSurrogatesFromParseAreEscapedLowercase) {
  EXPECT_EQ(rt(R"("\uD800x\uDC0A")"), R"("\ud800x\udc0a")");
}

TEST(JsStringify, SurrogatePairEscapesBecomeOneRawCharacter) {
  EXPECT_EQ(rt(R"("\ud83d\ude00")"), "\"\xF0\x9F\x98\x80\"");
}

struct number_case {
  double value;
  const char* text;
};

class JsNumber : public testing::TestWithParam<number_case> {};

TEST_P(JsNumber, FormatsLikeNumberToString) {
  EXPECT_EQ(stringify(ordered_json(GetParam().value)), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Doubles, JsNumber,
    testing::Values(number_case{0.0, "0"}, number_case{-0.0, "0"}, number_case{100.0, "100"},
                    number_case{1.5, "1.5"}, number_case{-2.25, "-2.25"},
                    number_case{0.1 + 0.2, "0.30000000000000004"},
                    number_case{1.0 / 3, "0.3333333333333333"},
                    number_case{1e20, "100000000000000000000"}, number_case{1e21, "1e+21"},
                    number_case{1.5e300, "1.5e+300"}, number_case{1e-6, "0.000001"},
                    number_case{1.234e-6, "0.000001234"}, number_case{1e-7, "1e-7"},
                    number_case{-1e-7, "-1e-7"}, number_case{123e-20, "1.23e-18"},
                    number_case{5e-324, "5e-324"},
                    number_case{1.7976931348623157e308, "1.7976931348623157e+308"},
                    number_case{4.35, "4.35"}, number_case{123456789.0, "123456789"}));

TEST(JsStringify, IntegersBeyond2To53RoundLikeJs) {
  EXPECT_EQ(stringify(ordered_json(std::numeric_limits<std::uint64_t>::max())),
            "18446744073709552000");
  EXPECT_EQ(stringify(ordered_json(std::numeric_limits<std::int64_t>::min())),
            "-9223372036854776000");
  EXPECT_EQ(stringify(ordered_json(std::int64_t{9007199254740993})), "9007199254740992");
  EXPECT_EQ(stringify(ordered_json(std::int64_t{-42})), "-42");
}

TEST(JsStringify, NonFiniteNumbersAreNull) {
  ordered_json a = ordered_json::array({std::nan(""), HUGE_VAL, -HUGE_VAL});
  EXPECT_EQ(stringify(a), "[null,null,null]");
}

TEST(JsStringify, DiscardedIsUndefined) {
  const ordered_json undef(ordered_json::value_t::discarded);
  ordered_json o = ordered_json::object();
  o["a"] = undef;
  o["b"] = 1;
  o["c"] = ordered_json::array({undef, 2});
  EXPECT_EQ(stringify(o), R"({"b":1,"c":[null,2]})");
  EXPECT_EQ(stringify(undef), "");
}

TEST(JsNumberToString, SpecialValues) {
  EXPECT_EQ(number_to_string(std::nan("")), "NaN");
  EXPECT_EQ(number_to_string(HUGE_VAL), "Infinity");
  EXPECT_EQ(number_to_string(-HUGE_VAL), "-Infinity");
  EXPECT_EQ(number_to_string(-0.0), "0");
  EXPECT_EQ(number_to_string(250.0), "250");
}

TEST(JsParse, DuplicateKeyLastValueFirstPosition) {
  const ordered_json v = parse(R"({"a":1,"b":2,"a":{"x":3}})");
  EXPECT_EQ(stringify(v), R"({"a":{"x":3},"b":2})");
  EXPECT_EQ(v.begin().key(), "a");
}

TEST(JsParse, KeepsKeyOrder) {
  const ordered_json v = parse(R"({"z":1,"y":2,"x":3})");
  std::string keys;
  for (const auto& kv : v.items()) keys += kv.key();
  EXPECT_EQ(keys, "zyx");
}

TEST(JsParse, WhitespaceAroundAndBetween) {
  EXPECT_EQ(rt(" \t\r\n[ 1 ,\n2 ]\n"), "[1,2]");
}

TEST(JsParse, IntegersStayExact) {
  const ordered_json v = parse("[18446744073709551615,-9223372036854775808,7]");
  EXPECT_EQ(v[0].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(v[1].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(v[2].is_number_integer());
}

TEST(JsParse, IntegerPast64BitsBecomesDouble) {
  const ordered_json v = parse("123456789012345678901234567890");
  EXPECT_TRUE(v.is_number_float());
  EXPECT_EQ(stringify(v), "1.2345678901234568e+29");
}

TEST(JsParse, OverflowIsInfinityAndUnderflowZero) {
  EXPECT_EQ(rt("[1e400,-1e400,1e-400,-0.0,2.5e-324]"), "[null,null,0,0,5e-324]");
  EXPECT_TRUE(std::isinf(parse("1e400").get<double>()));
  EXPECT_EQ(parse("-1e-400").get<double>(), 0.0);
}

TEST(JsParse, EscapesDecoded) {
  EXPECT_EQ(parse(R"("\"\\\/\b\f\n\r\t\u0041\u00e9")").get<std::string>(),
            "\"\\/\b\f\n\r\tA\xC3\xA9");
}

TEST(JsParse, RawInvalidUtf8Replaced) {
  EXPECT_EQ(parse("\"x\xED\xA0\x80y\"").get<std::string>(),
            "x\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDy");
}

class JsParseRejects : public testing::TestWithParam<const char*> {};

TEST_P(JsParseRejects, LikeJsonParse) {
  EXPECT_THROW(parse(GetParam()), json_parse_error) << GetParam();
  EXPECT_FALSE(try_parse(GetParam()).has_value());
}

INSTANTIATE_TEST_SUITE_P(Invalid, JsParseRejects,
                         testing::Values("", "[1,]", R"({"a":1,})", "01", "1.", ".5", "+1", "'a'",
                                         "\"\t\"", "nul", "[]x",
                                         "\xEF\xBB\xBF"
                                         "1",
                                         "NaN", "// c\n1", R"({a:1})", R"("\x41")", "[1 2]",
                                         "\"abc"));

TEST(JsParse, ErrorCarriesOffset) {
  try {
    parse("[1, @]");
    FAIL() << "no exception";
  } catch (const json_parse_error& e) {
    EXPECT_EQ(e.offset(), 4u);
  }
}

TEST(JsParse, DepthLimit) {
  const std::string ok = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_NO_THROW(parse(ok));
  const std::string deep = std::string(1100, '[') + std::string(1100, ']');
  EXPECT_THROW(parse(deep), json_parse_error);
}

TEST(JsRoundTrip, SegmentEvent) {
  const char* text =
      R"({"type":"track","event":"Order Completed","userId":"u1","properties":{"total":39.95,)"
      R"("products":[{"sku":"A-1","price":1e-7},{"sku":"B","qty":3}]},"context":{"ip":"10.0.0.1"},)"
      R"("timestamp":"2024-01-01T00:00:00.000Z","messageId":"m-\u00e9\ud83d\ude00"})";
  EXPECT_EQ(
      rt(text),
      R"({"type":"track","event":"Order Completed","userId":"u1","properties":{"total":39.95,)"
      R"("products":[{"sku":"A-1","price":1e-7},{"sku":"B","qty":3}]},"context":{"ip":"10.0.0.1"},)"
      "\"timestamp\":\"2024-01-01T00:00:00.000Z\",\"messageId\":\"m-\xC3\xA9\xF0\x9F\x98\x80\"}");
}

}  // namespace
}  // namespace tributary::transform
