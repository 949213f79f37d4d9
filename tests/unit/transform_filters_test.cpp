// Destination filters (transform/filters.h): order, drop, sample (random and consistent by
// path), drop/allow properties, and the checks of a filter list. Hash positions in comments were
// computed with node: MD5(JSON.stringify(value)), first 8 bytes / 2^64.
#include "tributary/transform/filters.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "tributary/transform/js_json.h"

namespace tributary::transform {
namespace {

ordered_json event() {
  return parse(R"({"type":"track","event":"Signed Up","userId":"u-1","messageId":"m1",
    "timestamp":"2024-01-01T00:00:00Z","receivedAt":"2024-01-01T00:00:01Z",
    "properties":{"plan":"pro","password":"hunter2","products":[{"sku":"a","newElement":1},{"sku":"b","newElement":2},"loose"]},
    "context":{"ip":"10.0.0.1","locale":"en"},"traits":{"email":"a@b.c","plan":"pro","age":30}})");
}

random_source fixed(double v) {
  return [v] { return v; };
}

condition_fn never() {
  return [](const ordered_json&) { return false; };
}

TEST(Filters, EmptyListSendsUnchanged) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({}, e, fixed(0.5)), std::nullopt);
  EXPECT_EQ(e, event());
}

TEST(Filters, DropWhenConditionHolds) {
  ordered_json e = event();
  const std::vector<filter> fs{
      drop_filter{[](const ordered_json& ev) { return ev["event"] == "Signed Up"; }}};
  EXPECT_EQ(apply_filters(fs, e, fixed(0.5)), "filters[0] drop");
}

TEST(Filters, DropSkippedWhenConditionFails) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({drop_filter{never()}}, e, fixed(0.5)), std::nullopt);
}

TEST(Filters, EmptyConditionMeansAll) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({drop_filter{}}, e, fixed(0.5)), "filters[0] drop");
}

TEST(Filters, StopsAtFirstDropInListOrder) {
  int later_calls = 0;
  std::vector<filter> fs{drop_properties_filter{{}, {"properties.password"}}, drop_filter{never()},
                         drop_filter{},
                         drop_filter{[&](const ordered_json&) { return ++later_calls > 0; }}};
  ordered_json e = event();
  EXPECT_EQ(apply_filters(fs, e, fixed(0.5)), "filters[2] drop");
  EXPECT_EQ(later_calls, 0);
  EXPECT_FALSE(e["properties"].contains("password"));
}

TEST(Filters, ConditionSeesEarlierEdits) {
  std::vector<filter> fs{
      drop_properties_filter{{}, {"userId"}},
      drop_filter{[](const ordered_json& ev) { return !ev.contains("userId"); }}};
  ordered_json e = event();
  EXPECT_EQ(apply_filters(fs, e, fixed(0.5)), "filters[1] drop");
}

TEST(Filters, ThrowingConditionDropsWithReason) {
  ordered_json e = event();
  const std::vector<filter> fs{sample_filter{
      [](const ordered_json&) -> bool { throw std::runtime_error("bad field"); }, 100, {}}};
  const auto r = apply_filters(fs, e, fixed(0.5));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "filters[0] sample: condition failed: bad field");
}

TEST(DropProperties, TopLevelKey) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({drop_properties_filter{{}, {"userId"}}}, e, fixed(0.5)), std::nullopt);
  EXPECT_FALSE(e.contains("userId"));
  EXPECT_TRUE(e.contains("event"));
}

TEST(DropProperties, NestedKeysOfSeveralObjects) {
  ordered_json e = event();
  apply_filters({drop_properties_filter{{}, {"properties.password", "context.ip"}}}, e, fixed(0.5));
  EXPECT_EQ(stringify(e["properties"]["plan"]), R"("pro")");
  EXPECT_FALSE(e["properties"].contains("password"));
  EXPECT_EQ(stringify(e["context"]), R"({"locale":"en"})");
}

TEST(DropProperties, EachElementOfAnArray) {
  ordered_json e = event();
  apply_filters({drop_properties_filter{{}, {"properties.products.newElement"}}}, e, fixed(0.5));
  EXPECT_EQ(stringify(e["properties"]["products"]), R"([{"sku":"a"},{"sku":"b"},"loose"])");
}

