#pragma once
//! The delivery service: one io_context thread of its own (never the ingest threads) running a
//! sink per configured destination. It wakes when the processor commits outbox rows, follows
//! config reloads, and answers the admin API's questions.
#include <atomic>
#include <cstdint>
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
#include "delivery/sink.h"
#include "tributary/common/clock.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::delivery {

struct service_options {
  sink_limits limits;
  //! How often the delivery thread looks for a reloaded config. Default: 1s.
  std::chrono::milliseconds config_check{1000};
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

  //! The counters of a configured destination, or null.
  std::shared_ptr<const destination_probe> probe(const std::string& name) const;
  //! Every configured destination's counters, in name order.
  std::vector<std::pair<std::string, std::shared_ptr<const destination_probe>>> probes() const;

  //! Up to `limit` dead letters of a destination, oldest first.
  std::vector<dead_letter> dead_letters(const std::string& name, std::size_t limit) const;
  //! Moves every dead letter of `name` back to its outbox with a fresh retry window; returns
  //! how many. The destination's sink rescans its outbox.
  std::size_t redrive(const std::string& name);

 private:
  void check_config();
  void arm_config_timer();
  std::shared_ptr<destination_probe> probe_for(const std::string& name);
  void count_rows(const std::string& name, destination_probe& p) const;
  void post_to_sinks(void (sink::*fn)());

  eventlog::event_log& log_;
  const config::holder& cfg_;
  const clock_source& clock_;
  service_options opts_;
  eventlog::event_log::state_handles s_;

  boost::asio::io_context io_{1};  // declared before the sinks: destroyed after them
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
};

}  // namespace tributary::delivery
