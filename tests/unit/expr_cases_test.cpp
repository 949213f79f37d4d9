// Runs the data-driven event-mode expression cases in tests/cases/expr/*.yaml (files without
// `profiles:`; those run in expr_profile_test.cpp).
//
// A file has `event:` (the default event) and `cases:`, each with `expr`, optionally its own
// `event`, and either `expect` (the result, as JSON) or `error` ({line, column, offset,
// message}: the compile error; message is a substring). `mode: profile` compiles in profile
// mode (for errors).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "tributary/expr/evaluate.h"
#include "yaml_json.h"

namespace tributary::expr {
namespace {

namespace fs = std::filesystem;

struct expr_case {
  std::string file;
  std::string expr;
  YAML::Node doc;
  YAML::Node c;
};

void PrintTo(const expr_case& c, std::ostream* os) {
  *os << c.file << ": " << c.expr;
}

std::vector<expr_case> load_cases() {
  std::vector<expr_case> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(TRIBUTARY_CASES_DIR) / "expr"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    YAML::Node doc = YAML::LoadFile(f.string());
    if (doc["profiles"]) continue;
    for (const auto& c : doc["cases"])
      out.push_back({f.filename().string(), c["expr"].as<std::string>(), doc, c});
  }
  return out;
}

class ExprCase : public ::testing::TestWithParam<expr_case> {};

TEST_P(ExprCase, Evaluates) {
  const expr_case& tc = GetParam();
  const YAML::Node& c = tc.c;
  mode m = mode::event;
  if (c["mode"]) m = c["mode"].as<std::string>() == "profile" ? mode::profile : mode::event;
  auto compiled = compile(tc.expr, m);

  if (c["error"]) {
    ASSERT_FALSE(compiled.ok()) << "compiled, but the case expects an error";
    const error& e = compiled.err();
    const YAML::Node& want = c["error"];
    EXPECT_EQ(e.line, want["line"] ? want["line"].as<int>() : 1) << e.to_string();
    if (want["column"]) {
      EXPECT_EQ(e.column, want["column"].as<int>()) << e.to_string();
    }
    if (want["offset"]) {
      EXPECT_EQ(e.offset, want["offset"].as<std::size_t>()) << e.to_string();
    }
    if (want["message"]) {
      EXPECT_NE(e.message.find(want["message"].as<std::string>()), std::string::npos)
          << e.to_string();
    }
    return;
  }
  ASSERT_TRUE(compiled.ok()) << compiled.err().to_string();
  ASSERT_TRUE(c["expect"].IsDefined()) << "a case needs `expect` or `error`";
  const program& p = *compiled.value();
  const nlohmann::json expect = test_support::yaml_to_json(c["expect"]);

  const YAML::Node& ev = c["event"] ? c["event"] : tc.doc["event"];
  const nlohmann::json event = test_support::yaml_to_json(ev);
  const auto ordered = nlohmann::ordered_json::parse(event.dump());
  EXPECT_EQ(to_json(evaluate(p, event)), expect);
  EXPECT_EQ(to_json(evaluate(p, ordered)), expect) << "ordered_json";
  EXPECT_EQ(matches(p, event), expect == true);
  EXPECT_EQ(matches(p, ordered), expect == true);
}

INSTANTIATE_TEST_SUITE_P(Cases, ExprCase, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<expr_case>& info) {
                           std::string name = info.param.expr.substr(0, 48);
                           return test_support::case_test_name(info.param.file, name, info.index);
                         });

}  // namespace
}  // namespace tributary::expr
