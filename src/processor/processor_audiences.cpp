// The processor's audience work: membership evaluated after every profile change, the instant
// membership can next flip with time alone, and the synthesized Audience Entered/Exited and
// identify events (Segment Engage shapes) appended to the log exactly once.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "processor/engage_event.h"
#include "processor/processor.h"
#include "processor/profile_view.h"
#include "traits/engine.h"
#include "tributary/common/bytes.h"
#include "tributary/common/time.h"
#include "tributary/expr/evaluate.h"

namespace tributary::processor {

namespace pf = tributary::profile;

namespace {

const char* const kEmitPrefix = "emit/";    // one synthesized event (earlier versions)
const char* const kEmitsPrefix = "emits/";  // a batch's synthesized events

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex16(std::uint64_t v) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHex[v & 15];
  return out;
}

}  // namespace

std::string processor::member_key(const std::string& audience, const std::string& profile_id) {
  std::string k = audience;
  k.push_back('\0');
  k += profile_id;
  return k;
}

std::optional<millis> processor::evaluate_audiences(pf::profile& p, const config::config& cfg,
                                                    const std::string& trigger, bool backfill) {
  // Removed audiences disappear from profiles without events.
  for (auto it = p.audiences.begin(); it != p.audiences.end();) {
    bool defined = std::any_of(cfg.audiences.begin(), cfg.audiences.end(),
                               [&](const config::audience& a) { return a.key == it->first; });
    if (defined) {
      ++it;
    } else {
      batch_->Delete(s_.audiences, member_key(it->first, p.id));
      it = p.audiences.erase(it);
    }
  }
  if (cfg.audiences.empty()) return std::nullopt;
  std::optional<millis> due;
  for (const auto& a : cfg.audiences) {
    profile_view view(p, a.term_traits, cfg, now_);
    bool member = expr::matches(*a.program, view);
    bool was = p.audiences.count(a.key) > 0;
    if (member != was) {
      if (member) {
        p.audiences[a.key] = {true, now_, "audience"};
        std::string entered;
        put_be64(entered, static_cast<std::uint64_t>(now_));
        batch_->Put(s_.audiences, member_key(a.key, p.id), entered);
      } else {
        p.audiences.erase(a.key);
        batch_->Delete(s_.audiences, member_key(a.key, p.id));
      }
      audiences_changed_.insert(a.key);
      stats_.audience_changes.fetch_add(1);
      emit_audience_change(p, a, member, cfg, trigger, backfill);
    } else if (member && merged_now_.count(p.id)) {
      // After a merge the surviving profile's membership rows are rewritten.
      std::string entered;
      put_be64(entered, static_cast<std::uint64_t>(p.audiences[a.key].ts));
      batch_->Put(s_.audiences, member_key(a.key, p.id), entered);
    }
    if (auto t = expr::next_change(*a.program, view); t && (!due || *t < *due)) due = t;
  }
  return due;
}

void processor::emit_audience_change(const pf::profile& p, const config::audience& a, bool member,
                                     const config::config& cfg, const std::string& trigger,
                                     bool backfill) {
  std::string base = hex16(fnv1a(trigger, fnv1a(p.id + '\x1f' + a.key + (member ? "+" : "-"))));
  std::string id = "aud_" + hex16(fnv1a(a.key)), now = format_iso8601(now_);
  std::string track_id = "personas_" + base + "t", identify_id = "personas_" + base + "i";
  std::string key_json;
  append_json_string(key_json, a.key);
  const char* value = member ? "true" : "false";
  engage_fields f{"identify", {},    identify_id,     now,      "audience",
                  id,         a.key, cfg.admin.space, backfill, {{a.key, value}}};
  queue_emit(p.id, identify_id, engage_json(p, f));
  f.type = "track";
  f.event = member ? "Audience Entered" : "Audience Exited";
  f.message_id = track_id;
  f.body = {{"audience_key", key_json}, {a.key, value}};
  queue_emit(p.id, track_id, engage_json(p, f));
}

