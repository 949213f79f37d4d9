// Plain request/response helpers (http/message.h): percent-decoding, query parameters, JSON
// quoting.
#include "tributary/http/message.h"

#include <gtest/gtest.h>

namespace tributary::http {
namespace {

request with_query(std::string q) {
  request r;
  r.method = "GET";
  r.path = "/admin/v1/events";
  r.query = std::move(q);
  return r;
}

// ---- url_decode ----

TEST(UrlDecode, PlainTextIsUnchanged) {
  EXPECT_EQ(url_decode(""), "");
  EXPECT_EQ(url_decode("abc-._~123"), "abc-._~123");
}

TEST(UrlDecode, PercentEscapes) {
  EXPECT_EQ(url_decode("a%20b"), "a b");
  EXPECT_EQ(url_decode("%41%42%43"), "ABC");
  EXPECT_EQ(url_decode("%2B%2f%3D"), "+/=");
}

TEST(UrlDecode, LowerAndUpperHex) {
  EXPECT_EQ(url_decode("%e2%82%ac"), "\xe2\x82\xac");  // €
  EXPECT_EQ(url_decode("%E2%82%AC"), "\xe2\x82\xac");
}

TEST(UrlDecode, PlusIsSpaceOnlyInFormMode) {
  EXPECT_EQ(url_decode("a+b"), "a b");
  EXPECT_EQ(url_decode("a+b", true), "a b");
  EXPECT_EQ(url_decode("a+b", false), "a+b");
  EXPECT_EQ(url_decode("a%2Bb", false), "a+b");
}

TEST(UrlDecode, MalformedEscapesAreKeptVerbatim) {
  EXPECT_EQ(url_decode("%zz"), "%zz");
  EXPECT_EQ(url_decode("100%"), "100%");
  EXPECT_EQ(url_decode("%4"), "%4");
  EXPECT_EQ(url_decode("%"), "%");
  EXPECT_EQ(url_decode("%g1x"), "%g1x");
  EXPECT_EQ(url_decode("%%41"), "%A");
}

TEST(UrlDecode, EscapeAtTheVeryEnd) {
  EXPECT_EQ(url_decode("a%41"), "aA");
  EXPECT_EQ(url_decode("%41"), "A");
}

TEST(UrlDecode, NulByte) {
  EXPECT_EQ(url_decode("a%00b"), std::string("a\0b", 3));
}

// ---- request::param ----

TEST(RequestParam, FindsEachParameter) {
  auto r = with_query("after=5&limit=10");
  EXPECT_EQ(r.param("after"), "5");
  EXPECT_EQ(r.param("limit"), "10");
}

TEST(RequestParam, FallbackWhenAbsent) {
  auto r = with_query("after=5");
  EXPECT_EQ(r.param("limit"), "");
  EXPECT_EQ(r.param("limit", "100"), "100");
  EXPECT_EQ(with_query("").param("x", "dflt"), "dflt");
}

TEST(RequestParam, NamesMatchWholly) {
  auto r = with_query("limits=1&alimit=2");
  EXPECT_EQ(r.param("limit", "none"), "none");
}

TEST(RequestParam, KeyWithoutValueIsEmptyNotFallback) {
  EXPECT_EQ(with_query("flag&x=1").param("flag", "fb"), "");
  EXPECT_EQ(with_query("x=1&flag").param("flag", "fb"), "");
  EXPECT_EQ(with_query("flag=").param("flag", "fb"), "");
}

TEST(RequestParam, FirstOccurrenceWins) {
  EXPECT_EQ(with_query("a=1&a=2").param("a"), "1");
}

TEST(RequestParam, ValuesAndKeysAreDecoded) {
  auto r = with_query("q=hello+world%21&%6Bey=v&steps=Signed%20Up,Project%20Created");
  EXPECT_EQ(r.param("q"), "hello world!");
  EXPECT_EQ(r.param("key"), "v");
  EXPECT_EQ(r.param("steps"), "Signed Up,Project Created");
}

TEST(RequestParam, ValueMayContainEquals) {
  EXPECT_EQ(with_query("x=a=b").param("x"), "a=b");
}

TEST(RequestParam, EmptyPairsAreSkipped) {
  auto r = with_query("&&a=1&&b=2&");
  EXPECT_EQ(r.param("a"), "1");
  EXPECT_EQ(r.param("b"), "2");
}

TEST(RequestHeader, LooksUpLowercaseNamesFirstMatch) {
  request r;
  r.headers = {{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("x-a"), "1");
  EXPECT_EQ(r.header("authorization"), "");
}

// ---- json_quote ----

TEST(JsonQuote, PlainString) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("web"), "\"web\"");
}

TEST(JsonQuote, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(json_quote("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json_quote("C:\\path"), R"("C:\\path")");
}

TEST(JsonQuote, EscapesControlCharacters) {
  EXPECT_EQ(json_quote("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(json_quote(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
}

TEST(JsonQuote, KeepsUtf8AndPrintableAscii) {
  EXPECT_EQ(json_quote("Zoë 😀 / ~ \x7f"), "\"Zoë 😀 / ~ \x7f\"");
}

}  // namespace
}  // namespace tributary::http
