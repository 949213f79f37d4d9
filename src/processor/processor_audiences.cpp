// The processor's audience work: membership evaluated after every profile change, the instant
// membership can next flip with time alone, and the synthesized Audience Entered/Exited and
// identify events (Segment Engage shapes) appended to the log exactly once.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "processor/processor.h"
#include "processor/profile_view.h"
#include "traits/engine.h"
#include "tributary/common/bytes.h"
#include "tributary/common/time.h"
#include "tributary/expr/evaluate.h"

namespace tributary::processor {

namespace pf = tributary::profile;

namespace {

const char* const kEmitPrefix = "emit/";

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
  nlohmann::json traits = profile_view::traits_of(p);
  std::optional<millis> due;
  for (const auto& a : cfg.audiences) {
    profile_view view(p, a.term_traits, cfg, traits, now_);
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
      batch_->Put(s_.meta, "audience/changed/" + a.key, format_iso8601(now_));
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

nlohmann::json processor::synthesized(const pf::profile& p, const config::config& cfg,
                                      nlohmann::json personas, const std::string& message_id) {
  nlohmann::json ev = nlohmann::json::object();
  ev["messageId"] = message_id;
  for (const auto& e : p.ids) {
    if (e.type == "user_id" && !ev.contains("userId")) ev["userId"] = e.value;
    if (e.type == "anonymous_id" && !ev.contains("anonymousId")) ev["anonymousId"] = e.value;
  }
  std::string t = format_iso8601(now_);
  ev["timestamp"] = t;
  ev["receivedAt"] = t;
  personas["namespace"] = "spa_" + cfg.admin.space;
  personas["space_id"] = "spa_" + cfg.admin.space;
  ev["context"] = {{"personas", std::move(personas)}, {"library", {{"name", "tributary"}}}};
  auto email = p.traits.find("email");
  if (email != p.traits.end() && email->second.value.is_string())
    ev["context"]["traits"] = {{"email", email->second.value}};
  ev["integrations"] = nlohmann::json::object();
  return ev;
}

void processor::emit_audience_change(const pf::profile& p, const config::audience& a, bool member,
                                     const config::config& cfg, const std::string& trigger,
                                     bool backfill) {
  nlohmann::json personas = {{"computation_class", "audience"},
                             {"computation_id", "aud_" + hex16(fnv1a(a.key))},
                             {"computation_key", a.key}};
  if (backfill) personas["backfill"] = true;
  std::string base = hex16(fnv1a(trigger, fnv1a(p.id + '\x1f' + a.key + (member ? "+" : "-"))));
  auto track = synthesized(p, cfg, personas, "personas_" + base + "t");
  track["type"] = "track";
  track["event"] = member ? "Audience Entered" : "Audience Exited";
  track["properties"] = {{"audience_key", a.key}, {a.key, member}};
  auto identify = synthesized(p, cfg, personas, "personas_" + base + "i");
  identify["type"] = "identify";
  identify["traits"] = {{a.key, member}};
  if (auto e = identify["context"].find("traits"); e != identify["context"].end()) {
    identify["traits"]["email"] = (*e)["email"];
    identify["context"].erase("traits");
  }
  queue_emit(identify);
  queue_emit(track);
}

void processor::emit_trait_changes(const pf::profile& p, const std::vector<traits::change>& changes,
                                   const config::config& cfg, const std::string& trigger,
                                   bool backfill) {
  for (const auto& c : changes) {
    auto wanted = wanted_traits_.find(c.key);
    if (c.key.starts_with("__") || wanted == wanted_traits_.end()) continue;
    nlohmann::json personas = {{"computation_class", "trait"},
                               {"computation_id", "tra_" + hex16(fnv1a(c.key))},
                               {"computation_key", c.key}};
    if (backfill) personas["backfill"] = true;
    std::string base =
        "personas_" + hex16(fnv1a(trigger, fnv1a(p.id + '\x1f' + c.key + '\x1f' + c.after.dump())));
    if (wanted->second & kAsIdentify) {
      auto identify = synthesized(p, cfg, personas, base + "i");
      identify["type"] = "identify";
      identify["traits"] = {{c.key, c.after}};
      if (auto e = identify["context"].find("traits"); e != identify["context"].end()) {
        identify["traits"]["email"] = (*e)["email"];
        identify["context"].erase("traits");
      }
      queue_emit(identify);
    }
    if (wanted->second & kAsTrack) {
      auto track = synthesized(p, cfg, personas, base + "t");
      track["type"] = "track";
      track["event"] = "Trait Computed";
      track["properties"] = {{"trait_key", c.key}, {c.key, c.after}};
      queue_emit(track);
    }
  }
}

void processor::queue_emit(const nlohmann::json& ev) {
  pending_emits_.emplace_back(ev["messageId"].get<std::string>(), ev.dump());
}

void processor::stage_emits(rocksdb::WriteBatch& b) {
  for (const auto& [mid, json] : pending_emits_) b.Put(s_.meta, kEmitPrefix + mid, json);
}

void processor::submit_emits(std::vector<std::pair<std::string, std::string>> emits) {
  if (emits.empty()) return;
  eventlog::append_request req;
  req.source = kSynthesizedSource;
  req.received_at = clock_.now_ms();
  std::vector<std::string> keys;
  for (auto& [mid, json] : emits) {
    req.items.push_back({std::string(kSynthesizedSource) + "\x1f" + mid, std::move(json)});
    keys.push_back(kEmitPrefix + mid);
  }
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
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.meta));
  for (it->Seek(kEmitPrefix); it->Valid() && it->key().starts_with(kEmitPrefix); it->Next())
    emits.emplace_back(it->key().ToString().substr(std::string_view(kEmitPrefix).size()),
                       it->value().ToString());
  if (!emits.empty())
    spdlog::info("appending {} synthesized events left over from the last run", emits.size());
  submit_emits(std::move(emits));
}

}  // namespace tributary::processor
