#include "delivery/router_stage.h"

#include <rocksdb/write_batch.h>

#include <utility>

#include "delivery/service.h"
#include "tributary/common/json_parse.h"

namespace tributary::delivery {

bool integrations_allow(const nlohmann::ordered_json& event, const std::string& destination) {
  auto it = event.find("integrations");
  if (it == event.end() || !it->is_object()) return true;
  if (auto own = it->find(destination); own != it->end()) {
    if (own->is_boolean()) return own->get<bool>();
    if (own->is_object()) return true;  // options for this destination: enabled
  }
  auto all = it->find("All");
  return all == it->end() || !all->is_boolean() || all->get<bool>();
}

router_stage::router_stage(const eventlog::event_log::state_handles& s, const clock_source& clock,
                           service* svc)
    : s_(s), clock_(clock), svc_(svc) {}

decision router_stage::route(const config::destination& d, const processor::event_context& ctx,
                             nlohmann::ordered_json& event) const {
  if (!integrations_allow(event, d.name)) return {false, "excluded by the event's integrations"};
  if (decide_) return decide_(d, ctx, event);
  return {};
}

void router_stage::on_event(const processor::event_context& ctx, rocksdb::WriteBatch& batch) {
  std::vector<const config::destination*> candidates;
  for (const auto& d : ctx.cfg.destinations)
    if (prefilter_ && !prefilter_(d, ctx))
      ++skipped_[d.name];
    else
      candidates.push_back(&d);
  if (candidates.empty()) return;
  auto parsed = parse_ordered_json(ctx.record.json);
  if (!parsed.is_object()) return;
  const millis now = clock_.now_ms();
  outbox_row row;
  if (auto m = parsed.find("messageId"); m != parsed.end() && m->is_string())
    row.message_id = m->get<std::string>();
  else
    row.message_id = "seq-" + std::to_string(ctx.record.seq);
  if (ctx.profile) row.profile_id = ctx.profile->id;
  row.enqueued_at = now;
  for (const auto* d : candidates) {
    nlohmann::ordered_json event = parsed;
    if (!route(*d, ctx, event).deliver) {
      ++skipped_[d->name];
      continue;
    }
    row.body = serialize_body(event);
    enqueue(batch, d->name, ctx.record.seq, 0, row);
  }
}

void router_stage::enqueue(rocksdb::WriteBatch& batch, const std::string& destination,
                           std::uint64_t seq, std::uint32_t sub, const outbox_row& row) {
  batch.Put(s_.outbox, outbox_key(destination, seq, sub), encode_row(row));
  ++enqueued_[destination];
}

void router_stage::sealed() {
  // The processor seals a batch only once the previous one was committed (or aborted).
  sealed_enqueued_ = std::exchange(enqueued_, {});
  sealed_skipped_ = std::exchange(skipped_, {});
}

void router_stage::committed() {
  if (sealed_enqueued_.empty() && sealed_skipped_.empty()) return;
  if (svc_) svc_->committed(sealed_enqueued_, sealed_skipped_);
  sealed_enqueued_.clear();
  sealed_skipped_.clear();
}

void router_stage::aborted() {
  enqueued_.clear();
  skipped_.clear();
  sealed_enqueued_.clear();
  sealed_skipped_.clear();
}

}  // namespace tributary::delivery
