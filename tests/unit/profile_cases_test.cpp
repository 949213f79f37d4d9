// Runs the data-driven computed-trait and audience cases (tests/cases/traits/*.yaml and
// tests/cases/audiences/*.yaml) through the real event log and processor on RocksDB, on a
// simulated clock. Each file holds `computed_traits:` (that section's body, as text) or
// `config:` (YAML text with computed_traits and audiences sections), and `cases:`, each with a
// `start` time and `steps`:
//   send: EVENT or [EVENTS]     appended (received at the clock) and processed
//   at: ISO-TIME | advance: DUR set or move the clock, then let due timers run
//   expect: {USER: {TRAIT: VALUE}}  USER is a user id (or TYPE:VALUE); VALUE null = absent
//   members: {AUDIENCE: [USER...]}  exactly these profiles are members
//   reload: YAML-TEXT                new computed_traits/audiences sections take effect
//   emitted: [[EVENT, AUDIENCE, USER]...]  the Audience Entered/Exited events appended to the
//                                          log since the previous `emitted`, in order
// Every case runs twice: live (definitions active from the start), and as a backfill (events
// processed with no definitions, then the definitions loaded) checked against the last step
// (an `expect` or `members`) — so a backfill must equal the live computation.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <rocksdb/db.h>

#include <filesystem>
#include <set>
#include <thread>

#include "pipeline_util.h"
#include "processor/processor.h"
#include "test_util.h"
#include "tributary/common/time.h"
#include "tributary/config/holder.h"
#include "tributary/profile/profile_store.h"
#include "yaml_json.h"

namespace tributary {
namespace {

namespace fs = std::filesystem;

struct trait_case {
  std::string file, name, config_yaml;
  YAML::Node c;
  bool backfill = false;
  //! One event per batch and a cache of one profile, each batch processed while the previous
  //! one is still being written: what the processor thread does.
  bool pipelined = false;
};

void PrintTo(const trait_case& c, std::ostream* os) {
  *os << c.file << ": " << c.name << (c.backfill ? " (backfill)" : "")
      << (c.pipelined ? " (pipelined)" : "");
}

std::vector<trait_case> load_cases() {
  std::vector<trait_case> out;
  std::vector<fs::path> files;
  for (const char* dir : {"traits", "audiences"})
    for (const auto& e : fs::directory_iterator(fs::path(TRIBUTARY_CASES_DIR) / dir))
      if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    YAML::Node doc = YAML::LoadFile(f.string());
    std::string text;
    if (doc["computed_traits"]) {
      text = "computed_traits:\n";
      std::istringstream lines(doc["computed_traits"].as<std::string>());
      for (std::string line; std::getline(lines, line);) text += "  " + line + "\n";
    } else {
      text = doc["config"].as<std::string>();
    }
    for (const auto& c : doc["cases"]) {
      for (bool backfill : {false, true})
        out.push_back({f.filename().string(), c["name"].as<std::string>(), text, c, backfill});
      out.push_back({f.filename().string(), c["name"].as<std::string>(), text, c, false, true});
    }
  }
  return out;
}

std::shared_ptr<const config::config> load_config(const std::string& file,
                                                  const std::string& sections,
                                                  bool pipelined = false) {
  std::string text = "sources: {s: {write_keys: [k]}}\n" + sections;
  auto loaded = config::load_from_string(text, file);
  if (!loaded.errors.empty()) ADD_FAILURE() << loaded.errors[0].to_string();
  if (!loaded.cfg || !pipelined) return loaded.cfg;
  auto small = std::make_shared<config::config>(*loaded.cfg);  // below the YAML's minimums
  small->processor.batch_events = 1;
  small->processor.cache_profiles = 1;
  return small;
}

std::string describe(const profile::profile& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, t] : p.computed) j[k] = t.value;
  return j.dump();
}

void check(const profile::profile_reader& reader, const YAML::Node& expect,
           const std::string& when) {
  for (const auto& who : expect) {
    std::string key = who.first.as<std::string>();
    auto colon = key.find(':');
    auto p = colon == std::string::npos ? reader.find("user_id", key)
                                        : reader.find(key.substr(0, colon), key.substr(colon + 1));
    ASSERT_TRUE(p.has_value()) << when << ": no profile for " << key;
    for (const auto& t : who.second) {
      std::string trait = t.first.as<std::string>();
      nlohmann::json want = test_support::yaml_to_json(t.second);
      auto it = p->computed.find(trait);
      nlohmann::json got = it == p->computed.end() ? nlohmann::json() : it->second.value;
      EXPECT_EQ(got, want) << when << ": " << key << "." << trait << " (all: " << describe(*p)
                           << ")";
    }
  }
}

std::string user_of(const profile::profile& p) {
  for (const auto& e : p.ids)
    if (e.type == "user_id") return e.value;
  return p.ids.empty() ? p.id : p.ids.front().type + ":" + p.ids.front().value;
}

