// Event expressions through the API: borrowing from the document, both JSON flavors, values,
// error positions and robustness against arbitrary input. Semantics case by case are in
// tests/cases/expr/*.yaml (expr_cases_test.cpp).
#include <gtest/gtest.h>

#include <random>

#include "tributary/expr/evaluate.h"

namespace tributary::expr {
namespace {

std::shared_ptr<const program> compile_event(std::string_view text) {
  auto r = compile(text, mode::event);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().to_string());
  return r.ok() ? r.value() : nullptr;
}

TEST(ExprEvent, StringsBorrowFromTheDocument) {
  auto p = compile_event("context.library.name");
  nlohmann::json e = {{"context", {{"library", {{"name", "analytics.js"}}}}}};
  value v = evaluate(*p, e);
  ASSERT_EQ(v.type(), kind::string);
  const std::string& stored = e["context"]["library"]["name"].get_ref<const std::string&>();
  EXPECT_EQ(v.as_string().data(), stored.data());
}

TEST(ExprEvent, ListsBorrowFromTheDocument) {
  auto p = compile_event("properties.items");
  nlohmann::ordered_json e = nlohmann::ordered_json::parse(R"({"properties":{"items":[1,2]}})");
  value v = evaluate(*p, e);
  ASSERT_EQ(v.type(), kind::list);
  EXPECT_EQ(v.as_ordered_json(), &e["properties"]["items"]);
  EXPECT_EQ(v.as_json(), nullptr);
  EXPECT_EQ(to_json(v), nlohmann::json::parse("[1,2]"));
}

TEST(ExprEvent, ObjectsCompareInDocumentOrder) {
  auto p = compile_event("properties.a = properties.b");
  const char* text = R"({"properties":{"a":{"x":1,"y":2},"b":{"y":2,"x":1}}})";
  // nlohmann::json keeps keys sorted, so the two objects serialize alike; ordered_json keeps
  // the order they were sent in, and then they differ (as JSON.stringify would say).
  EXPECT_TRUE(matches(*p, nlohmann::json::parse(text)));
  EXPECT_FALSE(matches(*p, nlohmann::ordered_json::parse(text)));
  EXPECT_TRUE(matches(*p, nlohmann::ordered_json::parse(
                              R"({"properties":{"a":{"x":1,"y":[2]},"b":{"x":1,"y":[2]}}})")));
}

TEST(ExprEvent, ComputedStringsOutliveTheEvaluation) {
  auto p = compile_event("lowercase(event)");
  value v;
  {
    nlohmann::json e = {{"event", "Order COMPLETED by a long-named customer"}};
    v = evaluate(*p, e);
  }
  EXPECT_EQ(v.as_string(), "order completed by a long-named customer");
}

TEST(ExprEvent, AllAloneIsAlwaysTrue) {
  for (const char* text : {"all", "  all\n", "true"}) {
    auto p = compile_event(text);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->always_true()) << text;
    EXPECT_TRUE(matches(*p, nlohmann::json::object())) << text;
  }
  auto path = compile_event("all = 1");  // elsewhere `all` is an ordinary field
  EXPECT_FALSE(path->always_true());
  EXPECT_TRUE(matches(*path, nlohmann::json{{"all", 1}}));
  EXPECT_FALSE(compile_event("type = 'track'")->always_true());
}

TEST(ExprEvent, EventProgramsListNoProfileReferences) {
  auto p = compile_event("traits.plan = 'x' and audiences.y and user_id = 'u'");
  EXPECT_TRUE(p->audiences().empty());
  EXPECT_TRUE(p->trait_paths().empty());
  EXPECT_TRUE(p->history().empty());
  EXPECT_FALSE(p->depends_on_time());
  EXPECT_EQ(p->kind(), mode::event);
  EXPECT_TRUE(matches(*p, nlohmann::json::parse(
                              R"({"traits":{"plan":"x"},"audiences":{"y":true},"user_id":"u"})")));
}

