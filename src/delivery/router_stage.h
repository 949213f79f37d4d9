#pragma once
//! The processor stage that routes each event to the destinations that should receive it, as
//! rows of the `outbox` column family committed atomically with the processor's cursor.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "delivery/outbox.h"
#include "processor/stage.h"
#include "tributary/common/clock.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::delivery {

class service;

//! What the decision hook says about one event for one destination.
struct decision {
  bool deliver = true;
  std::string reason;  //!< why not (for the event tester and counters)
};

//! Decides whether `event` goes to `destination`, and may rewrite it (filters, mapping): what
//! it leaves in `event` is what is sent. Runs on the processor thread.
using decide_fn =
    std::function<decision(const config::destination& destination,
                           const processor::event_context& ctx, nlohmann::ordered_json& event)>;
//! Whether `destination` may take the event at all, judged without the ordered parse.
using prefilter_fn = std::function<bool(const config::destination& destination,
                                        const processor::event_context& ctx)>;

//! Segment's `integrations` rule: a destination named `false` is excluded; with `All: false`
//! only destinations named `true` (or with an options object) are included. Case-sensitive.
bool integrations_allow(const nlohmann::ordered_json& event, const std::string& destination);

//! Owned by the server wiring, added to the processor, runs on the processor thread. Rows of
//! a batch become visible to the delivery service when the processor commits.
class router_stage final : public processor::stage {
 public:
  //! `svc` (may be null in tests) is told about committed rows.
  router_stage(const eventlog::event_log::state_handles& s, const clock_source& clock,
               service* svc);

  //! Replaces the decision hook (default: deliver every event as is). Call before the
  //! processor starts.
  void set_decide(decide_fn f) { decide_ = std::move(f); }
  //! A cheaper first look (default: none): destinations it says no to are skipped, and when it
  //! says no to all, the event is not parsed again with its key order kept.
  void set_prefilter(prefilter_fn f) { prefilter_ = std::move(f); }

  //! The integrations rule, then the hook: the same decision on_event takes. `event` is left
  //! as it would be sent.
  decision route(const config::destination& d, const processor::event_context& ctx,
                 nlohmann::ordered_json& event) const;

  void on_event(const processor::event_context& ctx, rocksdb::WriteBatch& batch) override;
  void sealed() override;
  void committed() override;
  void aborted() override;

  //! Appends one outbox row to `batch`. Other stages that synthesize events for a destination
  //! (audience and computed-trait changes) use it with a sub-index above 0 and a deterministic
  //! message id; keys must grow per destination as the log does.
  void enqueue(rocksdb::WriteBatch& batch, const std::string& destination, std::uint64_t seq,
               std::uint32_t sub, const outbox_row& row);

 private:
  eventlog::event_log::state_handles s_;
  const clock_source& clock_;
  service* svc_;
  decide_fn decide_;
  prefilter_fn prefilter_;
  std::unordered_map<std::string, std::uint64_t> enqueued_;  //!< since the last seal
  std::unordered_map<std::string, std::uint64_t> skipped_;
  std::unordered_map<std::string, std::uint64_t> sealed_enqueued_;  //!< in the batch being written
  std::unordered_map<std::string, std::uint64_t> sealed_skipped_;
};

}  // namespace tributary::delivery