// Members of each audience from the member rows, checked against each profile's own record.
void check_members(eventlog::event_log& log, const profile::profile_reader& reader,
                   const YAML::Node& want, const std::string& when) {
  for (const auto& a : want) {
    std::string key = a.first.as<std::string>();
    std::set<std::string> expected, got;
    for (const auto& u : a.second) expected.insert(u.as<std::string>());
    const auto& s = log.state();
    std::unique_ptr<rocksdb::Iterator> it(s.db->NewIterator({}, s.audiences));
    std::string prefix = key + std::string(1, '\0');
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string pid = it->key().ToString().substr(prefix.size());
      auto p = reader.get(pid);
      ASSERT_TRUE(p.has_value()) << when << ": member row for missing profile " << pid;
      EXPECT_TRUE(p->audiences.count(key)) << when << ": row without membership on " << pid;
      got.insert(user_of(*p));
    }
    EXPECT_EQ(got, expected) << when << ": members of " << key;
  }
}

// Audience Entered/Exited events appended since `after` (advanced past them).
std::vector<std::vector<std::string>> emitted_since(eventlog::event_log& log,
                                                    std::uint64_t& after) {
  std::vector<std::vector<std::string>> out;
  for (const auto& rec : log.read(after, 100000)) {
    after = rec.seq;
    if (rec.source != processor::processor::kSynthesizedSource) continue;
    auto ev = nlohmann::json::parse(rec.json);
    if (ev.value("type", "") != "track") continue;
    out.push_back({ev.value("event", ""), ev["properties"].value("audience_key", ""),
                   ev.value("userId", ev.value("anonymousId", ""))});
  }
  return out;
}

class TraitCase : public ::testing::TestWithParam<trait_case> {};

TEST_P(TraitCase, Computes) {
  const trait_case& c = GetParam();
  auto full = load_config(c.file, c.config_yaml, c.pipelined);
  auto none = load_config(c.file, "", c.pipelined);
  ASSERT_TRUE(full && none);
  config::holder holder(c.backfill ? none : full);

  auto start = parse_iso8601(c.c["start"].as<std::string>("2026-01-01T00:00:00Z"));
  ASSERT_TRUE(start);
  manual_clock clock(*start);
  test_support::temp_dir dir;
  auto log = test_support::open_test_log(dir, clock);
  ASSERT_TRUE(log);
  processor::processor proc(*log, holder, &clock);
  profile::profile_reader reader(*log);
  // Process until nothing is left, including the events the processor itself appends.
  auto drain = [&] {
    for (int i = 0; i < 10000; ++i) {
      if (proc.run_once(!c.pipelined) > 0) continue;
      proc.flush();
      if (proc.counters().emits_in_flight.load() == 0 && proc.cursor() == log->last_seq()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::uint64_t emitted_after = 0;

  const YAML::Node steps = c.c["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const YAML::Node& step = steps[i];
    std::string when = fmt::format("step {} at {}", i + 1, format_iso8601(clock.now_ms()));
    if (auto s = step["send"]) {
      auto one = [&](const YAML::Node& ev) {
        test_support::append_normalized(*log, test_support::yaml_to_json(ev).dump(),
                                        clock.now_ms());
      };
      if (s.IsSequence())
        for (const auto& ev : s) one(ev);
      else
        one(s);
      if (HasFatalFailure()) return;
    } else if (auto a = step["at"]) {
      auto t = parse_iso8601(a.as<std::string>());
      ASSERT_TRUE(t) << when;
      clock.set(*t);
    } else if (auto d = step["advance"]) {
      auto ms = config::parse_duration(d.as<std::string>());
      ASSERT_TRUE(ms) << when;
      clock.advance(*ms);
    } else if (auto e = step["expect"]) {
      drain();
      if (!c.backfill) check(reader, e, when);
      continue;
    } else if (auto rl = step["reload"]) {
      auto next = load_config(c.file, rl.as<std::string>(), c.pipelined);
      ASSERT_TRUE(next) << when;
      full = next;  // what a backfill ends with
      if (c.backfill) continue;
      holder.set(next);
    } else if (auto m = step["members"]) {
      drain();
      if (!c.backfill) check_members(*log, reader, m, when);
      continue;
    } else if (auto em = step["emitted"]) {
      drain();
      std::vector<std::vector<std::string>> want;
      for (const auto& row : em) want.push_back(row.as<std::vector<std::string>>());
      auto got = emitted_since(*log, emitted_after);
      if (!c.backfill) {
        EXPECT_EQ(got, want) << when;
      }
      continue;
    } else {
      FAIL() << when << ": unknown step";
    }
    drain();
  }
  if (c.backfill) {
    const YAML::Node last = steps[steps.size() - 1];
    ASSERT_TRUE(last["expect"] || last["members"]) << "the last step must be expect or members";
    holder.set(full);
    drain();
    EXPECT_GT(proc.counters().backfill_done.load() + (reader.list("", 1).empty() ? 1 : 0), 0u);
    if (last["expect"]) check(reader, last["expect"], "after backfill");
    if (last["members"]) check_members(*log, reader, last["members"], "after backfill");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, TraitCase, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<trait_case>& info) {
                           return test_support::case_test_name(
                               info.param.file,
                               info.param.name + (info.param.backfill ? " backfill" : "") +
                                   (info.param.pipelined ? " pipelined" : ""),
                               info.index);
                         });

}  // namespace
}  // namespace tributary
