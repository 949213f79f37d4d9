// The durable event log (eventlog/event_log.h) on a real RocksDB in a fresh temporary directory,
// with a manual clock so that dedupe windows and retention can be crossed on demand.
#include "tributary/eventlog/event_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include "test_util.h"

namespace tributary::eventlog {
namespace {

using namespace std::chrono_literals;

constexpr millis kStart = 1'700'000'000'000;  // 2023-11-14
constexpr millis kHour = 3'600'000;
constexpr auto kWait = 20s;  // generous: sanitizers and a busy machine

using tributary::test_support::temp_dir;

append_item item(std::string key, std::string json) {
  return {std::move(key), std::move(json)};
}

class EventLogTest : public ::testing::Test {
 protected:
  EventLogTest() : clock_(kStart) {
    opts_.path = dir_.str();
    opts_.clock = &clock_;
    opts_.sync = false;  // durability is RocksDB's job; keep the tests fast
    opts_.min_free_bytes = 0;
  }

  void open() {
    auto r = event_log::open(opts_);
    ASSERT_TRUE(r.ok()) << r.err().code << ": " << r.err().message;
    log_ = std::move(r).value();
  }

  void reopen() {
    log_.reset();  // the destructor stops and closes
    open();
  }

  // Submits and waits for `done`; fails the test (and returns `stopped`) if it never comes.
  append_outcome append(std::vector<append_item> items, std::vector<rejection> rejections = {},
                        std::string source = "web") {
    append_request req;
    req.source = std::move(source);
    req.received_at = clock_.now_ms();
    req.items = std::move(items);
    req.rejections = std::move(rejections);
    auto promise = std::make_shared<std::promise<append_outcome>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    calls_.push_back(calls);
    req.done = [promise, calls](append_outcome out) {
      if (calls->fetch_add(1) == 0) promise->set_value(std::move(out));
    };
    auto future = promise->get_future();
    log_->submit(std::move(req));
    if (future.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "done was not called within " << kWait.count() << " s";
      return {append_status::stopped, "timeout", {}};
    }
    return future.get();
  }

  append_outcome append_one(std::string key, std::string json = R"({"type":"track"})") {
    std::vector<append_item> items;
    items.push_back(item(std::move(key), std::move(json)));
    return append(std::move(items));
  }

  // Every `done` of this test ran exactly once.
  void TearDown() override {
    log_.reset();
    for (const auto& c : calls_) EXPECT_EQ(c->load(), 1);
  }

