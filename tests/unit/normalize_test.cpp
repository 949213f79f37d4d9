// Validation and the stored form of Tracking API messages (ingest/normalize.h), and the compact
// JSON writer it uses (ingest/json_writer.h). No tracking plan is involved here.
#include "ingest/normalize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ingest/json_writer.h"
#include "tributary/common/time.h"

namespace tributary::ingest {
namespace {

using simdjson::dom::element;

constexpr millis kNow = 1577836800000;  // 2020-01-01T00:00:00.000Z, the server's receivedAt
constexpr const char* kNowText = "2020-01-01T00:00:00.000Z";

class NormalizeTest : public ::testing::Test {
 protected:
  NormalizeTest() { in_.received_at = kNow; }

  // Parses `json` and normalizes it with in_. The parsed input stays valid until the next call.
  result<normalized_message> run(std::string_view json,
                                 std::optional<call_type> forced = std::nullopt) {
    input_ = simdjson::padded_string(json);
    element e;
    auto err = in_parser_.parse(input_).get(e);
    if (err) ADD_FAILURE() << "test input is not JSON: " << json;
    return normalize(e, forced, in_);
  }

  // The error code of normalizing json, or "ok".
  std::string code(std::string_view json, std::optional<call_type> forced = std::nullopt) {
    auto r = run(json, forced);
    return r ? "ok" : r.err().code;
  }

  // Normalizes json (which must succeed) and parses the stored form back.
  element stored(std::string_view json, std::optional<call_type> forced = std::nullopt) {
    auto r = run(json, forced);
    if (!r) {
      ADD_FAILURE() << "normalize failed: " << r.err().code << ": " << r.err().message;
      return reparse("{}");
    }
    last_ = r.value();
    return reparse(last_.json);
  }

  element reparse(const std::string& json) {
    output_ = simdjson::padded_string(json);
    element e;
    auto err = out_parser_.parse(output_).get(e);
    EXPECT_EQ(err, simdjson::SUCCESS) << "stored form is not valid JSON: " << json;
    EXPECT_TRUE(e.is_object()) << json;
    return e;
  }

