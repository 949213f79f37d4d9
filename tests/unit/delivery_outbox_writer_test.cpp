// The outbox writer (delivery/outbox_writer.h): writes in submission order on its own thread,
// reports each write, and writes everything queued before stop() returns.
#include "delivery/outbox_writer.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "test_util.h"
#include "tributary/common/clock.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::delivery {
namespace {

class OutboxWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::options opts;
    opts.path = dir_.str();
    opts.clock = &clock_;
    auto opened = eventlog::event_log::open(opts);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    log_ = std::move(opened.value());
  }
  std::string get(const std::string& key) {
    const auto& s = log_->state();
    std::string v;
    auto st = s.db->Get({}, s.outbox, key, &v);
    return st.ok() ? v : (st.IsNotFound() ? "<absent>" : st.ToString());
  }
  std::unique_ptr<rocksdb::WriteBatch> put(const std::string& k, const std::string& v) {
    auto b = std::make_unique<rocksdb::WriteBatch>();
    b->Put(log_->state().outbox, k, v);
    return b;
  }

  test_support::temp_dir dir_;
  manual_clock clock_{1'780'000'000'000};
  std::unique_ptr<eventlog::event_log> log_;
};

TEST_F(OutboxWriter, WritesInSubmissionOrderAndReportsEach) {
  outbox_writer w(log_->state().db);
  std::mutex mu;
  std::vector<int> done;
  for (int i = 0; i < 200; ++i) {
    // The same key every time: only submission order leaves the last value in place.
    w.submit(put("k", std::to_string(i)), [&, i](const rocksdb::Status& st) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      std::lock_guard lock(mu);
      done.push_back(i);
    });
  }
  w.stop();  // everything queued is written first
  ASSERT_EQ(done.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(done[i], i);
  EXPECT_EQ(get("k"), "199");
}

TEST_F(OutboxWriter, DeletesAndPutsOfOneBatchApplyTogether) {
  outbox_writer w(log_->state().db);
  w.submit(put("a", "1"), nullptr);
  auto b = std::make_unique<rocksdb::WriteBatch>();
  b->Delete(log_->state().outbox, "a");
  b->Put(log_->state().outbox, "b", "2");
  std::atomic<bool> reported{false};
  w.submit(std::move(b), [&](const rocksdb::Status& st) { reported = st.ok(); });
  w.stop();
  EXPECT_TRUE(reported.load());
  EXPECT_EQ(get("a"), "<absent>");
  EXPECT_EQ(get("b"), "2");
}

TEST_F(OutboxWriter, StopIsIdempotentAndTheDestructorStops) {
  {
    outbox_writer w(log_->state().db);
    w.submit(put("x", "1"), nullptr);
    w.stop();
    w.stop();
  }
  {
    outbox_writer w(log_->state().db);
    w.submit(put("y", "2"), nullptr);
  }  // the destructor writes what is queued
  EXPECT_EQ(get("x"), "1");
  EXPECT_EQ(get("y"), "2");
}

}  // namespace
}  // namespace tributary::delivery
