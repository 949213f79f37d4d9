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
  EXPECT_FALSE(decode(std::string("\x02", 1) + bytes.substr(1)).has_value()) << "unknown version";
  EXPECT_FALSE(decode(bytes + "x").has_value()) << "trailing bytes";
  // Every truncation is refused (none reads past the end: ASan would tell).
  for (std::size_t n = 1; n < bytes.size(); ++n)
    EXPECT_FALSE(decode(std::string_view(bytes).substr(0, n)).has_value()) << "length " << n;
}

TEST(ProfileCodec, IsSmallerThanJson) {
  profile p = rich();
  EXPECT_LT(encode(p).size(), to_json(p).dump().size());
}

}  // namespace
}  // namespace tributary::profile
