// Outbox keys and rows (delivery/outbox.h): byte layout, ordering, and round trips.
#include "delivery/outbox.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tributary::delivery {
namespace {

TEST(OutboxKey, LayoutIsNameNulSeqSub) {
  std::string k = outbox_key("braze", 0x0102030405060708ULL, 0x0a0b0c0d);
  EXPECT_EQ(k, std::string("braze\0\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d", 18));
  EXPECT_EQ(outbox_prefix("braze"), std::string("braze\0", 6));
  EXPECT_TRUE(k.starts_with(outbox_prefix("braze")));
}

TEST(OutboxKey, ByteOrderIsSeqThenSubOrder) {
  EXPECT_LT(outbox_key("d", 1), outbox_key("d", 2));
  EXPECT_LT(outbox_key("d", 255), outbox_key("d", 256));
  EXPECT_LT(outbox_key("d", 1, 9), outbox_key("d", 2, 0));
  EXPECT_LT(outbox_key("d", 7, 0), outbox_key("d", 7, 1));
  EXPECT_LT(outbox_key("d", 7, 1), outbox_key("d", 7, 256));
}

TEST(OutboxKey, PrefixesDoNotOverlapAcrossNames) {
  // "a" must not see "ab"'s rows, whatever their sequence numbers.
  EXPECT_FALSE(outbox_key("ab", 1).starts_with(outbox_prefix("a")));
  EXPECT_LT(outbox_key("a", ~0ULL, ~0U), outbox_key("ab", 0));
}

TEST(OutboxKey, DeterministicForReplays) {
  EXPECT_EQ(outbox_key("x", 42, 3), outbox_key("x", 42, 3));
}

TEST(OutboxKey, ParsesBack) {
  const std::string key = outbox_key("my dest", 123456789012ULL, 7);
  auto p = parse_outbox_key(key);  // views into key
  ASSERT_TRUE(p);
  EXPECT_EQ(p->destination, "my dest");
  EXPECT_EQ(p->seq, 123456789012ULL);
  EXPECT_EQ(p->sub, 7u);
  EXPECT_FALSE(parse_outbox_key("no-nul"));
  EXPECT_FALSE(parse_outbox_key(std::string("short\0\x01", 7)));
}

TEST(OutboxRow, RoundTrip) {
  outbox_row r;
  r.message_id = "msg-1";
  r.profile_id = "p-00000000000000a1";
  r.enqueued_at = 1'700'000'000'123;
  r.attempts = 3;
  r.next_attempt_at = 1'700'000'060'000;
  r.last_status = 503;
  r.last_error = "HTTP 503: busy";
  r.body = std::string("{\"a\":\"\0\xff\"}", 11);
  auto back = decode_row(encode_row(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message_id, r.message_id);
  EXPECT_EQ(back->profile_id, r.profile_id);
  EXPECT_EQ(back->enqueued_at, r.enqueued_at);
  EXPECT_EQ(back->attempts, 3u);
  EXPECT_EQ(back->next_attempt_at, r.next_attempt_at);
  EXPECT_EQ(back->last_status, 503);
  EXPECT_EQ(back->last_error, r.last_error);
  EXPECT_EQ(back->body, r.body);
}

TEST(OutboxRow, EmptyFieldsRoundTrip) {
  auto back = decode_row(encode_row(outbox_row{}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message_id, "");
  EXPECT_EQ(back->profile_id, "");
  EXPECT_EQ(back->attempts, 0u);
  EXPECT_EQ(back->body, "");
}

TEST(OutboxRow, RejectsOtherBytes) {
  outbox_row r;
  r.message_id = "m";
  std::string v = encode_row(r);
  EXPECT_FALSE(decode_row(""));
  EXPECT_FALSE(decode_row(v.substr(0, 10)));
  EXPECT_FALSE(decode_row(v.substr(0, v.size() - 5)));  // cut inside the strings
  v[0] = 2;
  EXPECT_FALSE(decode_row(v));
}

TEST(SerializeBody, CompactJsonInKeyOrder) {
  auto e = nlohmann::ordered_json::parse(
      R"({"type":"track","userId":"u","properties":{"b":1,"a":[1,"x",null,true]}})");
  EXPECT_EQ(serialize_body(e),
            R"({"type":"track","userId":"u","properties":{"b":1,"a":[1,"x",null,true]}})");
}

TEST(SerializeBody, NumbersAsJavaScriptWritesThem) {
  auto e = nlohmann::ordered_json::parse(R"({"a":100.0,"b":1.5,"c":1e21,"d":-0.0})");
  EXPECT_EQ(serialize_body(e), R"({"a":100,"b":1.5,"c":1e+21,"d":0})");
}

}  // namespace
}  // namespace tributary::delivery
