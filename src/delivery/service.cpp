#include "delivery/service.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "tributary/common/bytes.h"
#include "tributary/common/thread.h"
#include "tributary/common/time.h"

namespace tributary::delivery {
namespace {

namespace asio = boost::asio;
constexpr std::size_t kRedriveChunk = 1'000;
constexpr const char* kReplayIdKey = "replay/last_id";  // in `meta`: the last replay id given

// Iterates the rows of one destination in a column family, in key order.
template <class Fn>
void for_each_row(const eventlog::event_log::state_handles& s, rocksdb::ColumnFamilyHandle* cf,
                  const std::string& name, Fn&& fn) {
  const std::string prefix = outbox_prefix(name);
  const std::string upper = name + '\x01';
  rocksdb::Slice bound(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &bound;
  std::unique_ptr<rocksdb::Iterator> it(s.db->NewIterator(ro, cf));
  for (it->Seek(prefix); it->Valid(); it->Next())
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
}

}  // namespace

service::service(eventlog::event_log& log, const config::holder& cfg, const clock_source& clock,
                 service_options opts)
    : log_(log),
      cfg_(cfg),
      clock_(clock),
      opts_(opts),
      s_(log.state()),
      writer_(s_.db),
      profiles_(log) {}

service::~service() {
  stop();
}

std::shared_ptr<destination_probe> service::probe_for(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& p = probes_[name];
  if (!p) p = std::make_shared<destination_probe>();
  return p;
}

void service::count_rows(const std::string& name, destination_probe& p) const {
  std::int64_t depth = 0, retrying = 0, dead = 0;
  for_each_row(s_, s_.outbox, name, [&](std::string_view, std::string_view v) {
    ++depth;
    if (auto row = decode_row(v); row && row->attempts) ++retrying;
    return true;
  });
  for_each_row(s_, s_.dlq, name, [&](std::string_view, std::string_view) {
    ++dead;
    return true;
  });
  p.outbox_depth.store(depth);
  p.retrying.store(retrying);
  p.dlq_size.store(dead);
}

void service::start() {
  if (started_) return;
  started_ = true;
  check_config();  // no thread yet: creating the sinks here is single-threaded
  guard_.emplace(io_.get_executor());
  arm_config_timer();
  thread_ = std::thread([this] {
    name_this_thread("delivery");
    io_.run();
    idle_.set_value();
  });
  {
    std::lock_guard lock(replay_mu_);
    replay_stop_ = false;
  }
  replay_thread_ = std::thread([this] {
    name_this_thread("replay");
    run_replays();
  });
}

void service::stop() {
  if (!started_) return;
  {
    std::lock_guard lock(replay_mu_);
    replay_stop_ = true;
  }
  replay_cv_.notify_all();
  if (replay_thread_.joinable()) replay_thread_.join();
  started_ = false;
  asio::post(io_, [this] {
    config_timer_.cancel();
    for (auto& [name, s] : sinks_) s->shutdown();
  });
  guard_.reset();
  // Everything ends once the connections are closed; a stuck name lookup cannot hold us.
  if (idle_.get_future().wait_for(std::chrono::seconds(3)) != std::future_status::ready) io_.stop();
  thread_.join();
  // Outbox updates still queued are written, then those the sinks had not handed over.
  writer_.stop();
  for (auto& [name, s] : sinks_) s->write_pending_now();
  sinks_.clear();
}

void service::arm_config_timer() {
  config_timer_.expires_after(opts_.config_check);
  config_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    check_config();
    arm_config_timer();
  });
}

void service::config_changed() {
  asio::post(io_, [this] { check_config(); });
}