  temp_dir dir_;
  manual_clock clock_;
  options opts_;
  std::unique_ptr<event_log> log_;
  std::vector<std::shared_ptr<std::atomic<int>>> calls_;
};

std::vector<std::uint64_t> seqs_of(const std::vector<log_record>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r.seq);
  return out;
}

TEST_F(EventLogTest, EmptyLog) {
  open();
  EXPECT_EQ(log_->last_seq(), 0u);
  EXPECT_TRUE(log_->read(0, 10).empty());
  EXPECT_TRUE(log_->rejections(10).empty());
  EXPECT_TRUE(log_->writable());
}

TEST_F(EventLogTest, OpenFailsOnAFile) {
  std::string file = dir_.str() + "/not-a-dir";
  { std::ofstream(file) << "x"; }
  opts_.path = file + "/db";
  auto r = event_log::open(opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "storage_open_failed");
  EXPECT_FALSE(r.err().message.empty());
}

TEST_F(EventLogTest, AppendsGetConsecutiveSequences) {
  open();
  auto a = append({item("k1", "{\"n\":1}"), item("k2", "{\"n\":2}"), item("k3", "{\"n\":3}")});
  ASSERT_EQ(a.status, append_status::ok);
  EXPECT_EQ(a.seqs, (std::vector<std::uint64_t>{1, 2, 3}));
  auto b = append_one("k4");
  EXPECT_EQ(b.seqs, (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(log_->last_seq(), 4u);
  EXPECT_EQ(log_->counters().events_appended.load(), 4u);
}

TEST_F(EventLogTest, RecordsKeepSourceTimeAndJson) {
  open();
  clock_.set(kStart + 1234);
  append({item("k", R"({"event":"Signed Up","unicode":"Zoë 😀"})")}, {}, "backend");
  auto records = log_->read(0, 10);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].seq, 1u);
  EXPECT_EQ(records[0].source, "backend");
  EXPECT_EQ(records[0].received_at, kStart + 1234);
  EXPECT_EQ(records[0].json, R"({"event":"Signed Up","unicode":"Zoë 😀"})");
}

TEST_F(EventLogTest, ReadPagesOldestFirst) {
  open();
  for (int i = 1; i <= 10; ++i)
    append_one("k" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}");
  EXPECT_EQ(seqs_of(log_->read(0, 4)), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(seqs_of(log_->read(4, 4)), (std::vector<std::uint64_t>{5, 6, 7, 8}));
  EXPECT_EQ(seqs_of(log_->read(8, 4)), (std::vector<std::uint64_t>{9, 10}));
  EXPECT_TRUE(log_->read(10, 4).empty());
  EXPECT_TRUE(log_->read(1000, 4).empty());
  EXPECT_TRUE(log_->read(0, 0).empty());
  EXPECT_EQ(log_->read(6, 1).at(0).json, "{\"n\":7}");
}

TEST_F(EventLogTest, PagingVisitsEveryRecordOnce) {
  open();
  std::vector<append_item> items;
  for (int i = 0; i < 57; ++i) items.push_back(item("", "{}"));
  append(std::move(items));
  std::vector<std::uint64_t> seen;
  std::uint64_t after = 0;
  for (;;) {
    auto page = log_->read(after, 10);
    if (page.empty()) break;
    for (const auto& r : page) seen.push_back(r.seq);
    after = page.back().seq;
  }
  ASSERT_EQ(seen.size(), 57u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST_F(EventLogTest, ReopenResumesTheSequence) {
  open();
  append({item("a", "{}"), item("b", "{}")});
  reopen();
  EXPECT_EQ(log_->last_seq(), 2u);
  EXPECT_EQ(append_one("c").seqs, (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(seqs_of(log_->read(0, 10)), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(EventLogTest, WaitForReturnsOnceASequenceIsDurable) {
  open();
  EXPECT_EQ(log_->wait_for(0, 10ms), 0u);  // nothing yet: times out
  auto waiter = std::async(std::launch::async, [&] { return log_->wait_for(0, kWait); });
  append_one("x");
  ASSERT_EQ(waiter.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(waiter.get(), 1u);
  EXPECT_EQ(log_->wait_for(0, 0ms), 1u);
}

// ---- dedupe ----

TEST_F(EventLogTest, DuplicateKeyInOneRequestIsStoredOnce) {
  open();
  auto out = append({item("web\x1fm1", "{\"n\":1}"), item("web\x1fm1", "{\"n\":2}"),
                     item("web\x1fm2", "{\"n\":3}")});
  ASSERT_EQ(out.status, append_status::ok);
  EXPECT_EQ(out.seqs, (std::vector<std::uint64_t>{1, 0, 2}));
  auto records = log_->read(0, 10);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].json, "{\"n\":1}");  // the first copy is the one kept
  EXPECT_EQ(records[1].json, "{\"n\":3}");
  EXPECT_EQ(log_->counters().duplicates.load(), 1u);
}

TEST_F(EventLogTest, DuplicateAcrossRequestsGetsSequenceZero) {
  open();
  EXPECT_EQ(append_one("m1").seqs, (std::vector<std::uint64_t>{1}));
  clock_.advance(kHour);
  auto again = append_one("m1");
  EXPECT_EQ(again.status, append_status::ok);              // acknowledged ...
  EXPECT_EQ(again.seqs, (std::vector<std::uint64_t>{0}));  // ... but not stored
  EXPECT_EQ(log_->last_seq(), 1u);
  EXPECT_EQ(log_->read(0, 10).size(), 1u);
}

TEST_F(EventLogTest, DifferentKeysAreNotDuplicates) {
  open();
  EXPECT_EQ(append_one("web\x1fm1").seqs[0], 1u);
  EXPECT_EQ(append_one("ios\x1fm1").seqs[0], 2u);
}

TEST_F(EventLogTest, EmptyKeyIsNeverDeduplicated) {
  open();
  auto out = append({item("", "{}"), item("", "{}")});
  EXPECT_EQ(out.seqs, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(append_one("").seqs[0], 3u);
}

TEST_F(EventLogTest, DedupeSurvivesReopen) {
  open();
  append_one("m1");
  reopen();
  EXPECT_EQ(append_one("m1").seqs, (std::vector<std::uint64_t>{0}));
  EXPECT_EQ(append_one("m2").seqs, (std::vector<std::uint64_t>{2}));
}

TEST_F(EventLogTest, DedupeHoldsUntilTheEndOfTheWindow) {
  opts_.dedupe_window = 24 * kHour;
  open();
  append_one("m1");
  clock_.advance(24 * kHour);  // exactly at the window's end: still a duplicate
  EXPECT_EQ(append_one("m1").seqs[0], 0u);
}

TEST_F(EventLogTest, DedupeEndsAfterTheWindow) {
  opts_.dedupe_window = 24 * kHour;
  open();
  append_one("m1");
  clock_.advance(24 * kHour + 1);
  EXPECT_EQ(append_one("m1").seqs, (std::vector<std::uint64_t>{2}));
  // The new copy starts a new window.
  clock_.advance(kHour);
  EXPECT_EQ(append_one("m1").seqs, (std::vector<std::uint64_t>{0}));
}

TEST_F(EventLogTest, DedupeWindowIsHonouredAfterReopen) {
  opts_.dedupe_window = kHour;
  open();
  append_one("m1");
  reopen();
  clock_.advance(2 * kHour);
  EXPECT_EQ(append_one("m1").seqs, (std::vector<std::uint64_t>{2}));
}

// ---- rejections ----

rejection make_rejection(millis at, std::string code, int index = -1) {
  return {at, "web", std::move(code), "because " + std::to_string(at), index, R"({"bad":true})"};
}

TEST_F(EventLogTest, RejectionsAreListedNewestFirst) {
  open();
  append({}, {make_rejection(kStart + 1, "missing_event", 3)});
  append({}, {make_rejection(kStart + 3, "invalid_json")});
  append({}, {make_rejection(kStart + 2, "missing_user_id", 0)});
  auto list = log_->rejections(10);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_NE(list[0].find("\"invalid_json\""), std::string::npos) << list[0];
  EXPECT_NE(list[1].find("\"missing_user_id\""), std::string::npos) << list[1];
  EXPECT_NE(list[2].find("\"missing_event\""), std::string::npos) << list[2];
  EXPECT_EQ(log_->rejections(1).size(), 1u);
  EXPECT_EQ(log_->last_seq(), 0u);  // rejections take no sequence numbers
}

TEST_F(EventLogTest, RejectionsWithTheSameTimeKeepArrivalOrder) {
  open();
  append({}, {make_rejection(kStart, "first"), make_rejection(kStart, "second")});
  append({}, {make_rejection(kStart, "third")});
  auto list = log_->rejections(10);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_NE(list[0].find("third"), std::string::npos);
  EXPECT_NE(list[1].find("second"), std::string::npos);
  EXPECT_NE(list[2].find("first"), std::string::npos);
}

TEST_F(EventLogTest, RejectionHasEveryField) {
  open();
  append({}, {make_rejection(kStart + 5, "missing_event", 7)});
  auto list = log_->rejections(10);
  ASSERT_EQ(list.size(), 1u);
  const std::string& j = list[0];
  EXPECT_NE(j.find("\"at\":" + std::to_string(kStart + 5)), std::string::npos) << j;
  EXPECT_NE(j.find(R"("source":"web")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("code":"missing_event")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("message":"because )"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("index":7)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("payload":"{\"bad\":true}")"), std::string::npos) << j;
}

TEST_F(EventLogTest, RejectionWithoutIndexOmitsIt) {
  open();
  append({}, {make_rejection(kStart, "invalid_json", -1)});
  EXPECT_EQ(log_->rejections(1).at(0).find("\"index\""), std::string::npos);
}

TEST_F(EventLogTest, RejectionWithInvalidUtf8IsStillStored) {
  open();
  rejection r = make_rejection(kStart, "invalid_json");
  r.payload = "\xff\xfe not utf-8";
  append({}, {r});
  auto list = log_->rejections(1);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_NE(list[0].find("not utf-8"), std::string::npos);
}

TEST_F(EventLogTest, EventsAndRejectionsInOneRequest) {
  open();
  auto out =
      append({item("a", "{}"), item("b", "{}")}, {make_rejection(kStart, "missing_event", 1)});
  EXPECT_EQ(out.seqs, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(log_->rejections(10).size(), 1u);
}

TEST_F(EventLogTest, RejectionsSurviveReopen) {
  open();
  append({}, {make_rejection(kStart, "invalid_json")});
  reopen();
  EXPECT_EQ(log_->rejections(10).size(), 1u);
}

// ---- cursors ----

TEST_F(EventLogTest, CursorsStartAtZeroAndPersist) {
  open();
  EXPECT_EQ(log_->cursor("braze"), 0u);
  EXPECT_TRUE(log_->set_cursor("braze", 42));
  EXPECT_TRUE(log_->set_cursor("webhook", 7));
  EXPECT_EQ(log_->cursor("braze"), 42u);
  EXPECT_TRUE(log_->set_cursor("braze", 43));
  reopen();
  EXPECT_EQ(log_->cursor("braze"), 43u);
  EXPECT_EQ(log_->cursor("webhook"), 7u);
  EXPECT_EQ(log_->cursor("other"), 0u);
}

// ---- retention ----

TEST_F(EventLogTest, RetentionDeletesOldRecordsAndKeepsNewOnes) {
  opts_.retention = 10'000;  // 10 s: well under the writer's own 60 s retention interval
  open();
  // Two sequential groups: the writer has finished its first loop (and its first retention
  // check, at kStart) before the clock moves, so only this test's call removes records.
  append_one("old1");
  append_one("old2");
  clock_.advance(20'000);
  append_one("new1");
  clock_.advance(5'000);  // cutoff = kStart + 15 s: old1 and old2 are older, new1 is not
  EXPECT_EQ(log_->apply_retention(), 2u);
  EXPECT_EQ(seqs_of(log_->read(0, 10)), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(log_->counters().retention_deleted.load(), 2u);
  EXPECT_EQ(log_->apply_retention(), 0u);  // nothing left to remove
}

TEST_F(EventLogTest, RetentionNeverDeletesWhatAConsumerHasNotRead) {
  opts_.retention = 10'000;
  open();
  append_one("a");
  append_one("b");
  append_one("c");
  ASSERT_TRUE(log_->set_cursor("processor", 1));  // the consumer has read seq 1 only
  clock_.advance(30'000);                          // all three are past the retention
  EXPECT_EQ(log_->apply_retention(), 1u);
  EXPECT_EQ(seqs_of(log_->read(0, 10)), (std::vector<std::uint64_t>{2, 3}));
  ASSERT_TRUE(log_->set_cursor("processor", 3));
  EXPECT_EQ(log_->apply_retention(), 2u);
  EXPECT_TRUE(log_->read(0, 10).empty());
}

TEST_F(EventLogTest, RetentionBoundaryKeepsRecordsExactlyAtTheCutoff) {
  opts_.retention = 10'000;
  open();
  append_one("a");
  append_one("b");
  clock_.advance(10'000);  // cutoff == received_at: not older than the retention
  EXPECT_EQ(log_->apply_retention(), 0u);
  EXPECT_EQ(log_->read(0, 10).size(), 2u);
}

TEST_F(EventLogTest, RetentionZeroKeepsEverything) {
  open();
  append_one("a");
  clock_.advance(1000LL * 24 * kHour);
  EXPECT_EQ(log_->apply_retention(), 0u);
  EXPECT_EQ(log_->read(0, 10).size(), 1u);
}

TEST_F(EventLogTest, SequenceContinuesAfterRetentionEmptiedTheLog) {
  opts_.retention = 10'000;
  open();
  append_one("a");
  append_one("b");
  clock_.advance(30'000);
  EXPECT_EQ(log_->apply_retention(), 2u);
  EXPECT_TRUE(log_->read(0, 10).empty());
  reopen();
  EXPECT_EQ(log_->last_seq(), 2u);
  EXPECT_EQ(append_one("c").seqs, (std::vector<std::uint64_t>{3}));
}

TEST_F(EventLogTest, WriterAppliesRetentionOnItsOwn) {
  opts_.retention = kHour;
  open();
  append_one("old");
  append_one("old2");
  clock_.advance(2 * kHour);
  append_one("new");  // wakes the writer; it runs retention after the group
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (log_->counters().retention_deleted.load() < 2 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(log_->counters().retention_deleted.load(), 2u);
  EXPECT_EQ(seqs_of(log_->read(0, 10)), (std::vector<std::uint64_t>{3}));
}

// ---- refusals ----

TEST_F(EventLogTest, SubmitAfterStopIsRefused) {
  open();
  append_one("a");
  log_->stop();
  auto out = append_one("b");
  EXPECT_EQ(out.status, append_status::stopped);
  EXPECT_TRUE(out.seqs.empty());
  log_->stop();  // a second stop is harmless
}

TEST_F(EventLogTest, StopDrainsWhatIsQueued) {
  open();
  std::atomic<int> acked{0};
  for (int i = 0; i < 50; ++i) {
    append_request req;
    req.source = "web";
    req.received_at = clock_.now_ms();
    req.items.push_back(item("k" + std::to_string(i), "{}"));
    req.done = [&acked](append_outcome out) {
      if (out.status == append_status::ok) acked.fetch_add(1);
    };
    log_->submit(std::move(req));
  }
  log_->stop();
  EXPECT_EQ(acked.load(), 50);
  reopen();
  EXPECT_EQ(log_->last_seq(), 50u);
}

TEST_F(EventLogTest, FullDiskRefusesEvents) {
  opts_.min_free_bytes = std::numeric_limits<std::uint64_t>::max();
  open();
  auto out = append_one("a");
  EXPECT_EQ(out.status, append_status::unavailable);
  EXPECT_NE(out.message.find("full"), std::string::npos);
  EXPECT_EQ(log_->last_seq(), 0u);
  // Rejections alone carry no events and are still recorded.
  EXPECT_EQ(append({}, {make_rejection(kStart, "invalid_json")}).status, append_status::ok);
  EXPECT_EQ(log_->rejections(10).size(), 1u);
}

TEST_F(EventLogTest, OverloadedWhenTooMuchIsQueued) {
  opts_.max_pending_bytes = 100;
  open();
  // Callbacks share this state, so a writer released after an early return touches nothing freed.
  struct shared {
    std::promise<void> entered, release, second_done;
    std::shared_future<void> released = release.get_future().share();
    append_outcome second, third{append_status::ok, "", {}};
  };
  auto st = std::make_shared<shared>();
  // Lets the writer go even when an assertion below returns early, so stop() can join it.
  struct release_guard {
    std::shared_ptr<shared> st;
    bool done = false;
    void now() {
      if (!done) st->release.set_value();
      done = true;
    }
    ~release_guard() { now(); }
  } guard{st};

  // Hold the writer inside the first request's `done`, so the next requests stay queued.
  append_request first;
  first.source = "web";
  first.items.push_back(item("", "{}"));
  first.done = [st](append_outcome) {
    st->entered.set_value();
    st->released.wait();
  };
  log_->submit(std::move(first));
  ASSERT_EQ(st->entered.get_future().wait_for(kWait), std::future_status::ready);

  append_request second;
  second.source = "web";
  second.items.push_back(item("", std::string(60, 'x')));
  second.done = [st](append_outcome out) {
    st->second = std::move(out);
    st->second_done.set_value();
  };
  log_->submit(std::move(second));  // 60 bytes pending: under the limit, queued
  EXPECT_EQ(log_->pending_bytes(), 60u);

  append_request third;
  third.source = "web";
  third.items.push_back(item("", std::string(60, 'y')));
  third.done = [st](append_outcome out) { st->third = std::move(out); };
  log_->submit(std::move(third));  // 120 > 100 with a non-empty queue: refused at once
  EXPECT_EQ(st->third.status, append_status::overloaded);
  EXPECT_EQ(log_->counters().overloaded.load(), 1u);

  guard.now();
  ASSERT_EQ(st->second_done.get_future().wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(st->second.status, append_status::ok);
  EXPECT_EQ(st->second.seqs, (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(log_->last_seq(), 2u);
}

TEST_F(EventLogTest, OneLargeRequestIsAcceptedWhenTheQueueIsEmpty) {
  opts_.max_pending_bytes = 100;
  open();
  auto out = append_one("big", std::string(1000, 'x'));
  EXPECT_EQ(out.status, append_status::ok);
  EXPECT_EQ(out.seqs, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(log_->pending_bytes(), 0u);
}

// ---- concurrency ----

TEST_F(EventLogTest, ConcurrentSubmittersGetUniqueContiguousSequences) {
  open();
  constexpr int kThreads = 4, kPerThread = 200;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> seqs;
  int done_calls = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        append_request req;
        req.source = "web";
        req.received_at = clock_.now_ms();
        // Every fourth request carries a second event without a dedupe key.
        req.items.push_back(item("t" + std::to_string(t) + "-" + std::to_string(i), "{}"));
        if (i % 4 == 0) req.items.push_back(item("", "{}"));
        req.done = [&](append_outcome out) {
          std::lock_guard lock(mu);
          EXPECT_EQ(out.status, append_status::ok);
          seqs.insert(seqs.end(), out.seqs.begin(), out.seqs.end());
          ++done_calls;
          cv.notify_all();
        };
        log_->submit(std::move(req));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::unique_lock lock(mu);
  bool all_done = cv.wait_for(lock, kWait, [&] { return done_calls == kThreads * kPerThread; });
  if (!all_done) {  // drain now: the callbacks refer to this test's locals
    lock.unlock();
    log_->stop();
    lock.lock();
  }
  ASSERT_TRUE(all_done) << done_calls << " of " << kThreads * kPerThread << " done";
  const size_t expected = kThreads * kPerThread + kThreads * kPerThread / 4;
  ASSERT_EQ(seqs.size(), expected);
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << "at " << i;
  EXPECT_EQ(log_->last_seq(), expected);
  EXPECT_EQ(log_->read(0, expected + 10).size(), expected);
}

TEST_F(EventLogTest, ConcurrentDuplicatesAreStoredOnce) {
  open();
  constexpr int kThreads = 4, kKeys = 100;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> stored;
  int zeros = 0, done_calls = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < kKeys; ++k) {
        append_request req;
        req.source = "web";
        req.received_at = clock_.now_ms();
        req.items.push_back(item("same-" + std::to_string(k), "{}"));
        req.done = [&](append_outcome out) {
          std::lock_guard lock(mu);
          for (auto s : out.seqs) {
            if (s == 0)
              ++zeros;
            else
              stored.push_back(s);
          }
          ++done_calls;
          cv.notify_all();
        };
        log_->submit(std::move(req));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::unique_lock lock(mu);
  bool all_done = cv.wait_for(lock, kWait, [&] { return done_calls == kThreads * kKeys; });
  if (!all_done) {  // drain now: the callbacks refer to this test's locals
    lock.unlock();
    log_->stop();
    lock.lock();
  }
  ASSERT_TRUE(all_done) << done_calls << " of " << kThreads * kKeys << " done";
  EXPECT_EQ(stored.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(zeros, (kThreads - 1) * kKeys);
  EXPECT_EQ(log_->last_seq(), static_cast<std::uint64_t>(kKeys));
}

}  // namespace
}  // namespace tributary::eventlog