TEST(DropProperties, MissingOrNonObjectHolderIgnored) {
  ordered_json e = event();
  apply_filters({drop_properties_filter{{}, {"nope.x", "properties.plan.x", "event.length"}}}, e,
                fixed(0.5));
  EXPECT_EQ(e, event());
}

TEST(DropProperties, OnlyWhenConditionHolds) {
  ordered_json e = event();
  apply_filters({drop_properties_filter{never(), {"userId"}}}, e, fixed(0.5));
  EXPECT_TRUE(e.contains("userId"));
}

TEST(AllowProperties, KeepsListedKeysOfOneObjectInOrder) {
  ordered_json e = event();
  apply_filters({allow_properties_filter{{}, {"traits.plan", "traits.email"}}}, e, fixed(0.5));
  EXPECT_EQ(stringify(e["traits"]), R"({"email":"a@b.c","plan":"pro"})");
  EXPECT_EQ(e["context"], event()["context"]);
}

TEST(AllowProperties, EachElementOfAnArray) {
  ordered_json e = event();
  apply_filters({allow_properties_filter{{}, {"properties.products.sku"}}}, e, fixed(0.5));
  EXPECT_EQ(stringify(e["properties"]["products"]), R"([{"sku":"a"},{"sku":"b"},"loose"])");
}

TEST(AllowProperties, TopLevelKeepsProtectedFields) {
  ordered_json e = event();
  apply_filters({allow_properties_filter{{}, {"userId", "properties"}}}, e, fixed(0.5));
  std::string keys;
  for (const auto& kv : e.items()) keys += kv.key() + ",";
  EXPECT_EQ(keys, "type,userId,messageId,timestamp,receivedAt,properties,");
}

TEST(AllowProperties, ListedKeyAbsentLeavesEmptyObject) {
  ordered_json e = event();
  apply_filters({allow_properties_filter{{}, {"context.nothing"}}}, e, fixed(0.5));
  EXPECT_EQ(stringify(e["context"]), "{}");
}

TEST(Sample, ZeroPercentDropsEvenWhenRandomIsZero) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({sample_filter{{}, 0, {}}}, e, fixed(0.0)), "filters[0] sample");
  EXPECT_EQ(apply_filters({sample_filter{{}, -5, std::string("userId")}}, e, fixed(0.0)),
            "filters[0] sample");
}

TEST(Sample, HundredPercentKeepsEvenWhenRandomIsHigh) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({sample_filter{{}, 100, {}}}, e, fixed(0.99999)), std::nullopt);
  EXPECT_EQ(apply_filters({sample_filter{{}, 250, std::string("userId")}}, e, fixed(0.99999)),
            std::nullopt);
}

TEST(Sample, RandomKeepsAtOrBelowPercent) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({sample_filter{{}, 25, {}}}, e, fixed(0.25)), std::nullopt);
  EXPECT_EQ(apply_filters({sample_filter{{}, 25, {}}}, e, fixed(0.2501)), "filters[0] sample");
}

TEST(Sample, ConditionFalseSkipsSampling) {
  ordered_json e = event();
  EXPECT_EQ(apply_filters({sample_filter{never(), 0, {}}}, e, fixed(0.5)), std::nullopt);
}

TEST(SamplePosition, HashesTheJsonTextWithQuotes) {
  EXPECT_DOUBLE_EQ(sample_position("abc"), 0.921294497253643);    // MD5("\"abc\"")
  EXPECT_DOUBLE_EQ(sample_position("u-1"), 0.06619907684824121);  // MD5("\"u-1\"")
  EXPECT_DOUBLE_EQ(sample_position(nullptr), 0.21737895085312378);
  EXPECT_DOUBLE_EQ(sample_position(parse(R"({"b":1,"a":2})")), 0.3024425001966732);
}

TEST(SamplePosition, NumberHashedAsJsWritesIt) {
  EXPECT_DOUBLE_EQ(sample_position(1), 0.7687112224818731);
  EXPECT_DOUBLE_EQ(sample_position(1.0), sample_position(1));
}

TEST(SamplePosition, UndefinedHashesTheWordUndefined) {
  // MD5("undefined") begins 0x5e543256c480ac57 = 6797113085854264407.
  EXPECT_DOUBLE_EQ(sample_position(ordered_json(ordered_json::value_t::discarded)),
                   6797113085854264407.0 / 18446744073709551616.0);
}

