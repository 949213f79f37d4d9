// The processor's computed-trait work: states built and kept per profile, timers for values
// that change with time, and the background backfill after the definitions change.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "processor/processor.h"
#include "profile/keys.h"
#include "traits/engine.h"
#include "tributary/common/json_parse.h"

namespace tributary::processor {

namespace pf = tributary::profile;
using config::computed_trait;

namespace {

const char* const kTraitsVersionKey = "traits/version";

std::string timer_key(millis due, std::string_view pid) {
  std::string k;
  put_be64(k, static_cast<std::uint64_t>(due));
  k.append(pid);
  return k;
}

std::string traits_version(const config::config& cfg) {
  std::vector<std::string> parts;
  for (const auto& d : cfg.computed_traits) parts.push_back(d.key + "\x1e" + d.fingerprint);
  for (const auto& a : cfg.audiences) parts.push_back("audience:" + a.key + "\x1e" + a.fingerprint);
  std::sort(parts.begin(), parts.end());
  std::string v;
  for (const auto& p : parts) v += p + "\x1d";
  return v;
}

bool has_state(const computed_trait& d) {
  return d.type != config::trait_type::days_since;
}

}  // namespace

std::optional<millis> processor::next_timer() const {
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.timers));
  it->Seek(timer_key(timer_floor_.load(), ""));
  if (!it->Valid() || it->key().size() < 8) return std::nullopt;
  return static_cast<millis>(get_be64(it->key().ToStringView()));
}

void processor::ensure_states(pf::profile& p, const config::config& cfg) {
  bool changed = false;
  std::vector<const computed_trait*> stale;
  for (const auto& d : cfg.computed_traits) {
    if (!has_state(d)) continue;
    auto it = p.trait_states.find(d.key);
    if (it == p.trait_states.end() || it->second.fingerprint != d.fingerprint) stale.push_back(&d);
  }
  auto defined = [&](const std::string& key) {
    return std::any_of(cfg.computed_traits.begin(), cfg.computed_traits.end(),
                       [&](const computed_trait& d) { return d.key == key; });
  };
  // A removed definition disappears from the profile, silently.
  for (auto it = p.trait_states.begin(); it != p.trait_states.end();)
    if (defined(it->first)) {
      ++it;
    } else {
      it = p.trait_states.erase(it);
      changed = true;
    }
  for (auto it = p.computed.begin(); it != p.computed.end();)
    if (defined(it->first)) {
      ++it;
    } else {
      it = p.computed.erase(it);
      changed = true;
    }
  if (!stale.empty()) {
    rebuild_states(p, stale);
    changed = true;
  }
  if (changed) dirty_.insert(p.id);
}

void processor::rebuild_states(pf::profile& p, const std::vector<const computed_trait*>& defs) {
  flush();  // the profile's history is read from the database below
  for (const auto* d : defs) p.trait_states[d->key] = pf::trait_state{d->fingerprint, {}};
  stats_.trait_rebuilds.fetch_add(defs.size());
  auto fold = [&](std::string_view key, std::string_view value) {
    auto sep = value.find('\x1f');
    if (sep == std::string_view::npos) return;
    auto ev = parse_json(value.substr(sep + 1));
    if (!ev.is_object()) return;
    millis ts = pf::history_time(key);
    std::uint64_t seq = pf::history_seq(key);
    for (const auto* d : defs) traits::observe(*d, p.trait_states[d->key], ev, ts, seq, now_);
  };
  // The stored history, then what this batch added (moved in by merges, or new events).
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.history));
  for (it->Seek(p.id); it->Valid() && it->key().starts_with(p.id); it->Next())
    fold(it->key().ToStringView(), it->value().ToStringView());
  for (auto h = history_puts_.lower_bound(p.id);
       h != history_puts_.end() && h->first.starts_with(p.id); ++h)
    fold(h->first, h->second);
}

void processor::observe_traits(pf::profile& p, const nlohmann::json& ev, millis ts,
                               std::uint64_t seq, const config::config& cfg) {
  for (const auto& d : cfg.computed_traits)
    if (has_state(d)) traits::observe(d, p.trait_states[d.key], ev, ts, seq, now_);
}

