// The stored form of profiles (profile/codec.cpp): every field survives a round trip, records
// written as JSON by earlier versions still load, and damaged bytes are refused, not guessed.
#include <gtest/gtest.h>

#include "tributary/profile/profile.h"

namespace tributary::profile {
namespace {

profile rich() {
  profile p;
  p.id = "use_0123456789abcdef";
  p.created_at = 1'700'000'000'000;
  p.updated_at = 1'700'000'100'000;
  p.ids.push_back({"user_id", "u-1", "none", "web", 1'700'000'000'000, "m-1"});
  p.ids.push_back({"email", "ünï@example.com", "none", "backend", 1'700'000'000'500, "m-2"});
  p.traits["plan"] = {"trial", 1'699'999'999'000, "web"};
  p.traits["seats"] = {-3, 5, "web"};
  p.traits["big"] = {std::uint64_t{18'000'000'000'000'000'000ULL}, 6, "web"};
  p.traits["ratio"] = {0.1, 7, "web"};
  p.traits["nothing"] = {nullptr, 8, "web"};
  p.traits["flag"] = {false, 9, "web"};
  p.traits["nested"] = {nlohmann::json::parse(R"({"a":[1,"x",{"b":null}],"c":true})"), 10, "web"};
  p.groups["g-1"] = {{{"name", {"Acme", 11, "web"}}}, 12};
  p.first_message_id = "m-1", p.first_source_id = "web";
  p.last_message_id = "m-9", p.last_source_id = "backend";
  p.merged_from = {"use_aaaaaaaaaaaaaaaa", "use_bbbbbbbbbbbbbbbb"};
  p.computed["activation_score"] = {2, 13, "computed"};
  p.computed["odd_source"] = {3, 13, "elsewhere"};  // not the implied source: kept as written
  trait_state st;
  st.fingerprint = "0123456789abcdef";
  trait_partial part;
  part.count = 4;
  part.numbers = 2;
  part.sum = 10.5, part.min = -1, part.max = 11.5;
  part.frequency = {{"books", 3}, {"games", 1}};
  part.distinct = {"Project Created", "Task Assigned"};
  part.first_at = std::make_pair(millis{100}, std::uint64_t{7});
  part.first_value = "first";
  part.last_at = std::make_pair(millis{-200}, std::uint64_t{9});
  part.last_value = nlohmann::json::array({1, 2});
  st.buckets[1'700'000'000'000] = part;
  st.buckets[0] = trait_partial{};
  p.trait_states["favorite_category"] = st;
  p.trait_states["empty"] = trait_state{"ffff", {}};
  p.timer_due = 1'700'000'200'000;
  p.audiences["stuck_at_step_1"] = {true, 14, "audience"};
  return p;
}

TEST(ProfileCodec, RoundTripKeepsEveryField) {
  profile p = rich();
  auto back = decode(encode(p));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(to_json(*back), to_json(p));
  EXPECT_EQ(back->trait_states, p.trait_states);
  EXPECT_TRUE(back->traits["seats"].value.is_number_integer());
  EXPECT_TRUE(back->traits["big"].value.is_number_unsigned());
  EXPECT_TRUE(back->traits["ratio"].value.is_number_float());
}

TEST(ProfileCodec, MergedAwayProfileKeepsItsForward) {
  profile p;
  p.id = "use_1111111111111111";
  p.merged_into = "use_2222222222222222";
  auto back = decode(encode(p));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, p.id);
  EXPECT_EQ(back->merged_into, p.merged_into);
}

TEST(ProfileCodec, ReadsRecordsStoredAsJson) {
  profile p = rich();
  auto back = decode(to_json(p).dump());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(to_json(*back), to_json(p));
}

TEST(ProfileCodec, RefusesDamagedRecords) {
  std::string bytes = encode(rich());
  EXPECT_FALSE(decode("").has_value());
  EXPECT_FALSE(decode("{not json").has_value());
  EXPECT_FALSE(decode(std::string("\x03", 1) + bytes.substr(1)).has_value()) << "unknown version";
  EXPECT_FALSE(decode(bytes + "x").has_value()) << "trailing bytes";
  // Every truncation is refused (none reads past the end: ASan would tell).
  for (std::size_t n = 1; n < bytes.size(); ++n)
    EXPECT_FALSE(decode(std::string_view(bytes).substr(0, n)).has_value()) << "length " << n;
}

TEST(ProfileCodec, ReadsVersionOneRecords) {
  // Written by the version 1 encoder (sources and fingerprints in full).
  const std::string v1(
      "\x01\x14use_0123456789abcdef\x00\x80\xa0\xab\xfe\xf9\x62\xc0\xba\xb7\xfe\xf9\x62\x01"
      "\x07user_id\x03u-1\x04none\x03web\x80\xa0\xab\xfe\xf9\x62\x03m-1\x01\x04plan\x06"
      "\x05trial\x0a\x03web\x00\x00\x00\x00\x00\x00\x01\x10"
      "activation_score\x03\x04\x1a"
      "\x08"
      "computed\x01\x10last_active_date\x10"
      "0123456789abcdef\x01\x00\x08\x00\x00\x00\x00\x01\xc8\x01\x07\x06\x18"
      "2023-11-14T22:13:20.000Z\x00\x01\x0fstuck_at_step_1\x02\x1c\x08"
      "audience",
      222);
  auto p = decode(v1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->id, "use_0123456789abcdef");
  EXPECT_EQ(p->ids.at(0).value, "u-1");
  EXPECT_EQ(p->traits.at("plan").value, "trial");
  EXPECT_EQ(p->traits.at("plan").source, "web");
  EXPECT_EQ(p->computed.at("activation_score").value, 2);
  EXPECT_EQ(p->computed.at("activation_score").source, "computed");
  const trait_state& st = p->trait_states.at("last_active_date");
  EXPECT_EQ(st.fingerprint, "0123456789abcdef");
  EXPECT_EQ(st.buckets.at(0).count, 4);
  EXPECT_EQ(st.buckets.at(0).last_value, "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(p->audiences.at("stuck_at_step_1").source, "audience");
  // Written again in the current version: the same profile, in fewer bytes.
  std::string v2 = encode(*p);
  EXPECT_LT(v2.size(), v1.size());
  auto again = decode(v2);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(to_json(*again), to_json(*p));
}

TEST(ProfileCodec, IsSmallerThanJson) {
  profile p = rich();
  EXPECT_LT(encode(p).size(), to_json(p).dump().size());
}

}  // namespace
}  // namespace tributary::profile
