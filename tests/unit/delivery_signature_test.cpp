// Webhook signing (delivery/signature.h) against published HMAC test vectors, and the request a
// destination receives (delivery/request_builder.h): headers, batch bodies, what is signed.
#include <gtest/gtest.h>

#include "delivery/request_builder.h"
#include "delivery/signature.h"

namespace tributary::delivery {
namespace {

std::string header(const outgoing_request& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

config::destination sample_destination() {
  config::destination d;
  d.name = "hook";
  d.url = "https://sink.example.test:8443/in?key=1";
  d.parsed = {true, "sink.example.test", 8443, "/in?key=1", "https://sink.example.test:8443/in"};
  return d;
}

TEST(Hmac, Rfc2202Sha1) {
  EXPECT_EQ(hmac_sha1_hex("Jefe", "what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(hmac_sha1_hex(std::string(20, '\x0b'), "Hi There"),
            "b617318655057264e28bc0b6fb378c8ef146be00");
}

TEST(Hmac, Rfc4231Sha256) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signature, SegmentXSignatureIsHexSha1OfTheJson) {
  EXPECT_EQ(x_signature("secret", R"({"a":1})"), "f8446672f033e4b2beafc5ca3a71eafcd2cafb6e");
}

TEST(Signature, TributarySignatureCoversTimestampAndBody) {
  EXPECT_EQ(tributary_signature("secret", 1700000000, R"({"a":1})"),
            "t=1700000000,sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
}

TEST(BuildRequest, OneEventWithDefaultsAndConfiguredHeaders) {
  auto d = sample_destination();
  d.headers = {{"Authorization", "Bearer k"}, {"X-Extra", "1"}};
  auto r = build_request(d, {{"m-1", R"({"a":1})"}}, false, 1'700'000'000'123);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/in?key=1");
  EXPECT_EQ(r.host, "sink.example.test:8443");
  EXPECT_EQ(r.body, R"({"a":1})");
  ASSERT_EQ(r.headers.size(), 5u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "application/json");
  EXPECT_EQ(r.headers[1].second, "Tributary/" TRIBUTARY_VERSION);
  EXPECT_EQ(header(r, "Authorization"), "Bearer k");
  EXPECT_EQ(header(r, "Idempotency-Key"), "m-1");
  EXPECT_EQ(header(r, "X-Signature"), "<absent>");
  EXPECT_EQ(header(r, "X-Tributary-Signature"), "<absent>");
}

TEST(BuildRequest, ConfiguredHeadersReplaceDefaultsCaseInsensitively) {
  auto d = sample_destination();
  d.headers = {{"content-type", "application/vnd.x+json"}};
  auto r = build_request(d, {{"m", "{}"}}, false, 0);
  EXPECT_EQ(header(r, "Content-Type"), "application/vnd.x+json");
  EXPECT_EQ(r.headers.size(), 3u);
}

TEST(BuildRequest, SignedSingleEvent) {
  auto d = sample_destination();
  d.shared_secret = "secret";
  auto r = build_request(d, {{"m", R"({"a":1})"}}, false, 1'700'000'000'999);
  EXPECT_EQ(header(r, "X-Signature"), "f8446672f033e4b2beafc5ca3a71eafcd2cafb6e");
  EXPECT_EQ(header(r, "X-Tributary-Signature"),
            "t=1700000000,sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
}

TEST(BuildRequest, BatchIsAJsonArraySignedLikeSegment) {
  auto d = sample_destination();
  d.shared_secret = "secret";
  auto r = build_request(d, {{"first", R"({"a":1})"}, {"second", R"({"b":2})"}}, true,
                         1'700'000'000'000);
  EXPECT_EQ(r.body, R"([{"a":1},{"b":2}])");
  EXPECT_EQ(header(r, "Idempotency-Key"), "first");
  // X-Signature: the first event only (Segment's batch scheme); ours: the whole body.
  EXPECT_EQ(header(r, "X-Signature"), hmac_sha1_hex("secret", R"({"a":1})"));
  EXPECT_EQ(
      header(r, "X-Tributary-Signature"),
      "t=1700000000,sha256=" + hmac_sha256_hex("secret", std::string("1700000000.") + r.body));
}

TEST(BuildRequest, DefaultPortsAndIpv6InTheHostHeader) {
  auto d = sample_destination();
  d.parsed = {false, "::1", 80, "/", "http://[::1]/"};
  EXPECT_EQ(build_request(d, {{"m", "{}"}}, false, 0).host, "[::1]");
  d.parsed = {true, "a.test", 443, "/", "https://a.test/"};
  EXPECT_EQ(build_request(d, {{"m", "{}"}}, false, 0).host, "a.test");
  d.parsed = {false, "a.test", 443, "/", "http://a.test:443/"};
  EXPECT_EQ(build_request(d, {{"m", "{}"}}, false, 0).host, "a.test:443");
}

}  // namespace
}  // namespace tributary::delivery