  normalize_input in_;
  normalized_message last_;
  simdjson::dom::parser in_parser_;
  simdjson::dom::parser out_parser_;
  simdjson::padded_string input_;
  simdjson::padded_string output_;
};

// The string at a JSON pointer, or nullopt when absent or not a string.
std::optional<std::string> str(element root, std::string_view pointer) {
  std::string_view s;
  if (root.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return std::string(s);
}

bool has(element root, std::string_view pointer) {
  element e;
  return root.at_pointer(pointer).get(e) == simdjson::SUCCESS;
}

size_t key_count(element obj) {
  simdjson::dom::object o;
  return obj.get_object().get(o) == simdjson::SUCCESS ? o.size() : 0;
}

// ---- call types ----

TEST(CallType, NamesRoundTrip) {
  for (auto t : {call_type::identify, call_type::track, call_type::page, call_type::screen,
                 call_type::group, call_type::alias})
    EXPECT_EQ(parse_call_type(call_type_name(t)), t);
  EXPECT_STREQ(call_type_name(call_type::screen), "screen");
  EXPECT_EQ(parse_call_type("Track"), std::nullopt);
  EXPECT_EQ(parse_call_type("batch"), std::nullopt);
  EXPECT_EQ(parse_call_type(""), std::nullopt);
}

TEST_F(NormalizeTest, MessageMustBeAnObject) {
  EXPECT_EQ(code(R"([{"type":"track"}])"), "invalid_message");
  EXPECT_EQ(code(R"("track")"), "invalid_message");
  EXPECT_EQ(code("null", call_type::track), "invalid_message");
}

TEST_F(NormalizeTest, TypeIsRequiredWithoutAnEndpointType) {
  EXPECT_EQ(code(R"({"event":"E","userId":"u"})"), "invalid_type");
  EXPECT_EQ(code(R"({"type":null,"event":"E","userId":"u"})"), "invalid_type");
  EXPECT_EQ(code(R"({"type":7,"event":"E","userId":"u"})"), "invalid_type");
}

TEST_F(NormalizeTest, UnknownTypeIsInvalid) {
  EXPECT_EQ(code(R"({"type":"Track","event":"E","userId":"u"})"), "invalid_type");
  EXPECT_EQ(code(R"({"type":"purchase","userId":"u"})"), "invalid_type");
  auto r = run(R"({"type":"purchase","userId":"u"})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("purchase"), std::string::npos);
}

TEST_F(NormalizeTest, EveryTypeFromTheBody) {
  EXPECT_EQ(code(R"({"type":"identify","userId":"u"})"), "ok");
  EXPECT_EQ(code(R"({"type":"track","userId":"u","event":"E"})"), "ok");
  EXPECT_EQ(code(R"({"type":"page","userId":"u"})"), "ok");
  EXPECT_EQ(code(R"({"type":"screen","anonymousId":"a"})"), "ok");
  EXPECT_EQ(code(R"({"type":"group","userId":"u","groupId":"g"})"), "ok");
  EXPECT_EQ(code(R"({"type":"alias","userId":"u","previousId":"p"})"), "ok");
}

TEST_F(NormalizeTest, EndpointTypeWinsOverTheBody) {
  auto doc = stored(R"({"type":"identify","userId":"u","event":"E"})", call_type::track);
  EXPECT_EQ(last_.type, call_type::track);
  EXPECT_EQ(str(doc, "/type"), "track");
}

TEST_F(NormalizeTest, EndpointTypeNeedsNoTypeField) {
  auto doc = stored(R"({"userId":"u"})", call_type::page);
  EXPECT_EQ(str(doc, "/type"), "page");
}

// ---- required fields ----

TEST_F(NormalizeTest, UserIdOrAnonymousIdIsRequired) {
  for (auto t : {call_type::identify, call_type::track, call_type::page, call_type::screen,
                 call_type::group})
    EXPECT_EQ(code(R"({"event":"E","groupId":"g"})", t), "missing_user_id") << call_type_name(t);
}

TEST_F(NormalizeTest, EmptyOrNullIdsCountAsMissing) {
  EXPECT_EQ(code(R"({"userId":"","anonymousId":null})", call_type::identify), "missing_user_id");
  EXPECT_EQ(code(R"({"userId":null})", call_type::identify), "missing_user_id");
}

TEST_F(NormalizeTest, AnonymousIdAloneIsEnough) {
  auto doc = stored(R"({"anonymousId":"anon-1","traits":{"plan":"trial"}})", call_type::identify);
  EXPECT_EQ(str(doc, "/anonymousId"), "anon-1");
  EXPECT_FALSE(has(doc, "/userId"));
}

TEST_F(NormalizeTest, TrackNeedsANonEmptyStringEvent) {
  EXPECT_EQ(code(R"({"userId":"u"})", call_type::track), "missing_event");
  EXPECT_EQ(code(R"({"userId":"u","event":""})", call_type::track), "missing_event");
  EXPECT_EQ(code(R"({"userId":"u","event":42})", call_type::track), "missing_event");
  EXPECT_EQ(code(R"({"userId":"u","event":null})", call_type::track), "missing_event");
}

TEST_F(NormalizeTest, OnlyTrackNeedsAnEvent) {
  EXPECT_EQ(code(R"({"userId":"u"})", call_type::page), "ok");
  EXPECT_EQ(code(R"({"userId":"u"})", call_type::identify), "ok");
}

TEST_F(NormalizeTest, GroupNeedsGroupId) {
  EXPECT_EQ(code(R"({"userId":"u"})", call_type::group), "missing_group_id");
  EXPECT_EQ(code(R"({"userId":"u","groupId":""})", call_type::group), "missing_group_id");
  auto doc =
      stored(R"({"userId":"u","groupId":"acme","traits":{"name":"Acme"}})", call_type::group);
  EXPECT_EQ(str(doc, "/groupId"), "acme");
}

TEST_F(NormalizeTest, AliasNeedsUserIdAndPreviousId) {
  EXPECT_EQ(code(R"({"previousId":"p"})", call_type::alias), "missing_user_id");
  EXPECT_EQ(code(R"({"anonymousId":"a","previousId":"p"})", call_type::alias), "missing_user_id");
  EXPECT_EQ(code(R"({"userId":"u"})", call_type::alias), "missing_previous_id");
  EXPECT_EQ(code(R"({"userId":"u","previousId":""})", call_type::alias), "missing_previous_id");
  auto doc = stored(R"({"userId":"u","previousId":"anon-9"})", call_type::alias);
  EXPECT_EQ(str(doc, "/userId"), "u");
  EXPECT_EQ(str(doc, "/previousId"), "anon-9");
}

// ---- field types ----

TEST_F(NormalizeTest, ObjectFieldsMustBeObjects) {
  EXPECT_EQ(code(R"({"userId":"u","event":"E","properties":[1]})", call_type::track),
            "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","traits":"vip"})", call_type::identify), "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","context":"web"})", call_type::page), "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","integrations":[]})", call_type::page), "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","properties":5})", call_type::screen), "invalid_field");
}