void service::check_config() {
  auto c = cfg_.get();
  if (c == applied_) return;
  applied_ = c;
  std::map<std::string, std::shared_ptr<sink>> next;
  for (const auto& d : c->destinations) {
    auto def = std::make_shared<const config::destination>(d);
    if (auto it = sinks_.find(d.name); it != sinks_.end()) {
      it->second->update(def);
      next.emplace(d.name, std::move(it->second));
      sinks_.erase(it);
      continue;
    }
    auto p = probe_for(d.name);
    count_rows(d.name, *p);
    auto s = std::make_shared<sink>(io_, s_, writer_, clock_, def, p, opts_.limits);
    s->rescan();
    next.emplace(d.name, std::move(s));
    spdlog::info("destination {}: delivering to {} ({} waiting in the outbox, {} dead letters)",
                 d.name, def->parsed.display, p->outbox_depth.load(), p->dlq_size.load());
  }
  for (auto& [name, s] : sinks_) {
    s->shutdown();
    spdlog::info("destination {}: removed from the configuration; its outbox stays on disk", name);
    std::lock_guard lock(mu_);
    probes_.erase(name);
  }
  sinks_ = std::move(next);
}

void service::post_to_sinks(void (sink::*fn)()) {
  asio::post(io_, [this, fn] {
    check_config();
    for (auto& [name, s] : sinks_) (s.get()->*fn)();
  });
}

void service::committed(const std::unordered_map<std::string, std::uint64_t>& enqueued,
                        const std::unordered_map<std::string, std::uint64_t>& skipped) {
  for (const auto& [name, n] : enqueued)
    probe_for(name)->outbox_depth.fetch_add(static_cast<std::int64_t>(n));
  for (const auto& [name, n] : skipped) probe_for(name)->skipped.fetch_add(n);
  if (started_ && !enqueued.empty()) post_to_sinks(&sink::notify);
}