void processor::emit_trait_changes(const pf::profile& p, const std::vector<traits::change>& changes,
                                   const config::config& cfg, const std::string& trigger,
                                   bool backfill) {
  for (const auto& c : changes) {
    auto wanted = wanted_traits_.find(c.key);
    if (c.key.starts_with("__") || wanted == wanted_traits_.end()) continue;
    std::string value = c.after.dump();
    std::string base =
        "personas_" + hex16(fnv1a(trigger, fnv1a(p.id + '\x1f' + c.key + '\x1f' + value)));
    std::string id = "tra_" + hex16(fnv1a(c.key)), now = format_iso8601(now_);
    engage_fields f{"identify", {}, {}, now, "trait", id, c.key, cfg.admin.space, backfill, {}};
    if (wanted->second & kAsIdentify) {
      std::string mid = base + "i";
      f.message_id = mid;
      f.body = {{c.key, value}};
      queue_emit(p.id, mid, engage_json(p, f));
    }
    if (wanted->second & kAsTrack) {
      std::string mid = base + "t", key_json;
      append_json_string(key_json, c.key);
      f.type = "track";
      f.event = "Trait Computed";
      f.message_id = mid;
      f.body = {{"trait_key", key_json}, {c.key, value}};
      queue_emit(p.id, mid, engage_json(p, f));
    }
  }
}

void processor::queue_emit(const std::string& profile_id, std::string message_id,
                           std::string json) {
  // Bounded: without an entry, the event is resolved like any other (same profile).
  if (synthesized_for_.size() >=
      4 * std::max<std::size_t>(cfg_now_->processor.cache_profiles, 1000))
    synthesized_for_.clear();
  synthesized_for_[message_id] = profile_id;
  pending_emits_.emplace_back(std::move(message_id), std::move(json));
}

std::string processor::stage_emits(rocksdb::WriteBatch& b, std::uint64_t last_seq) {
  // One record for the batch's events (a key per event cost a memtable insert and a delete
  // each), named after the batch's cursor and its first event: two batches in flight never
  // share a key (a batch of timers alone has the cursor of the one before, but not its events).
  if (pending_emits_.empty()) return {};
  std::string key = kEmitsPrefix, value;
  put_be64(key, last_seq);
  key += pending_emits_.front().first;
  for (const auto& [mid, json] : pending_emits_) {
    put_string(value, mid);
    put_string(value, json);
  }
  b.Put(s_.meta, key, value);
  return key;
}

void processor::submit_emits(std::vector<std::pair<std::string, std::string>> emits,
                             std::vector<std::string> keys) {
  if (emits.empty()) return;
  eventlog::append_request req;
  req.source = kSynthesizedSource;
  req.received_at = clock_.now_ms();
  for (auto& [mid, json] : emits)
    req.items.push_back({std::string(kSynthesizedSource) + "\x1f" + mid, std::move(json)});
  stats_.synthesized.fetch_add(req.items.size());
  stats_.emits_in_flight.fetch_add(1);
  auto db = s_.db;
  auto meta = s_.meta;
  req.done = [db, meta, keys = std::move(keys), st = &stats_](eventlog::append_outcome o) {
    struct landed {
      processor_stats* s;
      ~landed() { s->emits_in_flight.fetch_sub(1); }
    } guard{st};
    if (o.status != eventlog::append_status::ok) {
      spdlog::warn("synthesized events not appended yet ({}); they are retried at the next start",
                   o.message);
      return;
    }
    rocksdb::WriteBatch done;
    for (const auto& k : keys) done.Delete(meta, k);
    db->Write({}, &done);
  };
  log_.submit(std::move(req));
}

void processor::resubmit_pending_emits() {
  std::vector<std::pair<std::string, std::string>> emits;
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.meta));
  // One event per key, as written before batches were staged in one record.
  for (it->Seek(kEmitPrefix); it->Valid() && it->key().starts_with(kEmitPrefix); it->Next()) {
    keys.push_back(it->key().ToString());
    emits.emplace_back(keys.back().substr(std::string_view(kEmitPrefix).size()),
                       it->value().ToString());
  }
  for (it->Seek(kEmitsPrefix); it->Valid() && it->key().starts_with(kEmitsPrefix); it->Next()) {
    keys.push_back(it->key().ToString());
    std::string_view v = it->value().ToStringView();
    for (std::string mid, json; get_string(v, mid) && get_string(v, json);)
      emits.emplace_back(mid, json);
    if (!v.empty())
      spdlog::error("the staged synthesized events after {} are truncated and cannot be read",
                    emits.empty() ? std::string("(none)") : emits.back().first);
  }
  if (!emits.empty())
    spdlog::info("appending {} synthesized events left over from the last run", emits.size());
  submit_emits(std::move(emits), std::move(keys));
}

}  // namespace tributary::processor