TEST_F(NormalizeTest, NullObjectFieldsAreAccepted) {
  EXPECT_EQ(code(R"({"userId":"u","event":"E","properties":null,"context":null,)"
                 R"("integrations":null,"traits":null})",
                 call_type::track),
            "ok");
}

TEST_F(NormalizeTest, IdsMustBeStringsOrNumbers) {
  EXPECT_EQ(code(R"({"userId":true})", call_type::identify), "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","anonymousId":{"id":1}})", call_type::identify), "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","groupId":["g"]})", call_type::group), "invalid_field");
  EXPECT_EQ(code(R"({"userId":"u","previousId":false})", call_type::alias), "invalid_field");
  auto r = run(R"({"userId":[1]})", call_type::identify);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("userId"), std::string::npos);
}

TEST_F(NormalizeTest, NumericIdsBecomeStrings) {
  auto doc = stored(R"({"userId":12345,"anonymousId":-7,"groupId":18446744073709551615})",
                    call_type::group);
  EXPECT_EQ(str(doc, "/userId"), "12345");
  EXPECT_EQ(str(doc, "/anonymousId"), "-7");
  EXPECT_EQ(str(doc, "/groupId"), "18446744073709551615");
}

TEST_F(NormalizeTest, FractionalNumericIdBecomesAString) {
  auto doc = stored(R"({"userId":1.5})", call_type::identify);
  EXPECT_EQ(str(doc, "/userId"), "1.5");
}

// ---- messageId ----

TEST_F(NormalizeTest, MessageIdIsKept) {
  auto doc = stored(R"({"userId":"u","messageId":"ajs-next-123"})", call_type::identify);
  EXPECT_EQ(last_.message_id, "ajs-next-123");
  EXPECT_EQ(str(doc, "/messageId"), "ajs-next-123");
}

TEST_F(NormalizeTest, MessageIdIsGeneratedWhenMissingOrNull) {
  auto doc = stored(R"({"userId":"u"})", call_type::identify);
  std::string first = last_.message_id;
  EXPECT_EQ(first.size(), 36u);
  EXPECT_EQ(str(doc, "/messageId"), first);
  stored(R"({"userId":"u","messageId":null})", call_type::identify);
  EXPECT_EQ(last_.message_id.size(), 36u);
  EXPECT_NE(last_.message_id, first);
}

TEST_F(NormalizeTest, MessageIdOfOneHundredCharactersIsAccepted) {
  std::string id(100, 'm');
  stored(R"({"userId":"u","messageId":")" + id + "\"}", call_type::identify);
  EXPECT_EQ(last_.message_id, id);
}

TEST_F(NormalizeTest, InvalidMessageIds) {
  std::string too_long(101, 'm');
  EXPECT_EQ(code(R"({"userId":"u","messageId":")" + too_long + "\"}", call_type::identify),
            "invalid_message_id");
  EXPECT_EQ(code(R"({"userId":"u","messageId":""})", call_type::identify), "invalid_message_id");
  EXPECT_EQ(code(R"({"userId":"u","messageId":42})", call_type::identify), "invalid_message_id");
  EXPECT_EQ(code(R"({"userId":"u","messageId":{"id":"x"}})", call_type::identify),
            "invalid_message_id");
}

// ---- rewritten and kept fields ----

TEST_F(NormalizeTest, WriteKeyIsDropped) {
  auto doc = stored(R"({"userId":"u","event":"E","writeKey":"secret"})", call_type::track);
  EXPECT_FALSE(has(doc, "/writeKey"));
  EXPECT_EQ(last_.json.find("secret"), std::string::npos);
}

