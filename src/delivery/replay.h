#pragma once
//! Replay of a time range of the log to one destination (`POST /admin/v1/destinations/{name}/
//! replay`): the records received in [from, to] go through that destination's routing again
//! (integrations, subscription, filters, require_traits / profile_where, mapping) and become new
//! rows of its outbox only. The service runs replays on a thread of their own, in bounded steps.
#include <cstdint>
#include <string>

#include "tributary/common/clock.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/profile/profile_store.h"
#include "tributary/transform/filters.h"

namespace tributary::delivery {

//! Outbox rows written by a replay have a sub-index with the top bit set and the replay id in
//! the other 31 bits: never the key of a live row (sub-index 0), and a different key for every
//! replay of the same event, so a replay never touches a row the sink may hold.
constexpr std::uint32_t kReplaySubBit = 0x8000'0000u;
inline std::uint32_t replay_sub(std::uint64_t replay_id) {
  return kReplaySubBit | static_cast<std::uint32_t>(replay_id & 0x7fff'ffffu);
}
inline bool is_replay_sub(std::uint32_t sub) {
  return (sub & kReplaySubBit) != 0;
}
inline std::uint32_t replay_id_of(std::uint32_t sub) {
  return sub & ~kReplaySubBit;
}

//! How far out of sequence order a receive time may be. The log's receive times grow with its
//! sequence numbers except for requests handled concurrently (milliseconds apart) and a system
//! clock stepped back; the scan starts this much before `from` and stops this much after `to`.
constexpr millis kReplaySkew = 60'000;

enum class replay_state { queued, running, done, failed, interrupted };
const char* to_string(replay_state s);

//! What a replay did so far; a copy is what the admin API shows.
struct replay_status {
  std::uint64_t id = 0;
  std::string destination;
  millis from = 0;  //!< receive times, inclusive
  millis to = 0;
  replay_state state = replay_state::queued;
  std::uint64_t end_seq = 0;  //!< the log's last sequence when accepted: nothing later is read
  std::uint64_t events_scanned = 0;  //!< log records read (including the skew margins)
  std::uint64_t in_range = 0;        //!< of which received in [from, to]
  std::uint64_t enqueued = 0;        //!< rows written to the destination's outbox
  std::uint64_t skipped = 0;         //!< in range, but the routing did not send them
  std::uint64_t first_seq = 0;       //!< first and last in-range sequence numbers (0: none)
  std::uint64_t last_seq = 0;
  millis requested_at = 0;
  millis started_at = 0;
  millis finished_at = 0;
  std::string error;  //!< why it failed or was interrupted
};

//! The `after` argument of `event_log::read` from which the records received at or after `t`
//! start: a binary search over sequence numbers up to `end_seq`, one iterator seek per probe
//! (O(log n)). Exact when receive times never decrease along the log; callers give a margin.
std::uint64_t replay_start_after(const eventlog::event_log& log, millis t, std::uint64_t end_seq);

//! One replay, run step by step on one thread.
class replay_job {
 public:
  //! `profiles` (may be null) resolves an event's current profile for require_traits,
  //! profile_where and per-profile ordering.
  replay_job(const eventlog::event_log& log, const config::holder& cfg,
             const profile::profile_reader* profiles, const clock_source& clock,
             replay_status status, transform::random_source random);

  //! Reads up to `max_records` log records and writes the rows of the in-range ones that the
  //! destination's routing sends, in one batch; the first step finds where to start. The
  //! destination's definition is taken from the configuration current at each step. Returns
  //! false once the replay is finished (state done or failed).
  bool step(std::size_t max_records);

  const replay_status& status() const { return st_; }
  void interrupt(std::string why);
  //! The first key and the number of rows written by the last step.
  const std::string& step_first_key() const { return step_first_key_; }
  std::uint64_t step_enqueued() const { return step_enqueued_; }

 private:
  void finish(replay_state s, std::string error = {});

  const eventlog::event_log& log_;
  const config::holder& cfg_;
  const profile::profile_reader* profiles_;
  const clock_source& clock_;
  replay_status st_;
  transform::random_source random_;
  bool positioned_ = false;
  std::uint64_t after_ = 0;
  std::string step_first_key_;
  std::uint64_t step_enqueued_ = 0;
};

}  // namespace tributary::delivery
