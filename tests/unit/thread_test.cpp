// Thread names (common/thread.h): what `top -H`, `ps -L` and `perf` show for our threads.
#include "tributary/common/thread.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace tributary {
namespace {

std::string name_in_thread(const char* name) {
  std::string seen;
  std::thread t([&] {
    name_this_thread(name);
    char buf[32] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    seen = buf;
  });
  t.join();
  return seen;
}

TEST(ThreadName, ShortNameIsKept) {
  EXPECT_EQ(name_in_thread("proc-writer"), "proc-writer");
}

TEST(ThreadName, LongNameIsCutToFifteenCharacters) {
  // Linux refuses names over 15 characters; ours are cut instead of left unset.
  EXPECT_EQ(name_in_thread("a-very-long-thread-name"), "a-very-long-thr");
}

}  // namespace
}  // namespace tributary