TEST_F(NormalizeTest, OtherFieldsAreCopiedAsSent) {
  auto doc = stored(
      R"({"userId":"u","name":"Pricing","category":"Docs","properties":{"path":"/p","n":[1,{"a":null}]},)"
      R"("sentAt":"2020-01-01T00:00:00Z","version":2,"custom":true})",
      call_type::page);
  EXPECT_EQ(str(doc, "/name"), "Pricing");
  EXPECT_EQ(str(doc, "/category"), "Docs");
  EXPECT_EQ(str(doc, "/properties/path"), "/p");
  EXPECT_TRUE(doc.at_pointer("/properties/n/1/a").is_null());
  EXPECT_EQ(str(doc, "/sentAt"), "2020-01-01T00:00:00Z");
  EXPECT_EQ(doc.at_pointer("/version").get_int64().value(), 2);
  EXPECT_TRUE(doc.at_pointer("/custom").get_bool().value());
}

TEST_F(NormalizeTest, ClientReceivedAtIsReplaced) {
  auto doc = stored(R"({"userId":"u","receivedAt":"1999-01-01T00:00:00Z"})", call_type::identify);
  EXPECT_EQ(str(doc, "/receivedAt"), kNowText);
  EXPECT_EQ(last_.json.find("1999"), std::string::npos);
}

TEST_F(NormalizeTest, EveryStoredMessageHasTheNormalizedFields) {
  auto doc = stored(R"({"userId":"u","event":"E"})", call_type::track);
  EXPECT_EQ(str(doc, "/type"), "track");
  EXPECT_TRUE(has(doc, "/messageId"));
  EXPECT_TRUE(doc.at_pointer("/context").is_object());
  EXPECT_EQ(str(doc, "/timestamp"), kNowText);
  EXPECT_EQ(str(doc, "/receivedAt"), kNowText);
  EXPECT_FALSE(has(doc, "/originalTimestamp"));
  EXPECT_FALSE(has(doc, "/integrations"));
}

// ---- time ----

TEST_F(NormalizeTest, TimestampWithoutSentAtIsUsedAsIs) {
  auto doc =
      stored(R"({"userId":"u","timestamp":"2019-12-31T23:00:00+01:00"})", call_type::identify);
  EXPECT_EQ(str(doc, "/originalTimestamp"), "2019-12-31T23:00:00+01:00");  // verbatim
  EXPECT_EQ(str(doc, "/timestamp"), "2019-12-31T22:00:00.000Z");
  EXPECT_EQ(str(doc, "/receivedAt"), kNowText);
}

TEST_F(NormalizeTest, SentAtCorrectsClientClockSkew) {
  // The client clock runs an hour ahead; the event happened 5 s before the batch was sent.
  auto doc = stored(
      R"({"userId":"u","event":"E","timestamp":"2020-01-01T00:59:55Z","sentAt":"2020-01-01T01:00:00Z"})",
      call_type::track);
  EXPECT_EQ(str(doc, "/timestamp"), "2019-12-31T23:59:55.000Z");
  EXPECT_EQ(str(doc, "/originalTimestamp"), "2020-01-01T00:59:55Z");
  EXPECT_EQ(str(doc, "/receivedAt"), kNowText);
}

TEST_F(NormalizeTest, RudderStackOriginalTimestampIsTheClientTime) {
  auto doc = stored(R"({"userId":"u","event":"E","originalTimestamp":"2020-01-01T00:00:08.500Z",)"
                    R"("sentAt":"2020-01-01T00:00:10.000Z"})",
                    call_type::track);
  EXPECT_EQ(str(doc, "/timestamp"), "2019-12-31T23:59:58.500Z");
  EXPECT_EQ(str(doc, "/originalTimestamp"), "2020-01-01T00:00:08.500Z");
}

TEST_F(NormalizeTest, TimestampWinsOverOriginalTimestamp) {
  auto doc = stored(R"({"userId":"u","timestamp":"2019-06-01T00:00:00Z",)"
                    R"("originalTimestamp":"2018-01-01T00:00:00Z"})",
                    call_type::identify);
  EXPECT_EQ(str(doc, "/originalTimestamp"), "2019-06-01T00:00:00Z");
  EXPECT_EQ(str(doc, "/timestamp"), "2019-06-01T00:00:00.000Z");
  EXPECT_EQ(last_.json.find("2018"), std::string::npos);
}

