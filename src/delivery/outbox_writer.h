#pragma once
//! Applies the sinks' outbox updates (delivered rows' deletes, retry states, dead letters) on a
//! thread of its own, in submission order, so that the delivery thread goes on sending while
//! RocksDB inserts them into its memtables.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace rocksdb {
class DB;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace tributary::delivery {

class outbox_writer {
 public:
  using done_fn = std::function<void(const rocksdb::Status&)>;
  explicit outbox_writer(rocksdb::DB* db);
  ~outbox_writer();
  outbox_writer(const outbox_writer&) = delete;
  outbox_writer& operator=(const outbox_writer&) = delete;

  //! Writes `batch` (without fsync, like every outbox update), then calls `done` on the
  //! writer's thread.
  void submit(std::unique_ptr<rocksdb::WriteBatch> batch, done_fn done);
  //! Writes everything submitted so far, then ends the thread. Idempotent. Nothing submitted
  //! after it is written: the service stops the writer once the delivery thread has ended.
  void stop();

 private:
  void run();

  rocksdb::DB* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::unique_ptr<rocksdb::WriteBatch>, done_fn>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tributary::delivery