void processor::refresh_profile(pf::profile& p, const config::config& cfg,
                                const std::string& trigger, bool backfill) {
  auto changes = traits::refresh(cfg.computed_traits, p, now_);
  stats_.trait_changes.fetch_add(changes.size());
  if (!changes.empty()) emit_trait_changes(p, changes, cfg, trigger, backfill);
  auto next = traits::next_due(cfg.computed_traits, p, now_);
  if (auto a = evaluate_audiences(p, cfg, trigger, backfill); a && (!next || *a < *next)) next = a;
  millis due = next.value_or(0);
  if (due != p.timer_due) {
    if (p.timer_due != 0) {
      auto old = timer_key(p.timer_due, p.id);
      batch_->Delete(s_.timers, old);
      timer_deletes_.insert(std::move(old));
      stats_.timers_pending.fetch_sub(1);
    }
    if (due != 0) {
      auto key = timer_key(due, p.id);
      timer_deletes_.erase(key);
      batch_->Put(s_.timers, key, "");
      if (due < timer_floor_.load()) timer_floor_.store(due);
      stats_.timers_pending.fetch_add(1);
    }
    p.timer_due = due;
  }
  dirty_.insert(p.id);
}

std::size_t processor::run_timers(const config::config& cfg) {
  std::size_t fired = 0;
  std::vector<std::pair<millis, std::string>> due;
  {
    // Fired timers leave tombstones at the front of the column family; seeking past the ones
    // already fired keeps a burst of timers linear instead of quadratic.
    std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.timers));
    for (it->Seek(timer_key(timer_floor_.load(), "")); it->Valid() && due.size() < kTimersPerBatch;
         it->Next()) {
      auto k = it->key().ToStringView();
      if (k.size() < 8) continue;
      auto at = static_cast<millis>(get_be64(k));
      if (at > now_) break;
      // Deleted by this batch or by the one being written: already handled.
      std::string key(k);
      if (timer_deletes_.count(key) || (inflight_ && inflight_->timer_deletes.count(key))) continue;
      due.emplace_back(at, std::string(k.substr(8)));
    }
  }
  for (const auto& [at, pid] : due) {
    pf::profile* p = load(pid);
    // A timer outlived by a reschedule or a merge is just removed.
    if (!p || !p->merged_into.empty() || p->timer_due != at) {
      batch_->Delete(s_.timers, timer_key(at, pid));
      timer_deletes_.insert(timer_key(at, pid));
      stats_.timers_pending.fetch_sub(1);
      continue;
    }
    refresh_profile(*p, cfg, "t" + std::to_string(at));
    ++fired;
  }
  if (!due.empty()) timer_floor_.store(due.back().first);
  stats_.timers_fired.fetch_add(fired);
  return fired;
}

void processor::start_backfill_if_needed(const config::config& cfg) {
  std::string version = traits_version(cfg);
  if (wanted_for_.empty() || wanted_for_ != cfg.fingerprint) {
    wanted_for_ = cfg.fingerprint;
    wanted_traits_.clear();
    for (const auto& d : cfg.destinations)
      for (const auto& t : d.computed_traits)
        for (const auto& form : d.computed_trait_delivery)
          wanted_traits_[t] |= form == "track" ? kAsTrack : kAsIdentify;
  }
  if (version == traits_version_) return;
  traits_version_ = version;
  // Reload profiles so each is checked against the new definitions as it is next used, once
  // everything is committed.
  flush();
  cache_.clear();
  std::string stored;
  s_.db->Get({}, s_.meta, kTraitsVersionKey, &stored);
  if (stored == version) {
    backfill_from_.reset();
    stats_.backfill_running.store(false);
    return;
  }
  std::uint64_t estimate = 0;
  s_.db->GetIntProperty(s_.profiles, "rocksdb.estimate-num-keys", &estimate);
  backfill_from_ = "";
  stats_.backfill_done.store(0);
  stats_.backfill_total.store(estimate);
  stats_.backfill_running.store(true);
  spdlog::info("computed traits changed: backfilling about {} profiles in the background",
               estimate);
}

std::size_t processor::backfill_step(const config::config& cfg) {
  if (!backfill_from_) return 0;
  std::vector<std::string> ids;
  bool finished = false;
  {
    std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.profiles));
    it->Seek(*backfill_from_);
    for (; it->Valid() && ids.size() < 256; it->Next()) ids.push_back(it->key().ToString());
    finished = !it->Valid();
  }
  for (const auto& pid : ids) {
    pf::profile* p = load(pid);  // loading rebuilds stale states
    if (p && p->merged_into.empty()) refresh_profile(*p, cfg, "b" + traits_version_, true);
  }
  stats_.backfill_done.fetch_add(ids.size());
  if (!ids.empty()) backfill_from_ = ids.back() + '\0';
  if (finished) {
    batch_->Put(s_.meta, kTraitsVersionKey, traits_version_);
    backfill_from_.reset();
    stats_.backfill_running.store(false);
    spdlog::info("computed traits backfill finished: {} profiles", stats_.backfill_done.load());
  }
  return ids.size() + (finished ? 1 : 0);
}

}  // namespace tributary::processor
