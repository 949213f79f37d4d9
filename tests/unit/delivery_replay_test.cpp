// Replay of a time range of the log to one destination (delivery/replay.h): finding where the
// range starts, and the outbox rows a replay writes through the destination's routing, on a
// real event log in a temporary directory.
#include "delivery/replay.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <future>

#include "config_util.h"
#include "delivery/outbox.h"
#include "test_util.h"

namespace tributary::delivery {
namespace {

constexpr millis kT0 = 1'700'000'000'000;

constexpr const char* kConfig = R"(sources:
  web:
    write_keys: [web-key]
destinations:
  tracks:
    type: webhook
    url: "http://127.0.0.1:9/tracks"
    subscribe: 'type = "track"'
    filters:
      - {drop: 'event = "Debug"'}
    mapping:
      name: {"@path": "$.event"}
      id: {"@path": "$.messageId"}
  all:
    type: webhook
    url: "http://127.0.0.1:9/all"
  known:
    type: webhook
    url: "http://127.0.0.1:9/known"
    require_traits: [email]
)";

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = test_support::open_test_log(dir_, clock_);
    ASSERT_TRUE(log_);
    holder_ = std::make_unique<config::holder>(load(kConfig));
  }

  static std::shared_ptr<const config::config> load(const std::string& text) {
    auto r = config::load_from_string(text, "replay.yaml");
    EXPECT_TRUE(r.errors.empty()) << config::test_util::dump(r);
    return r.cfg;
  }

  // One request received at `at`: its items get consecutive sequence numbers.
  void append(millis at, std::vector<std::string> events) {
    std::promise<eventlog::append_outcome> done;
    eventlog::append_request req;
    req.source = "web";
    req.received_at = at;
    for (auto& e : events) req.items.push_back({"", std::move(e)});
    req.done = [&](eventlog::append_outcome o) { done.set_value(std::move(o)); };
    log_->submit(std::move(req));
    auto outcome = done.get_future().get();
    ASSERT_EQ(outcome.status, eventlog::append_status::ok) << outcome.message;
  }

  static std::string track(const std::string& id, const std::string& event,
                           const std::string& extra = "") {
    return R"({"type":"track","userId":"u","event":")" + event + R"(","messageId":")" + id + "\"" +
           extra + "}";
  }

  replay_job job(const std::string& dest, millis from, millis to, std::uint64_t id = 7) {
    replay_status st;
    st.id = id;
    st.destination = dest;
    st.from = from;
    st.to = to;
    st.end_seq = log_->last_seq();
    return replay_job(*log_, *holder_, nullptr, clock_, st, [] { return 0.5; });
  }

  // Runs a job to the end in steps of `step` records; returns the number of steps.
  static int run(replay_job& j, std::size_t step = 500) {
    int steps = 1;
    while (j.step(step)) ++steps;
    return steps;
  }

  std::vector<std::pair<key_parts, outbox_row>> rows(const std::string& dest) {
    std::vector<std::pair<key_parts, outbox_row>> out;
    std::unique_ptr<rocksdb::Iterator> it(log_->state().db->NewIterator({}, log_->state().outbox));
    for (it->Seek(outbox_prefix(dest)); it->Valid() && it->key().starts_with(outbox_prefix(dest));
         it->Next()) {
      auto k = *parse_outbox_key(it->key().ToStringView());
      out.emplace_back(key_parts{"", k.seq, k.sub}, *decode_row(it->value().ToStringView()));
    }
    return out;
  }

  // seq 1 at T0; 2-3 at T0+1s; 4 at T0+2s; 5 at T0+3s; 6 at T0+10min.
  void typical_log() {
    append(kT0, {track("m1", "Before")});
    append(kT0 + 1000,
           {track("m2", "Debug"), R"({"type":"identify","userId":"u","messageId":"m3"})"});
    append(kT0 + 2000, {track("m4", "Excluded", R"(,"integrations":{"All":false})")});
    append(kT0 + 3000, {track("m5", "Kept")});
    append(kT0 + 600'000, {track("m6", "After")});
  }

  test_support::temp_dir dir_;
  manual_clock clock_{kT0 + 3'600'000};
  std::unique_ptr<eventlog::event_log> log_;
  std::unique_ptr<config::holder> holder_;
};

