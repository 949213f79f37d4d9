#include "delivery/replay.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "delivery/outbox.h"
#include "delivery/policy.h"
#include "delivery/router_stage.h"
#include "processor/stage.h"
#include "tributary/common/json_parse.h"

namespace tributary::delivery {
namespace {

const config::destination* find_destination(const config::config& cfg, const std::string& name) {
  for (const auto& d : cfg.destinations)
    if (d.name == name) return &d;
  return nullptr;
}

// The profile the event resolves to now, as the Event Tester finds it: its userId, else its
// anonymousId.
std::optional<profile::profile> current_profile(const profile::profile_reader* profiles,
                                                const nlohmann::ordered_json& event) {
  if (!profiles) return std::nullopt;
  std::optional<profile::profile> p;
  if (auto u = event.find("userId"); u != event.end() && u->is_string())
    p = profiles->find("user_id", u->get<std::string>());
  if (!p)
    if (auto a = event.find("anonymousId"); a != event.end() && a->is_string())
      p = profiles->find("anonymous_id", a->get<std::string>());
  return p;
}

}  // namespace

const char* to_string(replay_state s) {
  switch (s) {
    case replay_state::queued:
      return "queued";
    case replay_state::running:
      return "running";
    case replay_state::done:
      return "done";
    case replay_state::failed:
      return "failed";
    case replay_state::interrupted:
      return "interrupted";
  }
  return "unknown";
}

std::uint64_t replay_start_after(const eventlog::event_log& log, millis t, std::uint64_t end_seq) {
  // The smallest `after` whose next record is received at or after t (or is past end_seq).
  std::uint64_t lo = 0, hi = end_seq;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    auto next = log.read(mid, 1);
    if (!next.empty() && next[0].seq <= end_seq && next[0].received_at < t)
      lo = std::max(mid + 1, next[0].seq);  // every `after` below next's seq reads it first
    else
      hi = mid;
  }
  return lo;
}

replay_job::replay_job(const eventlog::event_log& log, const config::holder& cfg,
                       const profile::profile_reader* profiles, const clock_source& clock,
                       replay_status status, transform::random_source random)
    : log_(log),
      cfg_(cfg),
      profiles_(profiles),
      clock_(clock),
      st_(std::move(status)),
      random_(std::move(random)) {}

void replay_job::finish(replay_state s, std::string error) {
  st_.state = s;
  st_.error = std::move(error);
  st_.finished_at = clock_.now_ms();
}

void replay_job::interrupt(std::string why) {
  if (st_.state == replay_state::queued || st_.state == replay_state::running)
    finish(replay_state::interrupted, std::move(why));
}

bool replay_job::step(std::size_t max_records) {
  step_first_key_.clear();
  step_enqueued_ = 0;
  if (st_.state != replay_state::queued && st_.state != replay_state::running) return false;
  const millis now = clock_.now_ms();
  if (st_.state == replay_state::queued) {
    st_.state = replay_state::running;
    st_.started_at = now;
  }
  auto cfg = cfg_.get();
  const config::destination* d = find_destination(*cfg, st_.destination);
  if (!d) {
    finish(replay_state::failed,
           fmt::format("destination '{}' was removed from the configuration", st_.destination));
    return false;
  }
  if (!positioned_) {
    const millis start = st_.from > std::numeric_limits<millis>::min() + kReplaySkew
                             ? st_.from - kReplaySkew
                             : st_.from;
    after_ = replay_start_after(log_, start, st_.end_seq);
    positioned_ = true;
  }
  const millis stop_after =
      st_.to < std::numeric_limits<millis>::max() - kReplaySkew ? st_.to + kReplaySkew : st_.to;
  auto records = log_.read(after_, std::max<std::size_t>(1, max_records));
  const auto& s = log_.state();
  rocksdb::WriteBatch batch;
  bool finished = records.empty();
  for (const auto& rec : records) {
    if (rec.seq > st_.end_seq || rec.received_at > stop_after) {
      finished = true;
      break;
    }
    after_ = rec.seq;
    ++st_.events_scanned;
    if (rec.received_at < st_.from || rec.received_at > st_.to) continue;
    ++st_.in_range;
    if (!st_.first_seq) st_.first_seq = rec.seq;
    st_.last_seq = rec.seq;
    auto event = parse_ordered_json(rec.json);
    if (!event.is_object()) {
      ++st_.skipped;
      continue;
    }
    auto p = current_profile(profiles_, event);
    outbox_row row;
    if (auto m = event.find("messageId"); m != event.end() && m->is_string())
      row.message_id = m->get<std::string>();
    else
      row.message_id = "seq-" + std::to_string(rec.seq);
    if (p) row.profile_id = p->id;
    row.enqueued_at = now;
    // The same decision as the router stage: the integrations object, then the policy.
    decision verdict;
    if (!integrations_allow(event, d->name)) {
      verdict = {false, "excluded by the event's integrations"};
    } else {
      const nlohmann::json plain = parse_json(rec.json);
      processor::event_context ctx{rec, plain, p ? &*p : nullptr, *cfg, now};
      verdict = decide(*d, ctx, event, random_);
    }
    if (!verdict.deliver) {
      ++st_.skipped;
      continue;
    }
    row.body = serialize_body(event);
    std::string key = outbox_key(d->name, rec.seq, replay_sub(st_.id));
    if (step_first_key_.empty()) step_first_key_ = key;
    batch.Put(s.outbox, key, encode_row(row));
    ++step_enqueued_;
  }
  if (!finished && (records.size() < max_records || after_ >= st_.end_seq)) finished = true;
  if (batch.Count()) {
    auto w = s.db->Write({}, &batch);
    if (!w.ok()) {
      step_first_key_.clear();
      step_enqueued_ = 0;
      finish(replay_state::failed, "cannot write the outbox: " + w.ToString());
      return false;
    }
    st_.enqueued += step_enqueued_;
  }
  if (finished) {
    finish(replay_state::done);
    return false;
  }
  return true;
}

}  // namespace tributary::delivery
