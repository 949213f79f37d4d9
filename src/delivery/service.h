#pragma once
//! The delivery service: one io_context thread of its own (never the ingest threads) running a
//! sink per configured destination. It wakes when the processor commits outbox rows, follows
//! config reloads, and answers the admin API's questions.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "delivery/outbox.h"
#include "delivery/probe.h"
#include "delivery/replay.h"
#include "delivery/sink.h"
#include "tributary/common/clock.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/profile/profile_store.h"

namespace tributary::delivery {

struct service_options {
  sink_limits limits;
  //! How often the delivery thread looks for a reloaded config. Default: 1s.
  std::chrono::milliseconds config_check{1000};
  //! Log records a replay reads per step (one outbox write each). Default: 500.
  std::size_t replay_step = 500;
  //! Replays waiting or running at once; more are refused. Default: 16.
  std::size_t max_pending_replays = 16;
  //! Finished replays whose status stays readable (in memory). Default: 100.
  std::size_t kept_replays = 100;
};

//! One dead letter, for the admin API.
struct dead_letter {
  std::uint64_t seq = 0;
  std::uint32_t sub = 0;
  outbox_row row;  //!< next_attempt_at is when it was given up
};

//! Owned by the server wiring: start() after the log is open and before the processor starts;
//! stop() after the processor stopped and before the log closes. Public methods are
//! thread-safe.
class service {
 public:
  service(eventlog::event_log& log, const config::holder& cfg, const clock_source& clock,
          service_options opts = {});
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  //! Counts what each destination has waiting, then starts the delivery thread.
  void start();
  //! Closes connections (in-flight requests are abandoned; their rows stay in the outbox and
  //! are sent again after a restart) and joins the thread.
  void stop();

  //! From the router stage after a processor commit: rows added and events skipped per
  //! destination. Wakes the sinks.
  void committed(const std::unordered_map<std::string, std::uint64_t>& enqueued,
                 const std::unordered_map<std::string, std::uint64_t>& skipped);

  //! After a reload: applies the new destinations now rather than at the next periodic check.
  void config_changed();

  //! The counters of a configured destination, or null.
  std::shared_ptr<const destination_probe> probe(const std::string& name) const;
  //! Every configured destination's counters, in name order.
  std::vector<std::pair<std::string, std::shared_ptr<const destination_probe>>> probes() const;

  //! Up to `limit` dead letters of a destination, oldest first.
  std::vector<dead_letter> dead_letters(const std::string& name, std::size_t limit) const;
  //! Moves every dead letter of `name` back to its outbox with a fresh retry window; returns
  //! how many. The destination's sink rescans its outbox.
  std::size_t redrive(const std::string& name);

  //! Queues a replay of the records received in [from, to] (inclusive) to the destination
  //! `name` (the caller checks that it is configured). Replays run one at a time on the replay
  //! thread, in steps of `replay_step` records; each step's rows wake the sink. Nullopt when
  //! `max_pending_replays` are already waiting or running. Ids are persisted in `meta`.
  std::optional<replay_status> start_replay(const std::string& name, millis from, millis to);
  //! A replay of `name` by id, while it is among the last `kept_replays`.
  std::optional<replay_status> replay(const std::string& name, std::uint64_t id) const;
  //! The kept replays of `name`, newest first.
  std::vector<replay_status> replays(const std::string& name) const;

 private:
  void check_config();
  void arm_config_timer();
  std::shared_ptr<destination_probe> probe_for(const std::string& name);
  void count_rows(const std::string& name, destination_probe& p) const;
  void post_to_sinks(void (sink::*fn)());
  void run_replays();
  void replayed(const std::string& name, const std::string& first_key, std::uint64_t rows);

  eventlog::event_log& log_;
  const config::holder& cfg_;
  const clock_source& clock_;
  service_options opts_;
  eventlog::event_log::state_handles s_;

  boost::asio::io_context io_{1};  // declared before the sinks: destroyed after them
  outbox_writer writer_;           // stopped once the delivery thread has ended
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  boost::asio::steady_timer config_timer_{io_};
  std::thread thread_;
  std::promise<void> idle_;
  std::atomic<bool> started_{false};

  // Delivery thread only.
  std::shared_ptr<const config::config> applied_;
  std::map<std::string, std::shared_ptr<sink>> sinks_;

  mutable std::mutex mu_;  // guards probes_
  std::map<std::string, std::shared_ptr<destination_probe>> probes_;

  // Replays: the thread runs the queued jobs in order; statuses are copied out under replay_mu_.
  profile::profile_reader profiles_;
  mutable std::mutex replay_mu_;
  std::condition_variable replay_cv_;
  struct pending_replay {
    std::shared_ptr<replay_job> job;  // stepped by the replay thread only
    replay_status shown;              // its status after the last step
  };
  std::deque<pending_replay> replay_queue_;  // the running one first, then those waiting
  std::deque<replay_status> replay_done_;    // finished, newest first
  std::uint64_t last_replay_id_ = 0;         // 0: not read from meta yet
  bool replay_stop_ = false;
  std::thread replay_thread_;
};

}  // namespace tributary::delivery
