#include "delivery/outbox_writer.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "tributary/common/thread.h"

namespace tributary::delivery {

outbox_writer::outbox_writer(rocksdb::DB* db)
    : db_(db), thread_([this] {
        name_this_thread("outbox-writer");
        run();
      }) {}

outbox_writer::~outbox_writer() {
  stop();
}

void outbox_writer::submit(std::unique_ptr<rocksdb::WriteBatch> batch, done_fn done) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(batch), std::move(done));
  }
  cv_.notify_one();
}

void outbox_writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void outbox_writer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    auto [batch, done] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    rocksdb::Status st = db_->Write({}, batch.get());
    if (done) done(st);
    lock.lock();
  }
}

}  // namespace tributary::delivery
