#include "processor/processor.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <iterator>
#include <utility>

#include "identity/identity.h"
#include "profile/keys.h"
#include "tributary/common/json_parse.h"
#include "tributary/common/thread.h"
#include "tributary/common/time.h"

namespace tributary::processor {

namespace pf = tributary::profile;
using pf::profile;

processor::processor(eventlog::event_log& log, const config::holder& cfg, const clock_source* clock)
    : log_(log),
      cfg_(cfg),
      s_(log.state()),
      clock_(clock ? *clock : system_clock_),
      batch_(std::make_unique<rocksdb::WriteBatch>()),
      write_status_(std::make_unique<rocksdb::Status>()) {
  cursor_.store(log_.cursor(kCursorName));
  read_pos_ = cursor_.load();
  writer_ = std::thread([this] {
    name_this_thread("proc-writer");
    writer_loop();
  });
  std::uint64_t timers = 0;
  s_.db->GetIntProperty(s_.timers, "rocksdb.estimate-num-keys", &timers);
  stats_.timers_pending.store(static_cast<std::int64_t>(timers));
  resubmit_pending_emits();
}

processor::~processor() {
  stop();
  flush();
  {
    std::lock_guard lock(write_mu_);
    writer_quit_ = true;
  }
  write_cv_.notify_all();
  writer_.join();
  // Appends of synthesized events report back into stats_: wait for them (the log outlives us).
  for (int i = 0; i < 5000 && stats_.emits_in_flight.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void processor::start() {
  thread_ = std::thread([this] {
    name_this_thread("processor");
    while (!stopping_.load()) {
      if (run_once(false) > 0) continue;
      // Idle: the last batch is written (and its rows handed on) before sleeping until an event
      // arrives, the next timer is due, or 200 ms pass.
      flush();
      auto wait = std::chrono::milliseconds(200);
      if (auto due = next_timer())
        wait = std::clamp(std::chrono::milliseconds(*due - clock_.now_ms()),
                          std::chrono::milliseconds(1), wait);
      log_.wait_for(cursor_.load(), wait);
    }
    flush();
  });
}

void processor::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::size_t processor::run_once(bool wait_for_write) {
  if (inflight_failed_) {  // found by a barrier inside the last batch
    abort_batches();
    return 0;
  }
  auto cfg = cfg_.get();
  cfg_now_ = cfg.get();
  now_ = clock_.now_ms();
  start_backfill_if_needed(*cfg);
  // Events are read in chunks until the batch is full, the log is drained, or the batch has
  // taken kBatchTime: under a steady stream an event waits for little more than that before its
  // batch commits. Behind a backlog, where events wait for it anyway, batches take longer and
  // commit less often (3-4x fewer commits; events/s within the noise, docs/performance.md).
  std::uint64_t last = read_pos_;
  const bool behind = log_.last_seq() >= last + kBacklog;
  const auto deadline =
      std::chrono::steady_clock::now() + (behind ? kBacklogBatchTime : kBatchTime);
  std::size_t events = 0;
  bool drained = false;
  while (events < cfg->processor.batch_events) {
    std::size_t want = std::min(kReadChunk, cfg->processor.batch_events - events);
    auto records = log_.read(last, want);
    for (const auto& rec : records) process(rec, *cfg);
    events += records.size();
    if (!records.empty()) last = records.back().seq;
    drained = records.size() < want;
    // In a burst of timers, a batch takes all the events the last step synthesized (while their
    // profiles are cached) before the next step.
    if (drained || (!timer_backlog_ && std::chrono::steady_clock::now() >= deadline)) break;
  }
  std::size_t timers = run_timers(*cfg);
  timer_backlog_ = timers >= kTimersPerBatch;
  std::size_t visited = backfill_step(*cfg);
  std::size_t handled = events + timers;
  if (handled == 0 && visited == 0 && !inflight_failed_) return 0;
  // Keeping up, the write is waited for, so that the batch is visible and handed on (outbox
  // rows, synthesized events) at once; with more events waiting, a full step of due timers, or
  // a backfill, the next batch runs during it. (In a burst of timers the synthesized events
  // then trail the timers by a step or two; 100,000 timers: 4.0-5.3 s overlapped, 4.1-6.4 s not.)
  const bool backlog = !drained || visited > 0 || timer_backlog_;
  if (!commit(last, wait_for_write || !backlog)) {
    abort_batches();
    return 0;
  }
  evict(cfg->processor.cache_profiles);
  return handled + visited;
}

void processor::abort_batches() {
  // Memory ran ahead of the database: forget it and replay from the stored cursor.
  flush();
  inflight_.reset();
  inflight_failed_ = false;
  cache_.clear();
  dirty_.clear();
  id_overlay_.clear();
  id_cache_.clear();
  history_puts_.clear();
  history_deletes_.clear();
  pending_emits_.clear();
  synthesized_for_.clear();
  merged_now_.clear();
  audiences_changed_.clear();
  timer_deletes_.clear();
  batch_->Clear();
  timer_floor_.store(0);
  read_pos_ = cursor_.load();
  for (auto* st : stages_) st->aborted();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

profile* processor::load(const std::string& id) {
  if (auto it = cache_.find(id); it != cache_.end()) return &it->second;
  std::string v;
  if (!s_.db->Get({}, s_.profiles, id, &v).ok()) return nullptr;
  auto decoded = pf::decode(v);
  if (!decoded) return nullptr;
  auto [it, _] = cache_.emplace(id, std::move(*decoded));
  if (it->second.merged_into.empty()) ensure_states(it->second, *cfg_now_);
  return &it->second;
}

std::optional<std::string> processor::find(const std::string& key) {
  std::string pid;
  auto in_flight = [&]() -> const std::string* {
    if (!inflight_) return nullptr;
    auto it = inflight_->ids.find(key);
    return it == inflight_->ids.end() ? nullptr : &it->second;
  };
  if (auto it = id_overlay_.find(key); it != id_overlay_.end()) {
    pid = it->second;
  } else if (const std::string* p = in_flight()) {
    pid = *p;
  } else if (auto c = id_cache_.find(key); c != id_cache_.end()) {
    if (c->second.empty()) return std::nullopt;  // known to be absent
    pid = c->second;
  } else if (auto st = s_.db->Get({}, s_.ids, key, &pid); st.ok()) {
    id_cache_.emplace(key, pid);
  } else {
    if (st.IsNotFound()) id_cache_.emplace(key, std::string());
    return std::nullopt;
  }
  if (profile* p = live(std::move(pid))) return p->id;
  return std::nullopt;
}

profile* processor::live(std::string id) {
  for (int hops = 0; hops < 64; ++hops) {
    profile* p = load(id);
    if (!p || p->merged_into.empty()) return p;
    id = p->merged_into;
  }
  return nullptr;
}

void processor::merge(profile& winner, profile& loser) {
  auto loser_audiences = loser.audiences;
  std::string loser_id = loser.id;
  winner.absorb(loser);
  for (const auto& id : loser.ids) id_overlay_[id.type + ":" + id.value] = winner.id;
  // Move the loser's history under the winner: what is stored, what the write in flight adds
  // (history moved in by a merge of the last batch), and what this batch adds. The write in
  // flight deletes only the history of profiles merged away then, never of a live profile.
  auto move = [&](std::string_view k, std::string_view value) {
    history_deletes_.emplace_back(k);
    history_puts_[pf::history_key(winner.id, pf::history_time(k), pf::history_seq(k))] = value;
  };
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.history));
  for (it->Seek(loser.id); it->Valid() && it->key().starts_with(loser.id); it->Next())
    move(it->key().ToStringView(), it->value().ToStringView());
  if (inflight_)
    for (auto h = inflight_->history_puts.lower_bound(loser.id);
         h != inflight_->history_puts.end() && h->first.starts_with(loser.id); ++h)
      move(h->first, h->second);
  for (auto h = history_puts_.lower_bound(loser.id);
       h != history_puts_.end() && h->first.starts_with(loser.id);) {
    history_puts_[pf::history_key(winner.id, pf::history_time(h->first),
                                  pf::history_seq(h->first))] = h->second;
    h = history_puts_.erase(h);
  }
  profile forward;
  forward.id = loser.id;
  forward.merged_into = winner.id;
  loser = std::move(forward);
  for (const auto& [key, t] : loser_audiences)
    batch_->Delete(s_.audiences, member_key(key, loser_id));
  merged_now_.insert(winner.id);
  dirty_.insert(loser.id);
  dirty_.insert(winner.id);
  stats_.merges.fetch_add(1);
}

void processor::process(const eventlog::log_record& rec, const config::config& cfg) {
  stats_.events.fetch_add(1);
  stats_.last_event_received_at.store(rec.received_at);
  auto ev = parse_json(rec.json);
  if (!ev.is_object()) return;
  if (rec.source == kSynthesizedSource && !synthesized_for_.empty()) {
    // Made by this process for a profile: it already reflects the event; only the stages run.
    auto m = ev.find("messageId");
    auto it = m != ev.end() && m->is_string()
                  ? synthesized_for_.find(m->get_ref<const std::string&>())
                  : synthesized_for_.end();
    if (it != synthesized_for_.end()) {
      profile* target = live(it->second);
      synthesized_for_.erase(it);
      if (target) {
        for (auto* st : stages_) st->on_event({rec, ev, target, cfg, now_}, *batch_);
        return;
      }
    }
  }
  auto known = [&](const std::string& key) { return find(key).has_value(); };
  auto ids = identity::extract(ev, cfg.identity, known);
  if (ids.empty()) {
    stats_.unresolved.fetch_add(1);
    for (auto* st : stages_) st->on_event({rec, ev, nullptr, cfg, now_}, *batch_);
    return;
  }
  auto ids_of = [&](const std::string& pid) {
    std::vector<identity::external_id> out;
    if (profile* p = load(pid))
      for (const auto& e : p->ids) out.push_back({e.type, e.value, e.encoding});
    return out;
  };
  auto res = identity::resolve(
      ids, cfg.identity, [&](const std::string& k) { return find(k); }, ids_of);
  stats_.ids_dropped.fetch_add(res.dropped.size());

  const std::string message_id = ev.value("messageId", "");
  millis ts = rec.received_at;
  if (auto t = ev.find("timestamp"); t != ev.end() && t->is_string())
    if (auto parsed = parse_iso8601(t->get<std::string>())) ts = *parsed;

  profile* target = nullptr;
  // The oldest profile survives a merge. A missing record (never expected: ids and profiles are
  // committed together) is treated as no match rather than trusted.
  std::vector<profile*> found;
  for (const auto& pid : res.profiles)
    if (profile* p = load(pid)) found.push_back(p);
  if (found.empty()) {
    std::string pid = pf::profile_id_for(rec.seq);
    profile p;
    p.id = pid;
    p.created_at = rec.received_at;
    p.first_message_id = message_id;
    p.first_source_id = rec.source;
    for (const auto& d : cfg.computed_traits)
      if (d.type != config::trait_type::days_since)
        p.trait_states[d.key].fingerprint = d.fingerprint;
    target = &cache_.emplace(pid, std::move(p)).first->second;
    stats_.profiles_created.fetch_add(1);
  } else {
    std::sort(found.begin(), found.end(), [](profile* a, profile* b) {
      return a->created_at != b->created_at ? a->created_at < b->created_at : a->id < b->id;
    });
    target = found.front();
    for (size_t i = 1; i < found.size(); ++i) merge(*target, *found[i]);
    if (found.size() > 1) ensure_states(*target, cfg);  // states built for other definitions
  }
  // An id the profile already holds resolves to it (merges re-point the ids they move).
  bool changed = found.size() != 1;  // a new profile, or a merge
  for (const auto& id : res.ids) {
    if (target->has_id(id.type, id.value)) continue;
    target->ids.push_back(
        {id.type, id.value, id.encoding, rec.source, rec.received_at, message_id});
    id_overlay_[id.key()] = target->id;
    changed = true;
  }

  if (rec.source == kSynthesizedSource) {
    // Our own audience/trait change events: already reflected in the profile; not activity.
    // The profile is rewritten only if resolving the event changed it.
    if (changed) dirty_.insert(target->id);
    for (auto* st : stages_) st->on_event({rec, ev, target, cfg, now_}, *batch_);
    return;
  }
  const std::string type = ev.value("type", "");
  auto apply_traits = [&](const nlohmann::json* traits) {
    if (traits && traits->is_object())
      for (const auto& [k, v] : traits->items()) target->set_trait(k, v, ts, rec.source);
  };
  if (auto ctx = ev.find("context"); ctx != ev.end() && ctx->is_object())
    if (auto t = ctx->find("traits"); t != ctx->end()) apply_traits(&*t);
  if (type == "identify")
    if (auto t = ev.find("traits"); t != ev.end()) apply_traits(&*t);
  if (type == "group") {
    std::string gid =
        ev["groupId"].is_string() ? ev["groupId"].get<std::string>() : ev["groupId"].dump();
    auto& g = target->groups[gid];
    g.ts = std::max(g.ts, ts);
    if (auto t = ev.find("traits"); t != ev.end() && t->is_object())
      for (const auto& [k, v] : t->items()) {
        auto cur = g.traits.find(k);
        if (cur == g.traits.end() || cur->second.ts <= ts) g.traits[k] = {v, ts, rec.source};
      }
  }
  if (target->first_message_id.empty()) {
    target->first_message_id = message_id;
    target->first_source_id = rec.source;
  }
  target->last_message_id = message_id;
  target->last_source_id = rec.source;
  target->updated_at = std::max(target->updated_at, rec.received_at);
  observe_traits(*target, ev, ts, rec.seq, cfg);
  refresh_profile(*target, cfg, "e" + std::to_string(rec.seq));
  history_puts_[pf::history_key(target->id, ts, rec.seq)] = pf::history_value(rec.source, rec.json);
  dirty_.insert(target->id);
  for (auto* st : stages_) st->on_event({rec, ev, target, cfg, now_}, *batch_);
}

bool processor::commit(std::uint64_t last_seq, bool wait_for_write) {
  rocksdb::WriteBatch& b = *batch_;
  for (const auto& pid : dirty_) {
    auto it = cache_.find(pid);
    if (it == cache_.end()) continue;
    pf::encode(it->second, encoded_);
    b.Put(s_.profiles, pid, encoded_);
  }
  for (const auto& [k, v] : id_overlay_) {
    b.Put(s_.ids, k, v);
    id_cache_[k] = v;
  }
  for (const auto& k : history_deletes_) b.Delete(s_.history, k);
  for (const auto& [k, v] : history_puts_) b.Put(s_.history, k, v);
  std::string cursor;
  put_be64(cursor, last_seq);
  std::string emits_key = stage_emits(b, last_seq);
  for (const auto& key : audiences_changed_)
    b.Put(s_.meta, "audience/changed/" + key, format_iso8601(now_));
  b.Put(s_.meta, eventlog::event_log::cursor_key(kCursorName), cursor);
  // One write in flight: the previous batch must be written before this one is handed over.
  if (!flush()) return false;
  for (auto* st : stages_) st->sealed();
  inflight_batch next;
  // The next batch reuses the one written before, cleared: its buffer keeps its capacity, so
  // building a batch does not grow (copy, page-fault) a fresh buffer every time.
  next.batch = std::exchange(
      batch_, spare_batch_ ? std::move(spare_batch_) : std::make_unique<rocksdb::WriteBatch>());
  next.last_seq = last_seq;
  next.dirty = std::exchange(dirty_, {});
  next.ids = std::exchange(id_overlay_, {});
  next.timer_deletes = std::exchange(timer_deletes_, {});
  next.emits = std::exchange(pending_emits_, {});
  next.emits_key = std::move(emits_key);
  next.history_puts = std::exchange(history_puts_, {});
  history_deletes_.clear();
  merged_now_.clear();
  audiences_changed_.clear();
  {
    std::lock_guard lock(write_mu_);
    write_job_ = next.batch.get();
    write_done_ = false;
    inflight_ = std::move(next);
    // Evicted profiles are freed by the writer after the write, off this thread.
    std::move(evicted_.begin(), evicted_.end(), std::back_inserter(write_garbage_));
  }
  evicted_.clear();
  write_cv_.notify_all();
  read_pos_ = last_seq;
  return wait_for_write ? flush() : true;
}

void processor::writer_loop() {
  std::unique_lock lock(write_mu_);
  for (;;) {
    write_cv_.wait(lock, [&] { return writer_quit_ || (write_job_ && !write_done_); });
    if (!write_job_ || write_done_) return;  // quitting, nothing to write
    rocksdb::WriteBatch* job = write_job_;
    lock.unlock();
    // No fsync here: the WAL survives a process crash, and after a power loss the batch and its
    // cursor are lost together, so the events are simply processed again.
    auto st = s_.db->Write({}, job);
    lock.lock();
    *write_status_ = st;
    write_done_ = true;
    write_cv_.notify_all();
    auto garbage = std::exchange(write_garbage_, {});
    lock.unlock();
    garbage.clear();
    lock.lock();
  }
}

bool processor::flush() {
  if (!inflight_) return !inflight_failed_;
  rocksdb::Status st;
  {
    std::unique_lock lock(write_mu_);
    write_cv_.wait(lock, [&] { return write_done_; });
    write_job_ = nullptr;
    st = *write_status_;
  }
  inflight_batch done = std::move(*inflight_);
  inflight_.reset();
  // Kept for reuse unless it grew large (a long backlog batch): its buffer would stay that size.
  if (done.batch->GetDataSize() <= kSpareBatchBytes) {
    done.batch->Clear();
    spare_batch_ = std::move(done.batch);
  }
  if (!st.ok()) {
    stats_.commit_errors.fetch_add(1);
    spdlog::error("processor commit failed: {}", st.ToString());
    inflight_failed_ = true;
    return false;
  }
  stats_.commits.fetch_add(1);
  cursor_.store(done.last_seq);
  submit_emits(std::move(done.emits), {std::move(done.emits_key)});
  for (auto* s : stages_) s->committed();
  return true;
}

void processor::evict(std::size_t cap) {
  // Bounded cache: drop arbitrary clean entries once over the cap. Everything is committed here
  // but the write in flight, whose profiles stay until it is done.
  if (cache_.size() > cap) {
    std::size_t target = cap - cap / 10;
    for (auto it = cache_.begin(); it != cache_.end() && cache_.size() > target;)
      if (inflight_ && inflight_->dirty.count(it->first))
        ++it;
      else
        evicted_.push_back(cache_.extract(it++));
  }
  cache_size_.store(cache_.size());
  if (id_cache_.size() > 2 * cap) {  // arbitrary entries, as for profiles
    std::size_t target = 2 * cap - cap / 5;
    for (auto it = id_cache_.begin(); it != id_cache_.end() && id_cache_.size() > target;)
      it = id_cache_.erase(it);
  }
}

}  // namespace tributary::processor