TEST(ReplaySub, TopBitMarksReplaysAndKeepsTheId) {
  EXPECT_EQ(replay_sub(1), 0x8000'0001u);
  EXPECT_TRUE(is_replay_sub(replay_sub(1)));
  EXPECT_FALSE(is_replay_sub(0));
  EXPECT_EQ(replay_id_of(replay_sub(12345)), 12345u);
  // Sorted after the live row of the same event, so never the same key.
  EXPECT_LT(outbox_key("d", 5, 0), outbox_key("d", 5, replay_sub(1)));
  EXPECT_LT(outbox_key("d", 5, replay_sub(1)), outbox_key("d", 6, 0));
}

TEST_F(Replay, StartIsFoundByBinarySearch) {
  for (int i = 0; i < 10; ++i) append(kT0 + i * 1000, {track("m" + std::to_string(i), "E")});
  const auto end = log_->last_seq();
  ASSERT_EQ(end, 10u);
  EXPECT_EQ(replay_start_after(*log_, kT0 - 1, end), 0u);
  EXPECT_EQ(replay_start_after(*log_, kT0, end), 0u);
  EXPECT_EQ(replay_start_after(*log_, kT0 + 1, end), 1u);
  EXPECT_EQ(replay_start_after(*log_, kT0 + 4000, end), 4u);  // seqs 1-4 are before it
  EXPECT_EQ(replay_start_after(*log_, kT0 + 4500, end), 5u);
  EXPECT_EQ(replay_start_after(*log_, kT0 + 99'000, end), 10u);
  EXPECT_EQ(replay_start_after(*log_, kT0 + 4000, 3), 3u);  // bounded by end_seq
}

TEST_F(Replay, EmptyLog) {
  EXPECT_EQ(replay_start_after(*log_, kT0, 0), 0u);
  auto j = job("all", kT0, kT0 + 1000);
  EXPECT_FALSE(j.step(100));
  EXPECT_EQ(j.status().state, replay_state::done);
  EXPECT_EQ(j.status().events_scanned, 0u);
  EXPECT_TRUE(rows("all").empty());
}

TEST_F(Replay, OnlyTheRangeThroughTheDestinationsRouting) {
  typical_log();
  auto j = job("tracks", kT0 + 1000, kT0 + 3000);
  run(j);
  const auto& st = j.status();
  EXPECT_EQ(st.state, replay_state::done);
  EXPECT_EQ(st.in_range, 4u);        // seqs 2 to 5
  EXPECT_EQ(st.enqueued, 1u);        // only m5: Debug dropped, identify not subscribed,
  EXPECT_EQ(st.skipped, 3u);         // m4 excluded by its integrations
  EXPECT_EQ(st.events_scanned, 5u);  // seq 1 is within the skew margin; seq 6 ends the scan
  EXPECT_EQ(st.first_seq, 2u);
  EXPECT_EQ(st.last_seq, 5u);
  EXPECT_GT(st.finished_at, 0);
  auto got = rows("tracks");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first.seq, 5u);
  EXPECT_EQ(got[0].first.sub, replay_sub(7));
  EXPECT_EQ(got[0].second.message_id, "m5");  // the Idempotency-Key is the event's messageId
  EXPECT_EQ(got[0].second.body, R"({"name":"Kept","id":"m5"})");  // mapped
  EXPECT_EQ(got[0].second.enqueued_at, clock_.now_ms());
  EXPECT_EQ(got[0].second.attempts, 0u);
  // No other destination got anything.
  EXPECT_TRUE(rows("all").empty());
  EXPECT_TRUE(rows("known").empty());
}

TEST_F(Replay, BoundsAreInclusiveAndBodiesUnchangedWithoutMapping) {
  typical_log();
  auto j = job("all", kT0 + 1000, kT0 + 2000);
  run(j);
  auto got = rows("all");
  ASSERT_EQ(got.size(), 2u);  // seq 4 is excluded by All: false
  EXPECT_EQ(got[0].first.seq, 2u);
  EXPECT_EQ(got[1].first.seq, 3u);
  EXPECT_EQ(got[1].second.body, R"({"type":"identify","userId":"u","messageId":"m3"})");
  EXPECT_EQ(j.status().skipped, 1u);
}

TEST_F(Replay, SmallStepsGiveTheSameResult) {
  typical_log();
  auto j = job("all", kT0, kT0 + 600'000);
  EXPECT_GE(run(j, 1), 6);
  EXPECT_EQ(j.status().in_range, 6u);
  EXPECT_EQ(rows("all").size(), 5u);
  EXPECT_EQ(j.status().enqueued, 5u);
}

TEST_F(Replay, EachReplayWritesItsOwnRows) {
  typical_log();
  auto a = job("all", kT0, kT0, 1);
  auto b = job("all", kT0, kT0, 2);
  run(a);
  run(b);
  auto got = rows("all");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first.sub, replay_sub(1));
  EXPECT_EQ(got[1].first.sub, replay_sub(2));
}

TEST_F(Replay, EventsAfterTheRequestAreNotRead) {
  typical_log();
  auto j = job("all", kT0 + 600'000, kT0 + 900'000);
  append(kT0 + 700'000, {track("late", "Late")});
  run(j);
  EXPECT_EQ(j.status().in_range, 1u);  // m6 only
  ASSERT_EQ(rows("all").size(), 1u);
  EXPECT_EQ(rows("all")[0].second.message_id, "m6");
}

TEST_F(Replay, FarRecordsAreNotScanned) {
  for (int i = 0; i < 50; ++i) append(kT0 + i * 3'600'000, {track("h" + std::to_string(i), "E")});
  auto j = job("all", kT0 + 20 * 3'600'000, kT0 + 22 * 3'600'000);
  run(j);
  EXPECT_EQ(j.status().in_range, 3u);
  EXPECT_EQ(j.status().events_scanned, 3u);  // the binary search skipped the first 20
}

TEST_F(Replay, ProfileConditionsWithoutAProfileSkip) {
  typical_log();
  auto j = job("known", kT0, kT0 + 600'000);
  run(j);
  EXPECT_EQ(j.status().enqueued, 0u);
  EXPECT_EQ(j.status().skipped, 6u);
}

TEST_F(Replay, RemovedDestinationFails) {
  typical_log();
  auto j = job("tracks", kT0, kT0 + 600'000);
  holder_->set(load(R"(sources:
  web:
    write_keys: [web-key]
)"));
  EXPECT_FALSE(j.step(100));
  EXPECT_EQ(j.status().state, replay_state::failed);
  EXPECT_NE(j.status().error.find("removed"), std::string::npos);
  EXPECT_TRUE(rows("tracks").empty());
}

TEST_F(Replay, InterruptStopsIt) {
  typical_log();
  auto j = job("all", kT0, kT0 + 600'000);
  ASSERT_TRUE(j.step(1));
  j.interrupt("stopping");
  EXPECT_EQ(j.status().state, replay_state::interrupted);
  EXPECT_FALSE(j.step(100));
  EXPECT_EQ(rows("all").size(), 1u);  // what the first step wrote stays
}

}  // namespace
}  // namespace tributary::delivery
