// config/file_watcher.h: in-place writes, rename-replace, unrelated files and unchanged bytes.
#include "tributary/config/file_watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_util.h"

namespace tributary::config {
namespace {

using namespace std::chrono_literals;
using tributary::test_support::temp_dir;

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// Polls until `pred` holds or the deadline passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = 10s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

class FileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.path() / "tributary.yaml";
    write_file(file_, "a: 1\n");
    auto w = file_watcher::start(file_.string(), 50ms, [this] { changes_.fetch_add(1); });
    ASSERT_TRUE(w.ok()) << w.err().message;
    watcher_ = std::move(w).value();
  }

  // A real change by rename, after which the watcher must have seen everything before it.
  void replace_file(const std::string& text) {
    auto tmp = dir_.path() / "tributary.yaml.tmp";
    write_file(tmp, text);
    std::filesystem::rename(tmp, file_);
  }

  temp_dir dir_;
  std::filesystem::path file_;
  std::atomic<int> changes_{0};
  std::unique_ptr<file_watcher> watcher_;
};

TEST_F(FileWatcherTest, InPlaceWriteIsSeenOnce) {
  write_file(file_, "a: 2\n");
  ASSERT_TRUE(eventually([&] { return changes_ == 1; }));
}

TEST_F(FileWatcherTest, RenameReplaceIsSeen) {
  replace_file("a: 3\n");
  ASSERT_TRUE(eventually([&] { return changes_ == 1; }));
}

TEST_F(FileWatcherTest, BurstsAreDebouncedIntoOneChange) {
  for (int i = 0; i < 20; ++i) write_file(file_, "a: " + std::to_string(100 + i) + "\n");
  ASSERT_TRUE(eventually([&] { return changes_ >= 1; }));
  std::this_thread::sleep_for(300ms);  // several debounce periods: nothing more may come
  EXPECT_EQ(changes_, 1);
}

TEST_F(FileWatcherTest, UnrelatedFilesAndSameBytesAreIgnored) {
  write_file(dir_.path() / "other.yaml", "b: 1\n");
  write_file(file_, "a: 1\n");  // rewritten with identical bytes
  // Nothing may happen: wait several debounce periods (a negative check has no event to await).
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(changes_, 0);
  replace_file("a: 4\n");
  ASSERT_TRUE(eventually([&] { return changes_ == 1; }));
}

TEST_F(FileWatcherTest, StopsPromptly) {
  auto started = std::chrono::steady_clock::now();
  watcher_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(FileWatcher, MissingDirectoryIsAnError) {
  auto w = file_watcher::start("/nonexistent-dir-for-tributary/x.yaml", 50ms, [] {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.err().code, "watch_failed");
}

}  // namespace
}  // namespace tributary::config
