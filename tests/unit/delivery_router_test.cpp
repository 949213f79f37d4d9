// The router stage (delivery/router_stage.h): Segment's `integrations` rules, the decision hook,
// and the outbox rows it writes, on a real event log in a temporary directory.
#include "delivery/router_stage.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "delivery/policy.h"
#include "processor/processor.h"
#include "test_util.h"
#include "tributary/config/config.h"

namespace tributary::delivery {
namespace {

using nlohmann::ordered_json;
constexpr millis kNow = 1'700'000'000'000;

bool allow(const char* event_json, const std::string& dest) {
  return integrations_allow(ordered_json::parse(event_json), dest);
}

TEST(Integrations, AbsentOrEmptyAllowsAll) {
  EXPECT_TRUE(allow(R"({"type":"track"})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":{}})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":"nonsense"})", "braze"));
}

TEST(Integrations, NamedFalseExcludes) {
  EXPECT_FALSE(allow(R"({"integrations":{"braze":false}})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":{"braze":false}})", "crm"));
}

TEST(Integrations, AllFalseExcludesUnlessNamedTrue) {
  EXPECT_FALSE(allow(R"({"integrations":{"All":false}})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":{"All":false,"braze":true}})", "braze"));
  EXPECT_FALSE(allow(R"({"integrations":{"All":false,"braze":true}})", "crm"));
  // An options object enables the destination, as in Segment.
  EXPECT_TRUE(allow(R"({"integrations":{"All":false,"braze":{"appId":"x"}}})", "braze"));
}

TEST(Integrations, AllTrueWithNamedFalse) {
  EXPECT_FALSE(allow(R"({"integrations":{"All":true,"braze":false}})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":{"All":true,"braze":false}})", "crm"));
}

TEST(Integrations, CaseSensitiveNames) {
  EXPECT_TRUE(allow(R"({"integrations":{"Braze":false}})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":{"all":false}})", "braze"));  // only "All" counts
  EXPECT_FALSE(allow(R"({"integrations":{"All":false,"Braze":true}})", "braze"));
}

TEST(Integrations, NonBooleanValuesAreIgnored) {
  EXPECT_TRUE(allow(R"({"integrations":{"All":"false"}})", "braze"));
  EXPECT_TRUE(allow(R"({"integrations":{"braze":0}})", "braze"));
}

class RouterStage : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = test_support::open_test_log(dir_, clock_);
    ASSERT_TRUE(log_);
    for (const char* name : {"alpha", "beta"}) {
      config::destination d;
      d.name = name;
      cfg_.destinations.push_back(d);
    }
  }

  std::vector<std::pair<std::string, outbox_row>> rows() {
    std::vector<std::pair<std::string, outbox_row>> out;
    std::unique_ptr<rocksdb::Iterator> it(log_->state().db->NewIterator({}, log_->state().outbox));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out.emplace_back(it->key().ToString(), *decode_row(it->value().ToStringView()));
    return out;
  }

  test_support::temp_dir dir_;
  manual_clock clock_{kNow};
  std::unique_ptr<eventlog::event_log> log_;
  config::config cfg_;
};

TEST_F(RouterStage, OneRowPerDestinationWithKeyAndFields) {
  router_stage stage(log_->state(), clock_, nullptr);
  profile::profile p;
  p.id = "p-1";
  eventlog::log_record rec{42, kNow, "web",
                           R"({"type":"track","messageId":"m-42","event":"E","userId":"u"})"};
  auto ev = nlohmann::json::parse(rec.json);
  rocksdb::WriteBatch b;
  stage.on_event({rec, ev, &p, cfg_}, b);
  ASSERT_TRUE(log_->state().db->Write({}, &b).ok());
  auto got = rows();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, outbox_key("alpha", 42, 0));
  EXPECT_EQ(got[1].first, outbox_key("beta", 42, 0));
  const auto& r = got[0].second;
  EXPECT_EQ(r.message_id, "m-42");
  EXPECT_EQ(r.profile_id, "p-1");
  EXPECT_EQ(r.enqueued_at, kNow);
  EXPECT_EQ(r.attempts, 0u);
  EXPECT_EQ(r.next_attempt_at, 0);
  EXPECT_EQ(r.body, rec.json);  // key order kept, compact
}

TEST_F(RouterStage, KeyOrderOfTheLogIsKept) {
  router_stage stage(log_->state(), clock_, nullptr);
  eventlog::log_record rec{1, kNow, "web", R"({"z":1,"type":"identify","a":{"y":2,"b":3}})"};
  auto ev = nlohmann::json::parse(rec.json);  // sorted keys: the stage must not use this order
  rocksdb::WriteBatch b;
  stage.on_event({rec, ev, nullptr, cfg_}, b);
  ASSERT_TRUE(log_->state().db->Write({}, &b).ok());
  auto got = rows();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].second.body, rec.json);
  EXPECT_EQ(got[0].second.profile_id, "");  // no profile: not ordered with anything
  EXPECT_EQ(got[0].second.message_id, "seq-1");
}

