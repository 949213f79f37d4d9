#pragma once
//! The processor: consumes the log in order and keeps identities, profiles and history.
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/profile/profile.h"

namespace tributary::processor {

struct processor_stats {
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> profiles_created{0};
  std::atomic<std::uint64_t> merges{0};
  std::atomic<std::uint64_t> ids_dropped{0};  //!< ids left out to respect identity.limits
  std::atomic<std::uint64_t> unresolved{0};   //!< events without a usable identifier
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> commit_errors{0};
  std::atomic<std::int64_t> last_event_received_at{0};
};

//! Runs on its own thread (start/stop) or synchronously in tests (run_once). The only writer of
//! the ids, profiles and history column families. Each batch of events is committed with the
//! cursor in one RocksDB WriteBatch, so a crash replays from the cursor without double counting.
class processor {
 public:
  processor(eventlog::event_log& log, const config::holder& cfg);
  ~processor();
  processor(const processor&) = delete;
  processor& operator=(const processor&) = delete;

  void start();
  void stop();
  //! Processes up to one batch of available events and commits; returns how many.
  std::size_t run_once();
  std::uint64_t cursor() const { return cursor_.load(); }
  const processor_stats& counters() const { return stats_; }
  std::size_t cached_profiles() const { return cache_size_.load(); }
  static constexpr const char* kCursorName = "processor";

 private:
  void process(const eventlog::log_record& rec, const config::config& cfg);
  profile::profile* load(const std::string& id);
  std::optional<std::string> find(const std::string& key);
  void merge(profile::profile& winner, profile::profile& loser);
  bool commit(std::uint64_t last_seq);
  void evict(std::size_t cap);

  eventlog::event_log& log_;
  const config::holder& cfg_;
  eventlog::event_log::state_handles s_;
  std::unordered_map<std::string, profile::profile> cache_;
  std::unordered_set<std::string> dirty_;
  std::unordered_map<std::string, std::string> id_overlay_;  // pending "type:value" → profile id
  std::map<std::string, std::string> history_puts_;
  std::vector<std::string> history_deletes_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> cursor_{0};
  std::atomic<std::size_t> cache_size_{0};
  processor_stats stats_;
};

}  // namespace tributary::processor