std::shared_ptr<const destination_probe> service::probe(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = probes_.find(name);
  return it == probes_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::shared_ptr<const destination_probe>>> service::probes()
    const {
  std::lock_guard lock(mu_);
  return {probes_.begin(), probes_.end()};
}

std::vector<dead_letter> service::dead_letters(const std::string& name, std::size_t limit) const {
  std::vector<dead_letter> out;
  if (!limit) return out;
  for_each_row(s_, s_.dlq, name, [&](std::string_view k, std::string_view v) {
    auto key = parse_outbox_key(k);
    auto row = decode_row(v);
    if (key && row) out.push_back({key->seq, key->sub, std::move(*row)});
    return out.size() < limit;
  });
  return out;
}

std::size_t service::redrive(const std::string& name) {
  const millis now = clock_.now_ms();
  std::size_t moved = 0;
  for (;;) {
    rocksdb::WriteBatch b;
    std::size_t chunk = 0;
    for_each_row(s_, s_.dlq, name, [&](std::string_view k, std::string_view v) {
      auto row = decode_row(v);
      if (!row) return true;  // unreadable: left where it is
      row->attempts = 0;
      row->next_attempt_at = 0;
      row->enqueued_at = now;  // a fresh retry window
      b.Put(s_.outbox, rocksdb::Slice(k.data(), k.size()), encode_row(*row));
      b.Delete(s_.dlq, rocksdb::Slice(k.data(), k.size()));
      return ++chunk < kRedriveChunk;
    });
    if (!chunk) break;
    auto st = s_.db->Write({}, &b);
    if (!st.ok()) {
      spdlog::error("destination {}: redrive failed: {}", name, st.ToString());
      break;
    }
    moved += chunk;
    if (auto p = probe_for(name)) {
      p->dlq_size.fetch_sub(static_cast<std::int64_t>(chunk));
      p->outbox_depth.fetch_add(static_cast<std::int64_t>(chunk));
    }
    if (chunk < kRedriveChunk) break;
  }
  if (moved) {
    spdlog::info("destination {}: {} dead letters redriven", name, moved);
    if (started_)
      asio::post(io_, [this, name] {
        if (auto it = sinks_.find(name); it != sinks_.end()) it->second->rescan();
      });
  }
  return moved;
}

std::optional<replay_status> service::start_replay(const std::string& name, millis from,
                                                   millis to) {
  std::lock_guard lock(replay_mu_);
  if (replay_queue_.size() >= opts_.max_pending_replays) return std::nullopt;
  if (!last_replay_id_) {
    std::string v;
    if (s_.db->Get({}, s_.meta, kReplayIdKey, &v).ok() && v.size() == 8)
      last_replay_id_ = get_be64(v);
  }
  replay_status st;
  st.id = ++last_replay_id_;
  st.destination = name;
  st.from = from;
  st.to = to;
  st.end_seq = log_.last_seq();
  st.requested_at = clock_.now_ms();
  // Persisted before any row is written (same WAL, written in order), so a restart never gives
  // the same id, and so the same outbox keys, twice.
  std::string v;
  put_be64(v, st.id);
  if (auto w = s_.db->Put({}, s_.meta, kReplayIdKey, v); !w.ok())
    spdlog::error("replay {}: cannot record its id: {}", st.id, w.ToString());
  auto job = std::make_shared<replay_job>(log_, cfg_, &profiles_, clock_, st,
                                          transform::default_random_source());
  replay_queue_.push_back({std::move(job), st});
  replay_cv_.notify_one();
  spdlog::info("destination {}: replay {} of the events received from {} to {} queued", name, st.id,
               format_iso8601(from), format_iso8601(to));
  return st;
}

std::optional<replay_status> service::replay(const std::string& name, std::uint64_t id) const {
  std::lock_guard lock(replay_mu_);
  for (const auto& p : replay_queue_)
    if (p.shown.id == id && p.shown.destination == name) return p.shown;
  for (const auto& st : replay_done_)
    if (st.id == id && st.destination == name) return st;
  return std::nullopt;
}

std::vector<replay_status> service::replays(const std::string& name) const {
  std::lock_guard lock(replay_mu_);
  std::vector<replay_status> out;
  for (auto it = replay_queue_.rbegin(); it != replay_queue_.rend(); ++it)
    if (it->shown.destination == name) out.push_back(it->shown);
  for (const auto& st : replay_done_)
    if (st.destination == name) out.push_back(st);
  return out;
}

void service::replayed(const std::string& name, const std::string& first_key, std::uint64_t rows) {
  std::shared_ptr<destination_probe> p;
  {
    std::lock_guard lock(mu_);
    if (auto it = probes_.find(name); it != probes_.end()) p = it->second;
  }
  if (p) {
    p->outbox_depth.fetch_add(static_cast<std::int64_t>(rows));
    p->replayed.fetch_add(rows);
  }
  // The rows sit at old sequence numbers, behind the sink's scan position.
  asio::post(io_, [this, name, first_key] {
    if (auto it = sinks_.find(name); it != sinks_.end()) it->second->notify_from(first_key);
  });
}

void service::run_replays() {
  std::unique_lock lock(replay_mu_);
  for (;;) {
    replay_cv_.wait(lock, [&] { return replay_stop_ || !replay_queue_.empty(); });
    if (replay_stop_) break;
    auto job = replay_queue_.front().job;
    lock.unlock();
    const bool first = job->status().state == replay_state::queued;
    const bool more = job->step(opts_.replay_step);
    const replay_status& st = job->status();
    if (first)
      spdlog::info("destination {}: replay {} started (log records up to sequence {})",
                   st.destination, st.id, st.end_seq);
    if (job->step_enqueued()) replayed(st.destination, job->step_first_key(), job->step_enqueued());
    lock.lock();
    replay_queue_.front().shown = st;
    if (more) continue;
    if (st.state == replay_state::done)
      spdlog::info(
          "destination {}: replay {} done: {} records read, {} in range, {} enqueued, {} "
          "not routed",
          st.destination, st.id, st.events_scanned, st.in_range, st.enqueued, st.skipped);
    else
      spdlog::error("destination {}: replay {} {}: {}", st.destination, st.id, to_string(st.state),
                    st.error);
    replay_done_.push_front(st);
    replay_queue_.pop_front();
    while (replay_done_.size() > opts_.kept_replays) replay_done_.pop_back();
  }
  // Stopping: what has not finished is reported as interrupted; its rows so far stay queued.
  for (auto& p : replay_queue_) {
    p.job->interrupt("the server stopped before the replay finished");
    replay_done_.push_front(p.job->status());
  }
  replay_queue_.clear();
}

}  // namespace tributary::delivery
