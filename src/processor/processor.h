#pragma once
//! The processor: consumes the log in order and keeps identities, profiles and history.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "processor/stage.h"
#include "traits/engine.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/profile/profile.h"

namespace rocksdb {
class WriteBatch;
class Status;
}  // namespace rocksdb

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
  std::atomic<std::uint64_t> trait_changes{0};     //!< computed-trait values that changed
  std::atomic<std::uint64_t> trait_rebuilds{0};    //!< trait states rebuilt from history
  std::atomic<std::uint64_t> timers_fired{0};      //!< time-based re-evaluations run
  std::atomic<std::int64_t> timers_pending{0};     //!< timers stored (approximate after restart)
  std::atomic<bool> backfill_running{false};       //!< a backfill pass over all profiles is on
  std::atomic<std::uint64_t> backfill_done{0};     //!< profiles visited by the current pass
  std::atomic<std::uint64_t> backfill_total{0};    //!< profiles estimated at the pass's start
  std::atomic<std::uint64_t> audience_changes{0};  //!< profiles entering or leaving an audience
  std::atomic<std::uint64_t> synthesized{0};       //!< Engage-style events appended to the log
  std::atomic<std::int64_t> emits_in_flight{0};    //!< synthesized events submitted, not yet acked
};

//! Runs on its own thread (start/stop) or synchronously in tests (run_once). The only writer of
//! the ids, profiles and history column families. Each batch of events is committed with the
//! cursor in one RocksDB WriteBatch, so a crash replays from the cursor without double counting.
//! A batch is written by a second thread while the next one is processed (one write in flight);
//! what that write holds stays readable from memory until it is done.
class processor {
 public:
  //! `clock` decides "now" for windows, timers and days_since (the system clock if null).
  processor(eventlog::event_log& log, const config::holder& cfg,
            const clock_source* clock = nullptr);
  ~processor();
  processor(const processor&) = delete;
  processor& operator=(const processor&) = delete;

  //! Adds a stage run after each event, in the order added. Call before start().
  void add_stage(stage* s) { stages_.push_back(s); }
  void start();
  void stop();
  //! Processes up to one batch of available events, due timers and a step of any backfill, and
  //! commits; returns how many events and timers it handled. With `wait_for_write` false and
  //! more work waiting (events, a backfill), the batch's write is left in flight on return, for
  //! the next call to overlap (flush() waits for it).
  std::size_t run_once(bool wait_for_write = true);
  //! Waits for the write in flight, if any, and hands on what it committed (cursor, synthesized
  //! events, the stages' committed()); false if it failed (run_once then replays).
  bool flush();
  //! The earliest stored timer, if any.
  std::optional<millis> next_timer() const;
  std::uint64_t cursor() const { return cursor_.load(); }
  const processor_stats& counters() const { return stats_; }
  std::size_t cached_profiles() const { return cache_size_.load(); }
  static constexpr const char* kCursorName = "processor";
  static constexpr std::size_t kReadChunk = 128;                //!< events per log read
  static constexpr std::chrono::microseconds kBatchTime{2000};  //!< work per batch when busy
  //! Work per batch while at least kBacklog events wait behind it: fewer, larger commits.
  static constexpr std::chrono::microseconds kBacklogBatchTime{10000};
  static constexpr std::uint64_t kBacklog = 5000;
  static constexpr std::size_t kTimersPerBatch = 1000;  //!< due timers run per batch
  //! A written batch up to this size is cleared and reused for the next one.
  static constexpr std::size_t kSpareBatchBytes = 16 << 20;
  //! Source of the events the processor appends (audience and computed-trait changes).
  static constexpr const char* kSynthesizedSource = "engage";
  //! Key of a member row in the audiences column family.
  static std::string member_key(const std::string& audience, const std::string& profile_id);

 private:
  void process(const eventlog::log_record& rec, const config::config& cfg);
  profile::profile* load(const std::string& id);
  std::optional<std::string> find(const std::string& key);
  //! The live profile `id` is or was merged into, if any.
  profile::profile* live(std::string id);
  void merge(profile::profile& winner, profile::profile& loser);
  bool commit(std::uint64_t last_seq, bool wait_for_write);
  void abort_batches();
  void writer_loop();
  void evict(std::size_t cap);
  // Computed traits (processor_traits.cpp).
  void ensure_states(profile::profile& p, const config::config& cfg);
  void rebuild_states(profile::profile& p, const std::vector<const config::computed_trait*>& defs);
  void observe_traits(profile::profile& p, const nlohmann::json& ev, millis ts, std::uint64_t seq,
                      const config::config& cfg);
  void refresh_profile(profile::profile& p, const config::config& cfg, const std::string& trigger,
                       bool backfill = false);
  // Audiences and synthesized events (processor_audiences.cpp).
  std::optional<millis> evaluate_audiences(profile::profile& p, const config::config& cfg,
                                           const std::string& trigger, bool backfill);
  void emit_audience_change(const profile::profile& p, const config::audience& a, bool member,
                            const config::config& cfg, const std::string& trigger, bool backfill);
  void emit_trait_changes(const profile::profile& p, const std::vector<traits::change>& changes,
                          const config::config& cfg, const std::string& trigger, bool backfill);
  void queue_emit(const std::string& profile_id, std::string message_id, std::string json);
  //! Stages the batch's synthesized events in `b` (meta) until appended; returns the key.
  std::string stage_emits(rocksdb::WriteBatch& b, std::uint64_t last_seq);
  //! Appends `emits` to the log, then deletes their staged `keys`.
  void submit_emits(std::vector<std::pair<std::string, std::string>> emits,
                    std::vector<std::string> keys);
  void resubmit_pending_emits();
  std::size_t run_timers(const config::config& cfg);
  std::size_t backfill_step(const config::config& cfg);
  void start_backfill_if_needed(const config::config& cfg);

