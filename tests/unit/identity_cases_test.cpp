// Runs the data-driven identity cases in tests/cases/identity/*.yaml through the real event log
// and processor on RocksDB in a temporary directory. Each file may set `identity:` (the config
// section) and holds `cases:`, each with `events` (batch items, normalized as the Tracking API
// does) and the expected `profiles`: their `ids` (type:value), and optionally `traits`,
// `groups` (ids) and `events` (how many history entries).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <future>
#include <set>

#include "ingest/normalize.h"
#include "pipeline_util.h"
#include "processor/processor.h"
#include "test_util.h"
#include "tributary/config/holder.h"
#include "tributary/profile/profile_store.h"
#include "yaml_json.h"

namespace tributary {
namespace {

namespace fs = std::filesystem;

struct identity_case {
  std::string file, name, identity_yaml;
  YAML::Node events, profiles;
};

void PrintTo(const identity_case& c, std::ostream* os) {
  *os << c.file << ": " << c.name;
}

std::vector<identity_case> load_cases() {
  std::vector<identity_case> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(TRIBUTARY_CASES_DIR) / "identity"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    YAML::Node doc = YAML::LoadFile(f.string());
    std::string identity = doc["identity"] ? doc["identity"].as<std::string>() : "";
    for (const auto& c : doc["cases"])
      out.push_back({f.filename().string(), c["name"].as<std::string>(), identity, c["events"],
                     c["profiles"]});
  }
  return out;
}

class IdentityCase : public ::testing::TestWithParam<identity_case> {
 protected:
  //! `pipelined`: one event per batch, each batch processed while the previous one is still
  //! being written (what the processor thread does); `small_cache`: a cache of one profile
  //! (and so of two ids), else everything stays cached from batch to batch.
  void run(bool pipelined, bool small_cache = false);
};

TEST_P(IdentityCase, ResolvesTo) {
  run(false);
}

TEST_P(IdentityCase, ResolvesToWithWritesInFlight) {
  run(true, true);
}

TEST_P(IdentityCase, ResolvesToOneEventPerBatchCached) {
  run(true, false);
}

void IdentityCase::run(bool pipelined, bool small_cache) {
  const identity_case& c = GetParam();
  std::string text = "sources: {s: {write_keys: [k]}}\n";
  if (!c.identity_yaml.empty()) {
    text += "identity:\n";
    std::istringstream lines(c.identity_yaml);
    for (std::string line; std::getline(lines, line);) text += "  " + line + "\n";
  }
  auto loaded = config::load_from_string(text, c.file);
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].to_string();
  auto cfg = std::make_shared<config::config>(*loaded.cfg);
  if (pipelined) cfg->processor.batch_events = 1;  // below the YAML's minimums
  if (small_cache) cfg->processor.cache_profiles = 1;
  config::holder holder(cfg);

  test_support::temp_dir dir;
  manual_clock clock(1'780'000'000'000);
  eventlog::options opts;
  opts.path = dir.str();
  opts.clock = &clock;
  auto opened = eventlog::event_log::open(opts);
  ASSERT_TRUE(opened.ok()) << opened.err().message;
  auto& log = *opened.value();

  // Each event is its own append, received one second after the previous one.
  for (const auto& ev : c.events) {
    test_support::append_normalized(log, test_support::yaml_to_json(ev).dump(), clock.now_ms());
    if (HasFatalFailure()) return;
    clock.advance(1000);
  }
  processor::processor proc(log, holder);
  while (proc.run_once(!pipelined) > 0) {
  }
  ASSERT_TRUE(proc.flush());
  ASSERT_EQ(proc.cursor(), log.last_seq());

  profile::profile_reader reader(log);
  auto actual = reader.list("", 1000);
  auto id_set = [](const profile::profile& p) {
    std::set<std::string> s;
    for (const auto& e : p.ids) s.insert(e.type + ":" + e.value);
    return s;
  };
  std::string got;
  for (const auto& p : actual) {
    got += "\n  [";
    for (const auto& k : id_set(p)) got += k + " ";
    got += "]";
  }
  ASSERT_EQ(actual.size(), c.profiles.size()) << "profiles:" << got;
  for (const auto& want : c.profiles) {
    std::set<std::string> ids;
    for (const auto& k : want["ids"]) ids.insert(k.as<std::string>());
    auto it =
        std::find_if(actual.begin(), actual.end(), [&](const auto& p) { return id_set(p) == ids; });
    ASSERT_NE(it, actual.end()) << "no profile with exactly these ids; profiles:" << got;
    if (want["traits"]) {
      nlohmann::json traits = nlohmann::json::object();
      for (const auto& [k, t] : it->traits) traits[k] = t.value;
      EXPECT_EQ(traits, test_support::yaml_to_json(want["traits"]));
    }
    if (want["groups"]) {
      std::set<std::string> groups, expected;
      for (const auto& [g, _] : it->groups) groups.insert(g);
      for (const auto& g : want["groups"]) expected.insert(g.as<std::string>());
      EXPECT_EQ(groups, expected);
    }
    if (want["events"]) {
      auto history = reader.history(it->id, std::numeric_limits<millis>::min() / 2,
                                    std::numeric_limits<millis>::max() / 2, true, 10'000, "");
      EXPECT_EQ(history.size(), want["events"].as<std::size_t>());
    }
  }
  // Every id resolves (through merges) to the profile that holds it.
  for (const auto& p : actual)
    for (const auto& e : p.ids) {
      auto found = reader.find(e.type, e.value);
      ASSERT_TRUE(found.has_value()) << e.type << ":" << e.value;
      EXPECT_EQ(found->id, p.id) << e.type << ":" << e.value;
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, IdentityCase, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<identity_case>& info) {
                           return test_support::case_test_name(info.param.file, info.param.name,
                                                               info.index);
                         });

}  // namespace
}  // namespace tributary

namespace tributary {
namespace {

// Segment refuses an identify with 300 or more traits; 299 pass.
TEST(IdentifyTraitsLimit, ThreeHundredTraitsAreRefused) {
  for (int n : {299, 300}) {
    nlohmann::json msg = {
        {"type", "identify"}, {"userId", "u"}, {"traits", nlohmann::json::object()}};
    for (int i = 0; i < n; ++i) msg["traits"]["t" + std::to_string(i)] = i;
    std::string text = msg.dump();
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS);
    ingest::normalize_input in;
    in.received_at = 1'700'000'000'000;
    auto r = ingest::normalize(root, std::nullopt, in);
    if (n < 300) {
      EXPECT_TRUE(r.ok()) << r.err().message;
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.err().code, "too_many_traits");
    }
  }
}

}  // namespace
}  // namespace tributary
