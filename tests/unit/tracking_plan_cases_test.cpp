// Runs the data-driven tracking plan cases in tests/cases/tracking_plan/*.yaml.
// Each file: `plan:` (the tracking_plan section) and `cases:`, each with a `message`
// (a batch item) and `expect`: blocked, block_reason, violations [{type, field}], omitted,
// omitted_on_violation, and optionally `event` / `properties` / `traits` of the stored event.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ingest/normalize.h"
#include "tributary/config/config.h"
#include "yaml_json.h"

namespace tributary {
namespace {

namespace fs = std::filesystem;

nlohmann::json to_json(const YAML::Node& n) {
  return test_support::yaml_to_json(n);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n)
    for (const auto& x : n) out.push_back(x.as<std::string>());
  return out;
}

struct plan_case {
  std::string file;
  std::string name;
  std::string plan_yaml;
  YAML::Node message;
  YAML::Node expect;
};

std::vector<plan_case> load_cases() {
  std::vector<plan_case> out;
  fs::path dir = fs::path(TRIBUTARY_CASES_DIR) / "tracking_plan";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    YAML::Node doc = YAML::LoadFile(f.string());
    std::string plan = doc["plan"].as<std::string>();
    for (const auto& c : doc["cases"])
      out.push_back(
          {f.filename().string(), c["name"].as<std::string>(), plan, c["message"], c["expect"]});
  }
  return out;
}

void PrintTo(const plan_case& c, std::ostream* os) {
  *os << c.file << ": " << c.name;
}

class TrackingPlanCase : public ::testing::TestWithParam<plan_case> {};

TEST_P(TrackingPlanCase, Conforms) {
  const plan_case& c = GetParam();
  std::string indented;
  std::istringstream lines(c.plan_yaml);
  for (std::string line; std::getline(lines, line);) indented += "  " + line + "\n";
  std::string text = "sources: {s: {write_keys: [k]}}\ntracking_plan:\n" + indented;
  auto loaded = config::load_from_string(text, c.file);
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].to_string();
  ASSERT_TRUE(loaded.cfg->tracking_plan);

  std::string msg = to_json(c.message).dump();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(msg).get(root), simdjson::SUCCESS);
  ingest::normalize_input in;
  in.received_at = 1'700'000'000'000;
  in.plan = loaded.cfg->tracking_plan.get();
  in.source = "s";
  auto n = ingest::normalize(root, std::nullopt, in);
  ASSERT_TRUE(n.ok()) << n.err().code << ": " << n.err().message;
  const auto& v = n.value().verdict;
  const YAML::Node& e = c.expect;

  EXPECT_EQ(v.blocked, e["blocked"] && e["blocked"].as<bool>());
  if (e["block_reason"]) EXPECT_EQ(v.block_reason, e["block_reason"].as<std::string>());
  std::vector<std::pair<std::string, std::string>> got, want;
  for (const auto& x : v.violations) got.emplace_back(x.type, x.field);
  if (e["violations"])
    for (const auto& x : e["violations"])
      want.emplace_back(x["type"].as<std::string>(), x["field"].as<std::string>());
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  auto sorted = [](std::vector<std::string> s) {
    std::sort(s.begin(), s.end());
    return s;
  };
  EXPECT_EQ(sorted(v.omitted), sorted(strings(e["omitted"])));
  EXPECT_EQ(sorted(v.omitted_on_violation), sorted(strings(e["omitted_on_violation"])));

  auto stored = nlohmann::json::parse(n.value().json);
  if (e["event"]) EXPECT_EQ(stored.value("event", ""), e["event"].as<std::string>());
  for (const char* field : {"properties", "traits", "context"}) {
    if (!e[field]) continue;
    auto expected = to_json(e[field]);
    if (std::string(field) == "context") {  // compare only the keys the case names
      for (auto& [k, val] : expected.items())
        EXPECT_EQ(stored["context"][k], val) << "context." << k;
    } else {
      EXPECT_EQ(stored[field], expected) << field;
    }
  }
  bool has_protocols = stored["context"].contains("protocols");
  EXPECT_EQ(has_protocols, v.touched())
      << "context.protocols present iff the plan touched the message";
  if (has_protocols) EXPECT_EQ(stored["context"]["protocols"]["sourceId"], "s");
}

INSTANTIATE_TEST_SUITE_P(Cases, TrackingPlanCase, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<plan_case>& info) {
                           return test_support::case_test_name(info.param.file, info.param.name,
                                                               info.index);
                         });

}  // namespace
}  // namespace tributary