  eventlog::event_log& log_;
  const config::holder& cfg_;
  eventlog::event_log::state_handles s_;
  std::unordered_map<std::string, profile::profile> cache_;
  std::unordered_set<std::string> dirty_;
  std::unordered_map<std::string, std::string> id_overlay_;  // pending "type:value" → profile id
  //! Ids looked up or assigned before: "type:value" → profile id ("" if absent) as of the last
  //! commit handed to the writer (overlays come first). Bounded by twice the profile cache;
  //! cleared on abort.
  std::unordered_map<std::string, std::string> id_cache_;
  std::map<std::string, std::string> history_puts_;
  std::vector<std::string> history_deletes_;
  std::vector<stage*> stages_;
  system_clock_source system_clock_;
  const clock_source& clock_;
  millis now_ = 0;                           //!< the clock, read once per batch
  const config::config* cfg_now_ = nullptr;  //!< the snapshot of the running batch
  std::string traits_version_;  //!< fingerprint of the computed-trait set the states follow
  std::optional<std::string> backfill_from_;  //!< next profile id of the running backfill pass
  //! synthesized events of the running batch: messageId, JSON text
  std::vector<std::pair<std::string, std::string>> pending_emits_;
  //! messageId → profile of the synthesized events queued and not read back yet: such an event
  //! goes to its profile without being resolved again. Cleared when too large (or on abort).
  std::unordered_map<std::string, std::string> synthesized_for_;
  std::unordered_set<std::string> merged_now_;         //!< profiles that absorbed others this batch
  std::unordered_set<std::string> audiences_changed_;  //!< audiences with members in or out
  //! Computed traits some destination takes, with the forms asked for: kAsIdentify | kAsTrack.
  std::unordered_map<std::string, int> wanted_traits_;
  static constexpr int kAsIdentify = 1, kAsTrack = 2;
  std::string wanted_for_;  //!< fingerprint of the config wanted_traits_ was built from
  std::unique_ptr<rocksdb::WriteBatch> batch_;        //!< stage rows since the last commit
  std::unique_ptr<rocksdb::WriteBatch> spare_batch_;  //!< written and cleared, to be reused
  std::string encoded_;                               //!< commit's buffer for profile records
  std::unordered_set<std::string> timer_deletes_;     //!< timer keys this batch deletes
  std::uint64_t read_pos_ = 0;                        //!< the last event read (committed or not)
  bool timer_backlog_ = false;  //!< the last batch ran a full step of due timers

  //! The batch being written by writer_: what it holds that later batches must still see.
  struct inflight_batch {
    std::unique_ptr<rocksdb::WriteBatch> batch;
    std::uint64_t last_seq = 0;
    std::unordered_set<std::string> dirty;  //!< profiles written: kept in the cache
    std::unordered_map<std::string, std::string> ids;
    std::map<std::string, std::string> history_puts;
    std::unordered_set<std::string> timer_deletes;
    std::vector<std::pair<std::string, std::string>> emits;
    std::string emits_key;  //!< where the emits are staged in meta
  };
  std::optional<inflight_batch> inflight_;
  bool inflight_failed_ = false;  //!< a write failed: the running batch is replayed too
  std::mutex write_mu_;
  std::condition_variable write_cv_;
  rocksdb::WriteBatch* write_job_ = nullptr;  //!< handed to writer_, under write_mu_
  bool write_done_ = false;
  bool writer_quit_ = false;
  std::unique_ptr<rocksdb::Status> write_status_;
  using cache_node = std::unordered_map<std::string, profile::profile>::node_type;
  std::vector<cache_node> evicted_;        //!< evicted since the last commit
  std::vector<cache_node> write_garbage_;  //!< handed to writer_ to free, under write_mu_
  std::thread writer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> cursor_{0};
  //! No timer is due before this instant: where timer scans start (see run_timers).
  std::atomic<millis> timer_floor_{0};
  std::atomic<std::size_t> cache_size_{0};
  processor_stats stats_;
};

}  // namespace tributary::processor
