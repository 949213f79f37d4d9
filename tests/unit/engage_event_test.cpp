// The synthesized Engage events: their JSON text, and their staging until the log has them.
#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <nlohmann/json.hpp>

#include "pipeline_util.h"
#include "processor/engage_event.h"
#include "processor/processor.h"
#include "test_util.h"
#include "tributary/config/holder.h"
#include "tributary/profile/profile_store.h"

namespace tributary {
namespace {

profile::profile person(bool with_email) {
  profile::profile p;
  p.id = "p1";
  p.ids.push_back({"anonymous_id", "anon \"1\"", "", "s", 0, "m"});
  p.ids.push_back({"user_id", "u-\xc3\xa9\x01", "", "s", 0, "m"});
  p.ids.push_back({"user_id", "u-2", "", "s", 0, "m"});
  p.ids.push_back({"anonymous_id", "anon-2", "", "s", 0, "m"});
  if (with_email) p.traits["email"] = {nlohmann::json("a@example.com"), 0, "s"};
  return p;
}

processor::engage_fields audience_fields(const char* type) {
  return {type,         "Audience Entered",
          "personas_x", "2026-01-01T00:00:00.000Z",
          "audience",   "aud_1",
          "pros",       "sp",
          false,        {{"audience_key", "\"pros\""}, {"pros", "true"}}};
}

// nlohmann::json objects are sorted maps: its dump of the parsed text equals the text only if
// the keys are sorted and unique, and every value is printed as nlohmann prints it.
void expect_canonical(const std::string& text) {
  EXPECT_EQ(nlohmann::json::parse(text).dump(), text);
}

TEST(EngageEvent, TrackCarriesTheFirstIdsAndTheEmailInContextTraits) {
  auto text = processor::engage_json(person(true), audience_fields("track"));
  expect_canonical(text);
  auto ev = nlohmann::json::parse(text);
  EXPECT_EQ(ev["type"], "track");
  EXPECT_EQ(ev["event"], "Audience Entered");
  EXPECT_EQ(ev["userId"], "u-\xc3\xa9\x01");
  EXPECT_EQ(ev["anonymousId"], "anon \"1\"");
  EXPECT_EQ(ev["messageId"], "personas_x");
  EXPECT_EQ(ev["timestamp"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(ev["receivedAt"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(ev["properties"], nlohmann::json({{"audience_key", "pros"}, {"pros", true}}));
  EXPECT_EQ(ev["integrations"], nlohmann::json::object());
  EXPECT_EQ(ev["context"]["traits"], nlohmann::json({{"email", "a@example.com"}}));
  EXPECT_EQ(ev["context"]["library"], nlohmann::json({{"name", "tributary"}}));
  EXPECT_EQ(ev["context"]["personas"], nlohmann::json({{"computation_class", "audience"},
                                                       {"computation_id", "aud_1"},
                                                       {"computation_key", "pros"},
                                                       {"namespace", "spa_sp"},
                                                       {"space_id", "spa_sp"}}));
  EXPECT_FALSE(ev.contains("traits"));
}

TEST(EngageEvent, IdentifyCarriesTheEmailInTraitsAndItWinsOverAKeyNamedEmail) {
  auto f = audience_fields("identify");
  f.backfill = true;
  f.body = {{"zeta", "[1,2.5,null]"}, {"email", "false"}};
  auto text = processor::engage_json(person(true), f);
  expect_canonical(text);
  auto ev = nlohmann::json::parse(text);
  EXPECT_EQ(ev["type"], "identify");
  EXPECT_FALSE(ev.contains("event"));
  EXPECT_FALSE(ev.contains("properties"));
  EXPECT_FALSE(ev["context"].contains("traits"));
  EXPECT_EQ(ev["context"]["personas"]["backfill"], true);
  EXPECT_EQ(ev["traits"], nlohmann::json({{"email", "a@example.com"},
                                          {"zeta", nlohmann::json::parse("[1,2.5,null]")}}));
}

TEST(EngageEvent, WithoutIdsOrEmailTheirKeysAreLeftOut) {
  profile::profile p;
  p.id = "p1";
  p.ids.push_back({"email", "a@example.com", "", "s", 0, "m"});
  for (const char* type : {"track", "identify"}) {
    auto text = processor::engage_json(p, audience_fields(type));
    expect_canonical(text);
    auto ev = nlohmann::json::parse(text);
    EXPECT_FALSE(ev.contains("userId"));
    EXPECT_FALSE(ev.contains("anonymousId"));
    EXPECT_FALSE(ev["context"].contains("traits"));
  }
  auto f = audience_fields("identify");
  f.body.clear();
  EXPECT_EQ(nlohmann::json::parse(processor::engage_json(p, f))["traits"],
            nlohmann::json::object());
}

// One audience: profiles whose plan is "pro".
std::shared_ptr<const config::config> pros_audience() {
  auto loaded = config::load_from_string(
      "sources: {s: {write_keys: [k]}}\n"
      "audiences: {pros: {name: Pros, where: 'traits.plan = \"pro\"'}}\n",
      "test.yaml");
  EXPECT_TRUE(loaded.errors.empty()) << loaded.errors[0].to_string();
  return loaded.cfg;
}

// A batch's synthesized events are staged in the processor's commit; when the log refuses them,
// the next start appends them, once.
TEST(EngageEvent, StagedEventsTheLogRefusedAreAppendedAtTheNextStart) {
  test_support::temp_dir dir;
  manual_clock clock(1'767'225'600'000);  // 2026-01-01
  auto cfg = pros_audience();
  ASSERT_TRUE(cfg);
  config::holder holder(cfg);
  auto open = [&](bool full) {
    eventlog::options o;
    o.path = dir.str();
    o.sync = false;
    o.min_free_bytes = full ? (1ull << 62) : 0;  // "full": every append is refused
    o.clock = &clock;
    auto r = eventlog::event_log::open(o);
    return r.ok() ? std::move(r).value() : nullptr;
  };
  {
    auto log = open(false);
    ASSERT_TRUE(log);
    test_support::append_normalized(
        *log, R"({"type":"identify","userId":"u1","traits":{"plan":"pro"},"messageId":"m1"})",
        clock.now_ms());
    test_support::append_normalized(
        *log, R"({"type":"identify","userId":"u2","traits":{"plan":"pro"},"messageId":"m2"})",
        clock.now_ms());
    log->stop();
  }
  {
    auto log = open(true);
    ASSERT_TRUE(log);
    processor::processor proc(*log, holder, &clock);
    proc.run_once();
    EXPECT_EQ(proc.counters().audience_changes.load(), 2u);
    EXPECT_EQ(log->last_seq(), 2u);  // refused
  }
  auto log = open(false);
  ASSERT_TRUE(log);
  std::vector<std::string> got;
  {
    processor::processor proc(*log, holder, &clock);  // appends what is staged
    for (int i = 0; i < 5000 && proc.counters().emits_in_flight.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(proc.counters().emits_in_flight.load(), 0);
    for (const auto& rec : log->read(2, 100)) {
      EXPECT_EQ(rec.source, processor::processor::kSynthesizedSource);
      auto ev = nlohmann::json::parse(rec.json);
      got.push_back(ev.value("userId", "") + " " + ev.value("type", "") + " " +
                    ev.value("event", ""));
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"u1 identify ", "u1 track Audience Entered",
                                           "u2 identify ", "u2 track Audience Entered"}));
  // Nothing is left staged: a further start appends nothing.
  processor::processor again(*log, holder, &clock);
  EXPECT_EQ(again.counters().emits_in_flight.load(), 0);
  EXPECT_EQ(again.counters().synthesized.load(), 0u);
  EXPECT_EQ(log->last_seq(), 6u);
}

// What a stage sees of the synthesized events: the profile they were made for, or the one it
// was merged into before they were read back.
struct recording_stage : processor::stage {
  std::vector<std::pair<std::string, std::string>> seen;  // messageId, profile id
  void on_event(const processor::event_context& ctx, rocksdb::WriteBatch&) override {
    if (ctx.record.source != processor::processor::kSynthesizedSource) return;
    ASSERT_NE(ctx.profile, nullptr);
    EXPECT_TRUE(ctx.profile->merged_into.empty());
    seen.emplace_back(ctx.event.value("messageId", ""), ctx.profile->id);
  }
};

TEST(EngageEvent, StagesSeeSynthesizedEventsWithTheProfileTheyNowBelongTo) {
  test_support::temp_dir dir;
  manual_clock clock(1'767'225'600'000);
  auto cfg = pros_audience();
  ASSERT_TRUE(cfg);
  config::holder holder(cfg);
  auto log = test_support::open_test_log(dir, clock);
  ASSERT_TRUE(log);
  recording_stage stage;
  processor::processor proc(*log, holder, &clock);
  proc.add_stage(&stage);
  // u2 enters the audience, then, in the same batch, is merged into the older profile of a1.
  for (const char* ev :
       {R"({"type":"track","event":"Visit","anonymousId":"a1","messageId":"m1"})",
        R"({"type":"identify","userId":"u2","traits":{"plan":"pro"},"messageId":"m2"})",
        R"({"type":"identify","userId":"u2","anonymousId":"a1","messageId":"m3"})"})
    test_support::append_normalized(*log, ev, clock.now_ms());
  proc.run_once();
  ASSERT_EQ(proc.counters().merges.load(), 1u);
  for (int i = 0;
       i < 5000 && (proc.counters().emits_in_flight.load() > 0 || proc.cursor() < log->last_seq());
       ++i) {
    proc.run_once();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  profile::profile_reader reader(*log);
  auto survivor = reader.find("user_id", "u2");
  ASSERT_TRUE(survivor);
  ASSERT_EQ(stage.seen.size(), 2u);  // u2's identify and Audience Entered
  for (const auto& [mid, pid] : stage.seen) EXPECT_EQ(pid, survivor->id) << mid;
  EXPECT_EQ(survivor->id, reader.find("anonymous_id", "a1")->id);
}

}  // namespace
}  // namespace tributary