TEST_F(NormalizeTest, NullTimestampCountsAsAbsent) {
  auto doc = stored(R"({"userId":"u","timestamp":null,"sentAt":null})", call_type::identify);
  EXPECT_EQ(str(doc, "/timestamp"), kNowText);
  EXPECT_FALSE(has(doc, "/originalTimestamp"));
}

TEST_F(NormalizeTest, SentAtWithoutTimestampLeavesReceivedAt) {
  auto doc = stored(R"({"userId":"u","sentAt":"2001-01-01T00:00:00Z"})", call_type::identify);
  EXPECT_EQ(str(doc, "/timestamp"), kNowText);
}

TEST_F(NormalizeTest, InvalidTimestamps) {
  EXPECT_EQ(code(R"({"userId":"u","timestamp":"yesterday"})", call_type::identify),
            "invalid_timestamp");
  EXPECT_EQ(code(R"({"userId":"u","timestamp":1577836800000})", call_type::identify),
            "invalid_timestamp");
  EXPECT_EQ(code(R"({"userId":"u","timestamp":"2020-02-30T00:00:00Z"})", call_type::identify),
            "invalid_timestamp");
  EXPECT_EQ(code(R"({"userId":"u","originalTimestamp":"soon"})", call_type::identify),
            "invalid_timestamp");
  auto r = run(R"({"userId":"u","timestamp":"2020-01-01T00:00:00Z","sentAt":"later"})",
               call_type::identify);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, "invalid_timestamp");
  EXPECT_NE(r.err().message.find("sentAt"), std::string::npos);
}

// ---- context, integrations, ip ----

TEST_F(NormalizeTest, ClientIpIsAddedWhenAbsent) {
  in_.client_ip = "203.0.113.9";
  auto doc = stored(R"({"userId":"u","context":{"locale":"en-US"}})", call_type::identify);
  EXPECT_EQ(str(doc, "/context/ip"), "203.0.113.9");
  EXPECT_EQ(str(doc, "/context/locale"), "en-US");
}

TEST_F(NormalizeTest, ClientIpIsAddedWithoutAContext) {
  in_.client_ip = "203.0.113.9";
  auto doc = stored(R"({"userId":"u"})", call_type::identify);
  EXPECT_EQ(str(doc, "/context/ip"), "203.0.113.9");
}

TEST_F(NormalizeTest, MessageIpIsKept) {
  in_.client_ip = "203.0.113.9";
  auto doc = stored(R"({"userId":"u","context":{"ip":"198.51.100.1"}})", call_type::identify);
  EXPECT_EQ(str(doc, "/context/ip"), "198.51.100.1");
  EXPECT_EQ(last_.json.find("203.0.113.9"), std::string::npos);
}

TEST_F(NormalizeTest, NoIpWithoutAClientAddress) {
  auto doc = stored(R"({"userId":"u"})", call_type::identify);
  EXPECT_FALSE(has(doc, "/context/ip"));
  EXPECT_EQ(key_count(doc.at_pointer("/context").value()), 0u);
}

TEST_F(NormalizeTest, BatchContextMergesUnderTheItemsOwn) {
  simdjson::dom::parser p;
  auto batch = p.parse(simdjson::padded_string(std::string_view(
      R"({"context":{"library":{"name":"batch-lib"},"locale":"en","ip":"192.0.2.1"},)"
      R"("batch":[{"userId":"u","context":{"library":{"name":"item-lib"},"page":{"path":"/"}}},)"
      R"({"userId":"v"}]})")));
  ASSERT_EQ(batch.error(), simdjson::SUCCESS);
  in_.batch_context = batch["context"].get_object().value();
  in_.client_ip = "203.0.113.9";

  auto r = normalize(batch["batch"].at(0).value(), call_type::identify, in_);
  ASSERT_TRUE(r);
  auto doc = reparse(r.value().json);
  EXPECT_EQ(str(doc, "/context/library/name"), "item-lib");  // the item's key wins whole
  EXPECT_EQ(str(doc, "/context/locale"), "en");              // the batch fills in
  EXPECT_EQ(str(doc, "/context/page/path"), "/");
  EXPECT_EQ(str(doc, "/context/ip"), "192.0.2.1");  // the batch's ip, not the socket's
  EXPECT_EQ(key_count(doc.at_pointer("/context").value()), 4u);

  auto r2 = normalize(batch["batch"].at(1).value(), call_type::identify, in_);
  ASSERT_TRUE(r2);
  auto doc2 = reparse(r2.value().json);
  EXPECT_EQ(str(doc2, "/context/library/name"), "batch-lib");
  EXPECT_EQ(str(doc2, "/context/ip"), "192.0.2.1");
}

