// Trait state arithmetic (profile/trait_state.cpp) and how profile expressions read a profile's
// traits (processor/profile_view.cpp).
#include <gtest/gtest.h>

#include "processor/profile_view.h"
#include "tributary/profile/trait_state.h"

namespace tributary::profile {
namespace {

TEST(TraitPartial, MergeReportsWhetherAnythingChanged) {
  trait_partial p;
  trait_partial none;
  EXPECT_FALSE(p.merge(none)) << "adding nothing";

  trait_partial one;
  one.count = 1;
  EXPECT_TRUE(p.merge(one));
  EXPECT_EQ(p.count, 1);

  trait_partial seen;
  seen.distinct = {"Project Created"};
  EXPECT_TRUE(p.merge(seen)) << "a new distinct value";
  EXPECT_FALSE(p.merge(seen)) << "the same distinct value again";

  trait_partial first;
  first.first_at = std::make_pair(millis{100}, std::uint64_t{2});
  first.first_value = "a";
  EXPECT_TRUE(p.merge(first));
  trait_partial later = first;
  later.first_at = std::make_pair(millis{200}, std::uint64_t{3});
  later.first_value = "b";
  EXPECT_FALSE(p.merge(later)) << "a later event is not first";
  EXPECT_EQ(p.first_value, "a");

  trait_partial last;
  last.last_at = std::make_pair(millis{300}, std::uint64_t{4});
  last.last_value = "c";
  EXPECT_TRUE(p.merge(last));
  trait_partial earlier = last;
  earlier.last_at = std::make_pair(millis{250}, std::uint64_t{9});
  EXPECT_FALSE(p.merge(earlier)) << "an earlier event is not last";

  trait_partial number;
  number.numbers = 1;
  number.sum = number.min = number.max = 0;
  EXPECT_TRUE(p.merge(number)) << "a number, even 0, is counted";
  EXPECT_EQ(p.numbers, 1);
}

TEST(ProfileView, OneTraitReadsAsTheWholeObjectDoes) {
  profile p;
  p.traits["plan"] = {"trial", 1, "web"};
  p.traits["score"] = {1, 1, "web"};
  p.computed["score"] = {3, 2, "computed"};        // a computed trait wins over a custom one
  p.computed["__a.stuck.0"] = {1, 2, "computed"};  // implicit ones are not traits
  config::config cfg;
  std::vector<std::string> terms;
  processor::profile_view view(p, terms, cfg, 0);
  const nlohmann::json& all = view.traits();
  EXPECT_EQ(all, (nlohmann::json{{"plan", "trial"}, {"score", 3}}));
  for (const char* key : {"plan", "score", "__a.stuck.0", "missing"}) {
    const nlohmann::json* one = view.trait(key);
    if (all.contains(key)) {
      ASSERT_NE(one, nullptr) << key;
      EXPECT_EQ(*one, all[key]) << key;
    } else {
      EXPECT_EQ(one, nullptr) << key;
    }
  }
}

}  // namespace
}  // namespace tributary::profile
