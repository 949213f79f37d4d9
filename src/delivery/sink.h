#pragma once
//! One destination's delivery loop: reads its outbox range in key order, keeps per-profile
//! order, sends with bounded concurrency over a keep-alive pool, and applies the retry rules.
//! Created, driven and destroyed on the delivery thread only (no locks inside).
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "delivery/http_connection.h"
#include "delivery/outbox.h"
#include "delivery/outbox_writer.h"
#include "delivery/probe.h"
#include "tributary/common/clock.h"
#include "tributary/config/destinations.h"
#include "tributary/eventlog/event_log.h"

namespace rocksdb {
class WriteBatch;
}

namespace tributary::delivery {

//! Memory bounds of one sink; the rest of a backlog waits on disk.
struct sink_limits {
  std::size_t max_loaded_rows = 100'000;   //!< outbox rows held in memory. Default: 100000.
  std::size_t max_body_bytes = 32u << 20;  //!< bodies held in memory (others re-read). 32MB.
};

class sink : public std::enable_shared_from_this<sink> {
 public:
  //! Outbox updates go through `writer`, which must outlive the sink's last write.
  sink(boost::asio::io_context& io, const eventlog::event_log::state_handles& s,
       outbox_writer& writer, const clock_source& clock,
       std::shared_ptr<const config::destination> d, std::shared_ptr<destination_probe> probe,
       sink_limits limits);

  //! Applies a reloaded definition of the same destination (url, headers, limits ...).
  void update(std::shared_ptr<const config::destination> d);
  //! New rows were committed after the scan position.
  void notify();
  //! Rows may have been added anywhere in the range (dead letters redriven): scan it again.
  void rescan();
  //! Rows were added from `key` on, possibly behind the scan position (a replay): scan from
  //! there again (rows already held are skipped).
  void notify_from(const std::string& key);
  //! Stops sending: closes connections and timers; rows stay in the outbox as they are.
  void shutdown();
  //! Writes the outbox updates not handed to the writer yet, on the calling thread. Only once
  //! the delivery thread and the writer have ended (the service's stop()).
  void write_pending_now();
  const config::destination& definition() const { return *dest_; }

 private:
  struct entry {
    std::string key;
    outbox_row row;
    bool has_body = true;
  };
  using entry_ptr = std::shared_ptr<entry>;
  enum class lane_state { idle, ready, busy, waiting };
  //! The rows of one profile (or of one row without a profile), in key order.
  struct lane {
    std::deque<entry_ptr> rows;
    lane_state state = lane_state::idle;
    millis wait_until = 0;
  };
  struct job {
    std::vector<entry_ptr> entries;
    std::vector<std::string> lanes;
  };

  void schedule_scan();
  void scan();
  void add(std::string key, outbox_row row, millis now);
  void settle(const std::string& id, millis now);  //!< a lane's head decides ready or waiting
  void make_ready(const std::string& id, lane& l, millis now);
  void wait(const std::string& id, lane& l, millis until);
  void arm_retry_timer(millis now);
  void on_retry_timer();
  void pump();
  job take_job(std::size_t max_events);
  bool load_body(entry& e);
  boost::asio::awaitable<void> send(std::shared_ptr<sink> self, job j);
  void complete(job& j, const exchange_result& res);
  //! Drops a row from memory. `deleting`: its delete is in pending_, and its key stays in
  //! known_ until that is written (so that a scan meanwhile does not load it again).
  void forget(const entry_ptr& e, bool deleting);
  void write_outbox();  //!< hands the pending updates to the writer, one write at a time
  void on_written(const std::vector<std::string>& gone);
  void resume_scan_if_room();
  void dead_letter(rocksdb::WriteBatch& b, entry& e, millis now);
  void note_failure(const std::string& what, millis now);
  void note_success(millis now);
  void make_tls();

  boost::asio::io_context& io_;
  eventlog::event_log::state_handles s_;
  const clock_source& clock_;
  std::shared_ptr<const config::destination> dest_;
  std::shared_ptr<destination_probe> probe_;
  sink_limits limits_;
  std::string prefix_, upper_;

  std::unordered_map<std::string, lane> lanes_;
  std::deque<std::string> ready_;
  std::multimap<millis, std::string> waiting_;
  std::unordered_set<std::string> known_;  //!< keys of the rows in memory or being deleted
  std::string scan_from_;                  //!< first key not scanned yet
  bool scan_posted_ = false;
  bool scan_paused_ = false;  //!< stopped at max_loaded_rows
  std::size_t body_bytes_ = 0;
  std::size_t ready_rows_ = 0;  //!< rows in ready lanes
  millis ready_since_ = 0;      //!< when the ready queue last became non-empty

  outbox_writer& writer_;
  std::unique_ptr<rocksdb::WriteBatch> pending_;  //!< outbox updates not handed over yet
  std::vector<std::string> pending_gone_;         //!< the keys pending_ deletes
  bool writing_ = false;                          //!< a write of ours is with writer_
  bool rescan_after_write_ = false;               //!< a rescan came during that write

  std::size_t in_flight_ = 0;  //!< requests
  std::vector<std::unique_ptr<http_connection>> idle_;
  std::unordered_set<http_connection*> active_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::string tls_error_;
  std::uint64_t generation_ = 0;
  boost::asio::steady_timer retry_timer_, batch_timer_, rate_timer_;
  millis retry_timer_due_ = 0;
  std::chrono::steady_clock::time_point next_send_{};
  bool stopping_ = false;
  std::mt19937_64 rng_;

  bool failing_ = false;
  bool burst_logged_ = false;
  std::uint64_t burst_failures_ = 0;
  std::uint64_t unlogged_bursts_ = 0;
  millis last_log_at_ = 0;
};

}  // namespace tributary::delivery