TEST_F(NormalizeTest, IntegrationsMerge) {
  simdjson::dom::parser p;
  auto batch = p.parse(simdjson::padded_string(std::string_view(
      R"({"integrations":{"All":false,"Mixpanel":true},)"
      R"("batch":[{"userId":"u","integrations":{"Mixpanel":false,"Braze":true}}]})")));
  ASSERT_EQ(batch.error(), simdjson::SUCCESS);
  in_.batch_integrations = batch["integrations"].get_object().value();
  auto r = normalize(batch["batch"].at(0).value(), call_type::identify, in_);
  ASSERT_TRUE(r);
  auto doc = reparse(r.value().json);
  EXPECT_FALSE(doc.at_pointer("/integrations/All").get_bool().value());
  EXPECT_FALSE(doc.at_pointer("/integrations/Mixpanel").get_bool().value());
  EXPECT_TRUE(doc.at_pointer("/integrations/Braze").get_bool().value());
  EXPECT_EQ(key_count(doc.at_pointer("/integrations").value()), 3u);
  EXPECT_FALSE(has(doc, "/integrations/ip"));
}

TEST_F(NormalizeTest, OwnIntegrationsAreKept) {
  auto doc = stored(R"({"userId":"u","integrations":{"All":true,"Salesforce":false}})",
                    call_type::identify);
  EXPECT_TRUE(doc.at_pointer("/integrations/All").get_bool().value());
  EXPECT_FALSE(doc.at_pointer("/integrations/Salesforce").get_bool().value());
}

// ---- size limit ----

TEST_F(NormalizeTest, MessageOverTheLimitIsRejected) {
  std::string big(40 * 1024, 'x');
  auto r =
      run(R"({"userId":"u","event":"E","properties":{"blob":")" + big + "\"}}", call_type::track);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, "message_too_large");
  EXPECT_NE(r.err().message.find("32768"), std::string::npos) << r.err().message;
}

TEST_F(NormalizeTest, LargeContextOfTheMessageCounts) {
  in_.message_bytes = 1000;
  std::string big(1200, 'c');
  EXPECT_EQ(code(R"({"userId":"u","context":{"blob":")" + big + "\"}}", call_type::identify),
            "message_too_large");
}

TEST_F(NormalizeTest, LargeIntegrationsOfTheMessageCount) {
  in_.message_bytes = 1000;
  std::string big(1200, 'i');
  EXPECT_EQ(code(R"({"userId":"u","integrations":{"blob":")" + big + "\"}}", call_type::identify),
            "message_too_large");
}

TEST_F(NormalizeTest, MessageJustUnderTheLimitIsAccepted) {
  in_.message_bytes = 1000;
  std::string fill(800, 'x');
  EXPECT_EQ(code(R"({"userId":"u","properties":{"f":")" + fill + "\"}}", call_type::page), "ok");
}

TEST_F(NormalizeTest, BatchContextDoesNotCountAgainstTheMessage) {
  in_.message_bytes = 1000;
  simdjson::dom::parser p;
  std::string json = R"({"context":{"blob":")" + std::string(5000, 'b') +
                     R"("},"batch":[{"userId":"u","event":"E"}]})";
  auto batch = p.parse(simdjson::padded_string(json));
  ASSERT_EQ(batch.error(), simdjson::SUCCESS);
  in_.batch_context = batch["context"].get_object().value();
  auto r = normalize(batch["batch"].at(0).value(), call_type::track, in_);
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_GT(r.value().json.size(), 5000u);  // the merged context is stored in full
}

// ---- JSON fidelity ----