TEST(Sample, PathDecisionAtTheHashBoundary) {
  ordered_json e =
      parse(R"({"userId":"abc","properties":{"id":"u-1"}})");  // 0.92129..., 0.06619...
  auto run = [&](double pct, const char* path) {
    ordered_json copy = e;
    return apply_filters({sample_filter{{}, pct, std::string(path)}}, copy, fixed(0.0)).has_value();
  };
  EXPECT_TRUE(run(92.0, "userId"));   // dropped
  EXPECT_FALSE(run(92.2, "userId"));  // kept
  EXPECT_TRUE(run(6.6, "$.properties.id"));
  EXPECT_FALSE(run(6.7, "properties.id"));
}

TEST(Sample, PathIgnoresTheRandomSource) {
  ordered_json e = parse(R"({"userId":"u-1"})");
  for (double r : {0.0, 0.5, 0.999}) {
    ordered_json copy = e;
    EXPECT_EQ(apply_filters({sample_filter{{}, 10, std::string("userId")}}, copy, fixed(r)),
              std::nullopt);
  }
}

TEST(Sample, SameValueSameDecisionAndLargerPercentKeepsSuperset) {
  std::set<int> kept30, kept60;
  for (int i = 0; i < 2000; ++i) {
    ordered_json e = ordered_json::object();
    e["userId"] = "user-" + std::to_string(i);
    auto keeps = [&](double pct) {
      ordered_json a = e, b = e;
      const bool first =
          !apply_filters({sample_filter{{}, pct, std::string("userId")}}, a, fixed(0.0));
      const bool again =
          !apply_filters({sample_filter{{}, pct, std::string("userId")}}, b, fixed(0.9));
      EXPECT_EQ(first, again);
      return first;
    };
    if (keeps(30)) kept30.insert(i);
    if (keeps(60)) kept60.insert(i);
  }
  for (int i : kept30) EXPECT_TRUE(kept60.count(i)) << i;
  EXPECT_GT(kept30.size(), 500u);  // about 600 expected of 2000
  EXPECT_LT(kept30.size(), 700u);
  EXPECT_GT(kept60.size(), 1100u);  // about 1200
  EXPECT_LT(kept60.size(), 1300u);
}

TEST(ValidateFilters, AcceptsAReasonableList) {
  const std::vector<filter> fs{drop_filter{}, sample_filter{{}, 10, std::string("userId")},
                               drop_properties_filter{{}, {"properties.password", "userId"}},
                               allow_properties_filter{{}, {"traits.email", "properties.type"}}};
  EXPECT_EQ(validate_filters(fs), std::nullopt);
}

TEST(ValidateFilters, RefusesProtectedTopLevelFields) {
  for (const char* f : {"type", "messageId", "timestamp", "receivedAt"}) {
    const auto d = validate_filters({drop_properties_filter{{}, {f}}});
    ASSERT_TRUE(d.has_value()) << f;
    EXPECT_NE(d->find(std::string("\"") + f + "\" cannot be filtered"), std::string::npos) << *d;
    EXPECT_TRUE(validate_filters({allow_properties_filter{{}, {f}}}).has_value()) << f;
  }
}

TEST(ValidateFilters, ReportsEveryProblemWithItsPosition) {
  const std::vector<filter> fs{sample_filter{{}, 150, {}}, drop_properties_filter{{}, {}},
                               allow_properties_filter{{}, {"traits..email", "type"}},
                               sample_filter{{}, 5, std::string("")}};
  const auto p = validate_filters(fs);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p,
            "filters[0] sample: percent must be a number from 0 to 100\n"
            "filters[1] drop_properties: fields must not be empty\n"
            "filters[2] allow_properties: field \"traits..email\" has an empty path segment\n"
            "filters[2] allow_properties: the top-level field \"type\" cannot be filtered\n"
            "filters[3] sample: path must not be empty");
}

TEST(ValidateFilters, RefusesNanPercent) {
  EXPECT_TRUE(validate_filters({sample_filter{{}, std::nan(""), {}}}).has_value());
}

TEST(DefaultRandomSource, StaysInUnitInterval) {
  auto r = default_random_source();
  double lo = 1, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const double v = r();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_LT(lo, 0.1);
  EXPECT_GT(hi, 0.9);
}

}  // namespace
}  // namespace tributary::transform
