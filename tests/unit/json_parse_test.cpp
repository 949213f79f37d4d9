// parse_json / parse_ordered_json (common/json_parse.h) give what nlohmann's parser gives.
#include "tributary/common/json_parse.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tributary {
namespace {

// Same value and the same nlohmann type at every node (== alone treats 1u and 1 as equal).
template <class Json>
void expect_same(const Json& got, const Json& want, const std::string& where) {
  ASSERT_EQ(got.type(), want.type()) << where;
  ASSERT_EQ(got.dump(), want.dump()) << where;
  if (want.is_object())
    for (auto it = want.begin(); it != want.end(); ++it)
      expect_same(got.at(it.key()), it.value(), where + "." + it.key());
  if (want.is_array())
    for (std::size_t i = 0; i < want.size(); ++i)
      expect_same(got.at(i), want.at(i), where + "[" + std::to_string(i) + "]");
}

void check(const std::string& text) {
  SCOPED_TRACE(text);
  expect_same(parse_json(text), nlohmann::json::parse(text, nullptr, false), "$");
  expect_same(parse_ordered_json(text), nlohmann::ordered_json::parse(text, nullptr, false), "$");
}

TEST(JsonParse, EventsAndScalars) {
  check(
      R"({"type":"track","event":"Order Completed","userId":"u1","properties":{"revenue":12.5,"n":3,"neg":-4,"ok":true,"no":false,"none":null,"tags":["a","b",1]},"context":{"traits":{"email":"a@b.c"}}})");
  check("0");
  check("-0");
  check("-0.0");
  check("1e2");
  check("1.5E-7");
  check("123456789.123456789");
  check("\"text\"");
  check("[]");
  check("{}");
  check("[[[]],{},{\"a\":{}}]");
  check("  {\"spaces\" : [ 1 , 2 ] }  ");
}

TEST(JsonParse, IntegerTypesFollowNlohmann) {
  check("9223372036854775807");   // int64 max: unsigned, as nlohmann's lexer
  check("9223372036854775808");   // past int64
  check("18446744073709551615");  // uint64 max
  check("18446744073709551616");  // past uint64: a double, through the fallback
  check("-9223372036854775808");  // int64 min
  check("-9223372036854775809");  // a double, through the fallback
  check("1e400");                 // nlohmann's answer, whatever it is
  EXPECT_TRUE(parse_json("5").is_number_unsigned());
  EXPECT_TRUE(parse_json("-5").is_number_integer());
  EXPECT_TRUE(parse_json("5.0").is_number_float());
}

TEST(JsonParse, StringsAndEscapes) {
  check(R"({"s":"quote \" backslash \\ slash \/ \b\f\n\r\t"})");
  check(R"({"u":"\u00e9\u4e2d\ud83d\ude00 é 中 😀"})");
  check(R"({"nul":"a\u0000b"})");
  check(R"({"a\"key":1,"dotted.key":2,"":3})");
}

TEST(JsonParse, DuplicateKeysKeepTheLastValueAtTheFirstPosition) {
  check(R"({"a":1,"b":2,"a":3})");
  EXPECT_EQ(parse_json(R"({"a":1,"a":2})")["a"], 2);
  EXPECT_EQ(parse_ordered_json(R"({"b":0,"a":1,"b":2})").dump(), R"({"b":2,"a":1})");
}

TEST(JsonParse, KeyOrderIsKeptInTheOrderedForm) {
  EXPECT_EQ(parse_ordered_json(R"({"z":1,"a":{"y":2,"b":3}})").dump(),
            R"({"z":1,"a":{"y":2,"b":3}})");
}

TEST(JsonParse, InvalidTextIsDiscarded) {
  for (const char* bad :
       {"", "{", "{\"a\":}", "[1,]", "nul", "{\"a\":1}x", "\"\xff\"", "01", "{'a':1}"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(parse_json(bad).is_discarded());
    EXPECT_TRUE(parse_ordered_json(bad).is_discarded());
  }
}

TEST(JsonParse, DeepNestingFallsBackToNlohmann) {
  std::string deep(3000, '[');
  deep += std::string(3000, ']');
  check(deep);
}

TEST(JsonParse, RandomDocumentsMatchNlohmann) {
  std::mt19937_64 rng(7);
  std::function<nlohmann::ordered_json(int)> gen = [&](int depth) -> nlohmann::ordered_json {
    switch (rng() % (depth > 3 ? 5 : 7)) {
      case 0:
        return nullptr;
      case 1:
        return rng() % 2 == 0;
      case 2:
        return static_cast<std::int64_t>(rng()) >> (rng() % 64);
      case 3:
        return std::ldexp(static_cast<double>(rng() % 100000) - 50000, rng() % 40 - 20);
      case 4: {
        std::string s;
        static const char* const kParts[] = {"a", "b", "\"", "\\", "\n", "\x01", "\xc3\xa9", "z"};
        for (int i = rng() % 8; i > 0; --i) s += kParts[rng() % 8];
        return s;
      }
      case 5: {
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        for (int i = rng() % 4; i > 0; --i) a.push_back(gen(depth + 1));
        return a;
      }
      default: {
        nlohmann::ordered_json o = nlohmann::ordered_json::object();
        for (int i = rng() % 5; i > 0; --i) o["k" + std::to_string(rng() % 6)] = gen(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 500; ++i) check(gen(0).dump());
}

}  // namespace
}  // namespace tributary
