// Online checkpoints (event_log::checkpoint) and the offline side (eventlog/backup.h): inspect,
// in_use, restore into empty, non-empty (--force) and running data directories.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "test_util.h"
#include "tributary/eventlog/backup.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::eventlog {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tributary::test_support::temp_dir;

// Runs `check` in a forked child and returns its answer.
template <class F>
bool in_child(F check) {
  pid_t pid = fork();
  if (pid == 0) _exit(check() ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class CheckpointTest : public ::testing::Test {
 protected:
  CheckpointTest() : clock_(1'700'000'000'000) {}

  std::unique_ptr<event_log> open(const fs::path& dir) {
    options o;
    o.path = dir.string();
    o.clock = &clock_;
    o.sync = false;
    o.min_free_bytes = 0;
    auto r = event_log::open(o);
    EXPECT_TRUE(r.ok()) << r.err().message;
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Appends `n` events and waits until they are durable.
  void append(event_log& log, int n) {
    append_request req;
    req.source = "web";
    req.received_at = clock_.now_ms();
    for (int i = 0; i < n; ++i)
      req.items.push_back({"web\x1fm" + std::to_string(next_++), R"({"type":"track"})"});
    std::promise<append_status> done;
    req.done = [&](append_outcome out) { done.set_value(out.status); };
    log.submit(std::move(req));
    auto f = done.get_future();
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
    ASSERT_EQ(f.get(), append_status::ok);
  }

  temp_dir tmp_;
  manual_clock clock_;
  int next_ = 0;
};

TEST_F(CheckpointTest, CopiesEverythingAckedAndKeepsServing) {
  auto log = open(tmp_.path() / "data");
  append(*log, 25);
  auto cp = log->checkpoint((tmp_.path() / "backup").string());
  ASSERT_TRUE(cp.ok()) << cp.err().message;
  EXPECT_EQ(cp.value(), 25u);
  append(*log, 5);  // the live log goes on; the copy does not change
  EXPECT_EQ(log->last_seq(), 30u);
  auto seen = inspect((tmp_.path() / "backup").string());
  ASSERT_TRUE(seen.ok()) << seen.err().message;
  EXPECT_EQ(seen.value(), 25u);
}

TEST_F(CheckpointTest, TargetMustNotExist) {
  auto log = open(tmp_.path() / "data");
  fs::create_directories(tmp_.path() / "taken");
  auto cp = log->checkpoint((tmp_.path() / "taken").string());
  ASSERT_FALSE(cp.ok());
  EXPECT_EQ(cp.err().code, "checkpoint_failed");
}

TEST_F(CheckpointTest, InspectRefusesWhatIsNotOurDatabase) {
  EXPECT_EQ(inspect(tmp_.str()).err().code, "not_a_database");
  EXPECT_EQ(inspect((tmp_.path() / "missing").string()).err().code, "not_a_database");
}

TEST_F(CheckpointTest, RestoreIntoANewDirectoryThenReopen) {
  auto log = open(tmp_.path() / "data");
  append(*log, 10);
  ASSERT_TRUE(log->checkpoint((tmp_.path() / "backup").string()).ok());
  log.reset();
  auto restored =
      restore((tmp_.path() / "backup").string(), (tmp_.path() / "copy").string(), false);
  ASSERT_TRUE(restored.ok()) << restored.err().message;
  EXPECT_EQ(restored.value().last_seq, 10u);
  EXPECT_GT(restored.value().files, 0u);
  auto copy = open(tmp_.path() / "copy");
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->last_seq(), 10u);
  EXPECT_EQ(copy->read(0, 100).size(), 10u);
}

TEST_F(CheckpointTest, RestoreRefusesARunningServerAndNeedsForceForNonEmpty) {
  auto log = open(tmp_.path() / "data");
  append(*log, 3);
  ASSERT_TRUE(log->checkpoint((tmp_.path() / "backup").string()).ok());
  append(*log, 4);
  std::string backup = (tmp_.path() / "backup").string(), data = (tmp_.path() / "data").string();
  // Asked from another process, as the CLI is: closing any descriptor of the LOCK file would drop
  // this process's own RocksDB lock (POSIX record locks are per process).
  EXPECT_TRUE(in_child([&] { return in_use(data); }));
  EXPECT_TRUE(in_child([&] { return restore(backup, data, true).err().code == "in_use"; }));
  log.reset();
  EXPECT_FALSE(in_use(data));
  EXPECT_EQ(restore(backup, data, false).err().code, "not_empty");
  std::ofstream(tmp_.path() / "data" / "stray-file") << "x";
  auto forced = restore(backup, data, true);
  ASSERT_TRUE(forced.ok()) << forced.err().message;
  EXPECT_EQ(forced.value().last_seq, 3u);
  EXPECT_FALSE(fs::exists(tmp_.path() / "data" / "stray-file"));
  auto reopened = open(tmp_.path() / "data");
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->last_seq(), 3u);
}

TEST_F(CheckpointTest, CheckpointAfterStopIsAnError) {
  auto log = open(tmp_.path() / "data");
  log->stop();
  EXPECT_EQ(log->checkpoint((tmp_.path() / "backup").string()).err().code, "stopped");
}

}  // namespace
}  // namespace tributary::eventlog