TEST(ExprEvent, ErrorToString) {
  auto r = compile("type = 'track' and\n  contains(event)", mode::event);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().line, 2);
  EXPECT_EQ(r.err().column, 17);
  EXPECT_EQ(r.err().offset, 35u);
  EXPECT_EQ(r.err().to_string(), "line 2, column 17: contains takes 2 arguments, got 1");
}

TEST(ExprEvent, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  auto r = compile(deep + "true" + std::string(5000, ')'), mode::event);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err().message.find("nested too deeply"), std::string::npos);
  std::string nots(5000, '!');
  EXPECT_FALSE(compile(nots + "true", mode::event).ok());
  std::string lists(5000, '[');
  EXPECT_FALSE(compile("1 in " + lists, mode::event).ok());
  // Moderate nesting is fine.
  auto ok = compile(std::string(50, '(') + "true" + std::string(50, ')'), mode::event);
  EXPECT_TRUE(ok.ok());
}

TEST(ExprEvent, LongChainsOfAndCompile) {
  std::string text = "type = 'track'";
  for (int i = 0; i < 2000; ++i) text += " and properties.x" + std::to_string(i) + " != 1";
  auto p = compile_event(text);
  ASSERT_TRUE(p);
  EXPECT_TRUE(matches(*p, nlohmann::json{{"type", "track"}}));
}

TEST(ExprEvent, ArbitraryInputNeverThrows) {
  const std::string alphabet = "ab.\\'\"()[],=!<>+-01 \n_*?éandornotintruefalsenull";
  std::mt19937 rng(12345);
  nlohmann::json event = {{"a", 1}, {"b", {{"c", "x"}}}};
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    const int len = static_cast<int>(rng() % 24);
    for (int k = 0; k < len; ++k) text += alphabet[rng() % alphabet.size()];
    for (mode m : {mode::event, mode::profile}) {
      auto r = compile(text, m);
      if (!r.ok()) {
        EXPECT_LE(r.err().offset, text.size()) << text;
        EXPECT_GE(r.err().line, 1);
        EXPECT_GE(r.err().column, 1);
        EXPECT_FALSE(r.err().message.empty()) << text;
      } else if (m == mode::event) {
        (void)evaluate(*r.value(), event);
      }
    }
  }
}

TEST(ExprValue, Kinds) {
  EXPECT_EQ(to_json(value()), nullptr);
  EXPECT_EQ(to_json(value::boolean(true)), true);
  EXPECT_EQ(to_json(value::number(2)), 2);
  EXPECT_TRUE(to_json(value::number(2)).is_number_integer());
  EXPECT_EQ(to_json(value::number(2.5)), 2.5);
  EXPECT_EQ(to_json(value::owned_string("x")), "x");
  EXPECT_EQ(to_json(value::time(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(to_json(value::duration(1500)), 1500);
  EXPECT_EQ(to_json(value::owned_node(nlohmann::json{{"a", {1, 2}}})),
            nlohmann::json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(kind_name(kind::list), "list");
  EXPECT_EQ(kind_name(kind::boolean), "bool");
}

TEST(ExprValue, Equality) {
  EXPECT_TRUE(equal(value(), value()));
  EXPECT_FALSE(equal(value::number(1), value::string("1")));
  EXPECT_TRUE(equal(value::number(1), value::number(1.0)));
  EXPECT_FALSE(equal(value::boolean(false), value()));
  EXPECT_TRUE(equal(value::time(0), value::string("1970-01-01T00:00:00Z")));
  EXPECT_TRUE(equal(value::string("1970-01-01T01:00:00+01:00"), value::time(0)));
  EXPECT_FALSE(equal(value::time(0), value::string("not a time")));
  EXPECT_FALSE(equal(value::time(0), value::duration(0)));
  nlohmann::json a = {1, "x"};
  nlohmann::ordered_json b = nlohmann::ordered_json::parse(R"([1,"x"])");
  EXPECT_TRUE(equal(value::node(a), value::node(b)));
  EXPECT_FALSE(equal(value::node(a), value::owned_node(nlohmann::json{1})));
}

}  // namespace
}  // namespace tributary::expr