TEST_F(RouterStage, IntegrationsAndHookDecide) {
  router_stage stage(log_->state(), clock_, nullptr);
  int calls = 0;
  stage.set_decide([&](const config::destination& d, const processor::event_context& ctx,
                       ordered_json& event) -> decision {
    ++calls;
    if (d.name == "beta") return {false, "filtered"};
    event["mapped"] = ctx.record.seq;
    return {};
  });
  eventlog::log_record rec{7, kNow, "web", R"({"type":"track","messageId":"m"})"};
  auto ev = nlohmann::json::parse(rec.json);
  rocksdb::WriteBatch b;
  stage.on_event({rec, ev, nullptr, cfg_}, b);
  eventlog::log_record excluded{
      8, kNow, "web", R"({"type":"track","messageId":"n","integrations":{"alpha":false}})"};
  auto ev2 = nlohmann::json::parse(excluded.json);
  stage.on_event({excluded, ev2, nullptr, cfg_}, b);
  ASSERT_TRUE(log_->state().db->Write({}, &b).ok());
  auto got = rows();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, outbox_key("alpha", 7, 0));
  EXPECT_EQ(got[0].second.body, R"({"type":"track","messageId":"m","mapped":7})");
  EXPECT_EQ(calls, 3);  // alpha and beta for seq 7; only beta for seq 8 (alpha excluded first)
}

TEST_F(RouterStage, ReplayRewritesTheSameRows) {
  router_stage stage(log_->state(), clock_, nullptr);
  eventlog::log_record rec{9, kNow, "web", R"({"type":"track","messageId":"m"})"};
  auto ev = nlohmann::json::parse(rec.json);
  for (int i = 0; i < 2; ++i) {
    rocksdb::WriteBatch b;
    stage.on_event({rec, ev, nullptr, cfg_}, b);
    ASSERT_TRUE(log_->state().db->Write({}, &b).ok());
  }
  EXPECT_EQ(rows().size(), 2u);
}

TEST_F(RouterStage, NoDestinationsNoRows) {
  router_stage stage(log_->state(), clock_, nullptr);
  cfg_.destinations.clear();
  eventlog::log_record rec{1, kNow, "web", R"({"type":"track"})"};
  auto ev = nlohmann::json::parse(rec.json);
  rocksdb::WriteBatch b;
  stage.on_event({rec, ev, nullptr, cfg_}, b);
  EXPECT_EQ(b.Count(), 0);
}

TEST_F(RouterStage, PrefilterSkipsDestinationsBeforeTheDecision) {
  router_stage stage(log_->state(), clock_, nullptr);
  std::vector<std::string> decided;
  stage.set_decide([&](const config::destination& d, const processor::event_context&,
                       ordered_json&) -> decision {
    decided.push_back(d.name);
    return {};
  });
  stage.set_prefilter([](const config::destination& d, const processor::event_context& ctx) {
    return d.name == "beta" && ctx.event.value("event", "") == "Wanted";
  });
  eventlog::log_record wanted{5, kNow, "web", R"({"type":"track","event":"Wanted"})"};
  eventlog::log_record other{6, kNow, "web", R"({"type":"track","event":"Other"})"};
  rocksdb::WriteBatch b;
  for (const auto* rec : {&wanted, &other}) {
    auto ev = nlohmann::json::parse(rec->json);
    stage.on_event({*rec, ev, nullptr, cfg_}, b);
  }
  ASSERT_TRUE(log_->state().db->Write({}, &b).ok());
  EXPECT_EQ(decided, std::vector<std::string>{"beta"});  // alpha, and all of seq 6, skipped
  auto got = rows();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, outbox_key("beta", 5, 0));
}

TEST(Subscribed, RulesOutWhatSubscribeRulesOutExceptEngageEvents) {
  auto loaded = config::load_from_string(R"(sources: {web: {write_keys: [k]}}
destinations:
  picky: {type: webhook, url: "http://127.0.0.1:9/", subscribe: 'event = "Signed Up"'}
  all: {type: webhook, url: "http://127.0.0.1:9/"}
)",
                                         "t.yaml");
  ASSERT_TRUE(loaded.cfg) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
  const auto& cfg = *loaded.cfg;
  ASSERT_EQ(cfg.destinations.size(), 2u);
  const auto& picky =
      cfg.destinations[0].name == "picky" ? cfg.destinations[0] : cfg.destinations[1];
  const auto& all = &picky == &cfg.destinations[0] ? cfg.destinations[1] : cfg.destinations[0];
  auto check = [&](const config::destination& d, const std::string& source, const char* json) {
    eventlog::log_record rec{1, kNow, source, json};
    auto ev = nlohmann::json::parse(json);
    return subscribed(d, {rec, ev, nullptr, cfg});
  };
  EXPECT_TRUE(check(picky, "web", R"({"type":"track","event":"Signed Up"})"));
  EXPECT_FALSE(check(picky, "web", R"({"type":"track","event":"Logged In"})"));
  EXPECT_TRUE(check(all, "web", R"({"type":"track","event":"Logged In"})"));
  // Synthesized (Engage) events are judged by decide(), by the destination's audiences.
  EXPECT_TRUE(check(picky, processor::processor::kSynthesizedSource,
                    R"({"type":"track","event":"Audience Entered"})"));
}

}  // namespace
}  // namespace tributary::delivery
