#pragma once
//! The durable, ordered event log: appends are group-committed by one writer thread, then acked.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/common/result.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace tributary::eventlog {

//! One stored event as consumers see it.
struct log_record {
  std::uint64_t seq = 0;
  millis received_at = 0;
  std::string source;
  std::string json;  //!< the normalized event, compact JSON
};

//! One event to append. `dedupe_key` empty means no dedupe.
struct append_item {
  std::string dedupe_key;
  std::string json;
};

//! A message we refused, kept so an admin can see what and why.
struct rejection {
  millis at = 0;
  std::string source;  //!< empty when the write key was unknown
  std::string code;
  std::string message;
  int index = -1;       //!< position inside a batch, or -1
  std::string payload;  //!< the offending message (bounded by the message size limit)
};

enum class append_status { ok, overloaded, unavailable, stopped };

//! What happened to one append request. `seqs[i]` is item i's sequence, or 0 for a duplicate.
struct append_outcome {
  append_status status = append_status::ok;
  std::string message;
  std::vector<std::uint64_t> seqs;
};

//! One group-committed append: its items become durable together, then `done` runs on the
//! writer thread (it must only hand off, e.g. post to an executor).
struct append_request {
  std::string source;
  millis received_at = 0;
  std::vector<append_item> items;
  std::vector<rejection> rejections;
  std::function<void(append_outcome)> done;
};

struct options {
  std::string path;
  bool sync = true;  //!< fsync the WAL before acking
  millis dedupe_window = 86'400'000;
  millis retention = 0;  //!< 0 = keep forever
  std::uint64_t min_free_bytes = 256ull << 20;
  std::uint64_t max_pending_bytes = 64ull << 20;
  const clock_source* clock = nullptr;  //!< required
};

//! Counters for metrics and status pages; read without locks.
struct stats {
  std::atomic<std::uint64_t> events_appended{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> groups{0};
  std::atomic<std::uint64_t> write_errors{0};
  std::atomic<std::uint64_t> overloaded{0};
  std::atomic<std::uint64_t> retention_deleted{0};
};

//! Owns the RocksDB database and the writer thread. Thread-safe: submit from any thread,
//! read from any thread. Open with open(), stop with stop() (drains the queue first).
class event_log {
 public:
  static result<std::unique_ptr<event_log>> open(const options& opts);
  ~event_log();
  event_log(const event_log&) = delete;
  event_log& operator=(const event_log&) = delete;

  //! Queues an append; `req.done` is always called exactly once.
  void submit(append_request req);

  //! Records with seq > after, oldest first, at most `limit`.
  std::vector<log_record> read(std::uint64_t after, std::size_t limit) const;
  //! The highest durable sequence number (0 when empty).
  std::uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  //! Blocks until last_seq() > after or the timeout passes; returns last_seq().
  std::uint64_t wait_for(std::uint64_t after, std::chrono::milliseconds timeout) const;

  //! Rejections, newest first, as JSON objects.
  std::vector<std::string> rejections(std::size_t limit) const;

  //! Durable named consumer cursors.
  std::uint64_t cursor(const std::string& name) const;
  bool set_cursor(const std::string& name, std::uint64_t seq);

  //! Deletes records older than the retention; returns how many were removed.
  std::uint64_t apply_retention();

  //! True while writes succeed and the disk has room.
  bool writable() const { return writable_.load(); }
  //! True while free disk space is under `min_free_bytes` (new events get 503).
  bool disk_low() const { return disk_low_.load(); }
  const stats& counters() const { return stats_; }
  std::uint64_t pending_bytes() const { return pending_bytes_.load(); }
  //! Bytes the log's column family takes: its table files plus its memtables.
  std::uint64_t log_bytes() const;
  //! Bytes of the whole database (every column family): table files plus memtables.
  std::uint64_t storage_bytes() const;

  //! Stops accepting, writes what is queued, closes the database.
  void stop();

  //! An online, consistent copy of the whole database (RocksDB checkpoint) in the new directory
  //! `dir` (it must not exist; its parent must). Returns the highest sequence in the copy; every
  //! event acked before the call is in it. Safe while appends continue; defined in checkpoint.cpp.
  result<std::uint64_t> checkpoint(const std::string& dir);

  //! The column families of the stages that keep state beside the log. Their single writer
  //! (the processor) writes them together with its cursor (`cursor_key`, in `meta`) in one batch.
  struct state_handles {
    rocksdb::DB* db = nullptr;
    rocksdb::ColumnFamilyHandle* ids = nullptr;        //!< "<type>:<value>" → profile id
    rocksdb::ColumnFamilyHandle* profiles = nullptr;   //!< profile id → profile record
    rocksdb::ColumnFamilyHandle* history = nullptr;    //!< profile id, time, seq → event
    rocksdb::ColumnFamilyHandle* meta = nullptr;       //!< cursors
    rocksdb::ColumnFamilyHandle* outbox = nullptr;     //!< destination, seq → request to deliver
    rocksdb::ColumnFamilyHandle* dlq = nullptr;        //!< destination, seq → dead letter
    rocksdb::ColumnFamilyHandle* timers = nullptr;     //!< due time, profile id → timer
    rocksdb::ColumnFamilyHandle* audiences = nullptr;  //!< audience key, profile id → membership
  };
  const state_handles& state() const { return state_; }
  static std::string cursor_key(const std::string& name) { return "cursor/" + name; }

 private:
  explicit event_log(const options& opts);
  void run();
  void write_group(std::vector<append_request>& group);
  void refresh_disk_state();

  options opts_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* dedupe_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* rejections_cf_ = nullptr;
  state_handles state_;
  std::shared_ptr<void> filters_;  // compaction filters, kept alive with the DB

  mutable std::mutex mu_;
  std::condition_variable cv_;
  mutable std::condition_variable seq_cv_;
  mutable std::mutex seq_mu_;
  std::vector<append_request> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::uint64_t next_seq_ = 1;  // writer thread only
  std::uint64_t rejection_counter_ = 0;
  std::atomic<std::uint64_t> last_seq_{0};
  std::atomic<std::uint64_t> pending_bytes_{0};
  std::atomic<bool> writable_{true};
  std::atomic<bool> disk_low_{false};
  millis last_disk_check_ = 0;
  millis last_retention_ = 0;
  stats stats_;
};

}  // namespace tributary::eventlog