TEST_F(NormalizeTest, UnicodeAndEscapesSurvive) {
  auto doc = stored(
      R"({"userId":"Zo\u00eb","properties":{"name":"Zoë 😀 日本","esc":"q\"b\\s/n\nt\tc\u0001",)"
      R"("emoji":"\ud83d\ude00","nul":"a\u0000b"}})",
      call_type::identify);
  EXPECT_EQ(str(doc, "/userId"), "Zoë");
  EXPECT_EQ(str(doc, "/properties/name"), "Zoë 😀 日本");
  EXPECT_EQ(str(doc, "/properties/esc"), "q\"b\\s/n\nt\tc\x01");
  EXPECT_EQ(str(doc, "/properties/emoji"), "😀");
  EXPECT_EQ(str(doc, "/properties/nul"), std::string("a\0b", 3));
  // UTF-8 is stored as UTF-8, not as \u escapes; control characters are escaped.
  EXPECT_NE(last_.json.find("Zoë 😀 日本"), std::string::npos);
  EXPECT_NE(last_.json.find("\\u0001"), std::string::npos);
  EXPECT_NE(last_.json.find("\\u0000"), std::string::npos);
}

TEST_F(NormalizeTest, UnicodeKeysSurvive) {
  auto doc = stored(R"({"userId":"u","traits":{"prénom":"Zoë","a\"b":1}})", call_type::identify);
  EXPECT_EQ(str(doc, "/traits/prénom"), "Zoë");
  EXPECT_EQ(doc["traits"]["a\"b"].get_int64().value(), 1);
}

TEST_F(NormalizeTest, NumbersKeepTheirExactValues) {
  auto doc = stored(
      R"({"userId":"u","properties":{"i53":9007199254740993,"u64":18446744073709551615,)"
      R"("i64min":-9223372036854775808,"tenth":0.1,"huge":1e300,"tiny":-2.5e-10,"one":1.0,"zero":0}})",
      call_type::identify);
  EXPECT_EQ(doc.at_pointer("/properties/i53").get_int64().value(), 9007199254740993LL);
  EXPECT_EQ(doc.at_pointer("/properties/u64").get_uint64().value(),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(doc.at_pointer("/properties/i64min").get_int64().value(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(doc.at_pointer("/properties/tenth").get_double().value(), 0.1);
  EXPECT_EQ(doc.at_pointer("/properties/huge").get_double().value(), 1e300);
  EXPECT_EQ(doc.at_pointer("/properties/tiny").get_double().value(), -2.5e-10);
  EXPECT_EQ(doc.at_pointer("/properties/one").get_double().value(), 1.0);
  EXPECT_EQ(doc.at_pointer("/properties/zero").get_int64().value(), 0);
  EXPECT_NE(last_.json.find("9007199254740993"), std::string::npos);
  EXPECT_NE(last_.json.find("18446744073709551615"), std::string::npos);
}

TEST_F(NormalizeTest, OutputIsCompact) {
  stored("{ \"userId\" : \"u\" ,\n \"properties\" : { \"a\" : [ 1 , 2 ] } }", call_type::page);
  EXPECT_NE(last_.json.find(R"("properties":{"a":[1,2]})"), std::string::npos) << last_.json;
  EXPECT_EQ(last_.json.find(' '), std::string::npos) << last_.json;
}

// ---- json_writer ----

TEST(JsonWriter, AppendStringEscapes) {
  std::string out;
  append_string(out, "a\"b\\c\n\r\t\b\f\x1f\x7f/é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u001f\x7f/é\"");
}

TEST(JsonWriter, AppendKeyAddsCommasAfterTheFirst) {
  std::string out = "{";
  bool first = true;
  append_key(out, "a", first);
  out += "1";
  append_key(out, "b", first);
  out += "2}";
  EXPECT_EQ(out, R"({"a":1,"b":2})");
  EXPECT_FALSE(first);
}

TEST(JsonWriter, AppendElementRoundTripsADocument) {
  const std::string json =
      R"({"a":[true,false,null,-1,2.5,"s"],"b":{},"c":[],"d":{"e":{"f":18446744073709551615}}})";
  simdjson::dom::parser p;
  auto doc = p.parse(simdjson::padded_string(json));
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  std::string out;
  append_element(out, doc.value());
  EXPECT_EQ(out, json);
}

}  // namespace
}  // namespace tributary::ingest
