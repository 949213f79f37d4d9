#include "delivery/sink.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "delivery/replay.h"
#include "delivery/request_builder.h"
#include "delivery/retry.h"

namespace tributary::delivery {
namespace {

namespace asio = boost::asio;
constexpr std::size_t kScanStep = 2'000;  // rows read before yielding to requests
constexpr millis kLogEvery = 60'000;      // at most one failure line a minute per sink
constexpr std::size_t kErrorExcerpt = 200;

std::string lane_of(const std::string& key, const outbox_row& row) {
  return row.profile_id.empty() ? "\x01" + key : row.profile_id;
}

std::string failure_text(const exchange_result& res) {
  if (res.status == 0) return res.error;
  std::string body = res.body_start.substr(0, kErrorExcerpt);
  for (auto& c : body)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return body.empty() ? fmt::format("HTTP {}", res.status)
                      : fmt::format("HTTP {}: {}", res.status, body);
}

}  // namespace

sink::sink(asio::io_context& io, const eventlog::event_log::state_handles& s, outbox_writer& writer,
           const clock_source& clock, std::shared_ptr<const config::destination> d,
           std::shared_ptr<destination_probe> probe, sink_limits limits)
    : io_(io),
      s_(s),
      clock_(clock),
      dest_(std::move(d)),
      probe_(std::move(probe)),
      limits_(limits),
      prefix_(outbox_prefix(dest_->name)),
      upper_(dest_->name + '\x01'),
      writer_(writer),
      retry_timer_(io),
      batch_timer_(io),
      rate_timer_(io),
      rng_(std::random_device{}()) {
  make_tls();
}

void sink::make_tls() {
  tls_.reset();
  tls_error_.clear();
  if (!dest_->parsed.https) return;
  try {
    tls_ = make_client_tls(dest_->tls);
  } catch (const std::exception& e) {
    tls_error_ = e.what();
  }
}

void sink::update(std::shared_ptr<const config::destination> d) {
  auto old = std::move(dest_);
  dest_ = std::move(d);
  if (old->url != dest_->url || old->tls.ca_file != dest_->tls.ca_file ||
      old->tls.verify != dest_->tls.verify) {
    ++generation_;  // connections of the old endpoint are not reused
    idle_.clear();
    make_tls();
  }
  while (idle_.size() > dest_->concurrency) idle_.pop_back();
  if (!dest_->rate_limit) next_send_ = {};
  pump();
}

void sink::notify() {
  if (!scan_paused_) schedule_scan();
}

void sink::rescan() {
  // Keys whose delete is being written are skipped by this scan; a row put back under such a
  // key (a redrive racing the write) is found by a second scan once the write is done.
  if (writing_) rescan_after_write_ = true;
  scan_from_.clear();
  scan_paused_ = false;
  schedule_scan();
}

void sink::notify_from(const std::string& key) {
  if (!scan_from_.empty() && key < scan_from_) scan_from_ = key;
  if (!scan_paused_) schedule_scan();
}

void sink::schedule_scan() {
  if (scan_posted_ || stopping_) return;
  scan_posted_ = true;
  asio::post(io_, [self = shared_from_this()] {
    self->scan_posted_ = false;
    self->scan();
  });
}

void sink::scan() {
  if (stopping_) return;
  rocksdb::Slice upper(upper_);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator(ro, s_.outbox));
  const millis now = clock_.now_ms();
  std::size_t n = 0;
  for (it->Seek(scan_from_.empty() ? prefix_ : scan_from_); it->Valid(); it->Next()) {
    if (known_.size() >= limits_.max_loaded_rows) {
      scan_paused_ = true;  // resumed once deliveries make room
      break;
    }
    if (++n > kScanStep) {
      schedule_scan();  // let requests complete between steps
      break;
    }
    std::string key = it->key().ToString();
    scan_from_ = key + '\0';
    if (known_.count(key)) continue;
    auto row = decode_row(it->value().ToStringView());
    if (!row) {
      spdlog::error("destination {}: an outbox row cannot be read; it is left in place",
                    dest_->name);
      continue;
    }
    add(std::move(key), std::move(*row), now);
  }
  pump();
}

void sink::add(std::string key, outbox_row row, millis now) {
  auto e = std::make_shared<entry>();
  const std::string id = lane_of(key, row);
  e->key = std::move(key);
  e->row = std::move(row);
  if (body_bytes_ + e->row.body.size() > limits_.max_body_bytes) {
    e->has_body = false;  // re-read from the outbox when it is sent
    e->row.body.clear();
    e->row.body.shrink_to_fit();
  } else {
    body_bytes_ += e->row.body.size();
  }
  known_.insert(e->key);
  lane& l = lanes_[id];
  auto pos =
      std::upper_bound(l.rows.begin(), l.rows.end(), e,
                       [](const entry_ptr& a, const entry_ptr& b) { return a->key < b->key; });
  l.rows.insert(pos, std::move(e));
  if (l.state == lane_state::ready) ++ready_rows_;
  if (l.state == lane_state::idle) settle(id, now);
}

void sink::settle(const std::string& id, millis now) {
  auto it = lanes_.find(id);
  if (it == lanes_.end()) return;
  lane& l = it->second;
  if (l.rows.empty()) {
    lanes_.erase(it);
    return;
  }
  const millis due = l.rows.front()->row.next_attempt_at;
  if (due > now)
    wait(id, l, due);
  else
    make_ready(id, l, now);
}

void sink::make_ready(const std::string& id, lane& l, millis now) {
  if (ready_.empty()) ready_since_ = now;
  l.state = lane_state::ready;
  ready_.push_back(id);
  ready_rows_ += l.rows.size();
}

void sink::wait(const std::string& id, lane& l, millis until) {
  l.state = lane_state::waiting;
  l.wait_until = until;
  waiting_.emplace(until, id);
  if (!retry_timer_due_ || until < retry_timer_due_) arm_retry_timer(clock_.now_ms());
}

void sink::arm_retry_timer(millis now) {
  if (stopping_ || waiting_.empty()) return;
  retry_timer_due_ = waiting_.begin()->first;
  retry_timer_.expires_after(
      std::chrono::milliseconds(std::max<millis>(0, retry_timer_due_ - now)));
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_retry_timer();
  });
}

void sink::on_retry_timer() {
  retry_timer_due_ = 0;
  if (stopping_) return;
  const millis now = clock_.now_ms();
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    auto [due, id] = *waiting_.begin();
    waiting_.erase(waiting_.begin());
    auto it = lanes_.find(id);
    if (it != lanes_.end() && it->second.state == lane_state::waiting &&
        it->second.wait_until == due)
      make_ready(id, it->second, now);
  }
  arm_retry_timer(now);
  pump();
}

bool sink::load_body(entry& e) {
  if (e.has_body) return true;
  std::string value;
  if (!s_.db->Get({}, s_.outbox, e.key, &value).ok()) return false;
  auto row = decode_row(value);
  if (!row) return false;
  e.row.body = std::move(row->body);
  e.has_body = true;
  body_bytes_ += e.row.body.size();
  return true;
}

sink::job sink::take_job(std::size_t max_events) {
  job j;
  while (!ready_.empty() && j.entries.size() < max_events) {
    std::string id = std::move(ready_.front());
    ready_.pop_front();
    auto it = lanes_.find(id);
    if (it == lanes_.end() || it->second.state != lane_state::ready) continue;  // stale
    lane& l = it->second;
    ready_rows_ -= std::min(ready_rows_, l.rows.size());
    l.state = lane_state::busy;
    std::size_t taken = 0;
    std::vector<entry_ptr> lost;
    for (auto& e : l.rows) {
      if (j.entries.size() >= max_events) break;
      if (!load_body(*e)) {
        lost.push_back(e);  // gone from the outbox (it should not be)
        continue;
      }
      j.entries.push_back(e);
      ++taken;
    }
    if (!lost.empty())
      spdlog::error("destination {}: {} outbox rows vanished before they were sent", dest_->name,
                    lost.size());
    for (auto& e : lost) forget(e, false);
    if (taken) {
      j.lanes.push_back(id);
    } else {
      l.state = lane_state::idle;
      settle(id, clock_.now_ms());
    }
  }
  if (ready_.empty()) ready_since_ = 0;
  return j;
}

void sink::pump() {
  if (stopping_) return;
  const config::destination& d = *dest_;
  while (in_flight_ < d.concurrency && !ready_.empty()) {
    const millis now = clock_.now_ms();
    if (d.batch && ready_rows_ < d.batch->size) {
      const millis due = (ready_since_ ? ready_since_ : now) + d.batch->max_wait;
      if (now < due) {
        batch_timer_.expires_after(std::chrono::milliseconds(due - now));
        batch_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
          if (!ec) self->pump();
        });
        return;
      }
    }
    if (d.rate_limit > 0) {
      auto t = std::chrono::steady_clock::now();
      if (t < next_send_) {
        rate_timer_.expires_at(next_send_);
        rate_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
          if (!ec) self->pump();
        });
        return;
      }
      auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(1.0 / d.rate_limit));
      next_send_ = std::max(next_send_, t) + interval;
    }
    job j = take_job(d.batch ? d.batch->size : 1);
    if (j.entries.empty()) continue;
    ++in_flight_;
    probe_->in_flight.fetch_add(static_cast<std::int64_t>(j.entries.size()));
    asio::co_spawn(io_, send(shared_from_this(), std::move(j)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("delivery request failed unexpectedly: {}", ex.what());
      }
    });
  }
}

asio::awaitable<void> sink::send(std::shared_ptr<sink> self, job j) {
  auto d = dest_;  // this request keeps the definition it started with
  std::unique_ptr<http_connection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    conn = std::make_unique<http_connection>(io_.get_executor(), tls_, generation_);
  }
  exchange_result res;
  if (d->parsed.https && !tls_) {
    res.error = "TLS setup failed: " + tls_error_;
  } else {
    active_.insert(conn.get());
    try {
      std::vector<event_part> parts;
      parts.reserve(j.entries.size());
      std::optional<std::uint32_t> replay;
      for (const auto& e : j.entries) {
        parts.push_back({e->row.message_id, e->row.body});
        if (auto k = parse_outbox_key(e->key); !replay && k && is_replay_sub(k->sub))
          replay = replay_id_of(k->sub);
      }
      auto req = build_request(*d, parts, d->batch.has_value(), clock_.now_ms());
      // A replayed event is sent as it was routed, with its messageId as Idempotency-Key;
      // this header tells the receiver it is a replay (the first one's id for a batch).
      if (replay) req.headers.emplace_back("X-Tributary-Replay", std::to_string(*replay));
      res = co_await conn->exchange(d->parsed, d->tls.verify, req,
                                    std::chrono::milliseconds(d->timeout));
    } catch (const std::exception& e) {
      res = exchange_result{};
      res.error = e.what();
      conn->close();
    }
    active_.erase(conn.get());
  }
  --in_flight_;
  probe_->in_flight.fetch_sub(static_cast<std::int64_t>(j.entries.size()));
  if (stopping_) co_return;  // the rows stay in the outbox as they were
  if (conn->reusable() && conn->generation() == generation_ && idle_.size() < dest_->concurrency)
    idle_.push_back(std::move(conn));
  complete(j, res);
  resume_scan_if_room();
  pump();
}

void sink::resume_scan_if_room() {
  if (scan_paused_ && known_.size() < limits_.max_loaded_rows * 3 / 4) {
    scan_paused_ = false;
    schedule_scan();
  }
}

void sink::forget(const entry_ptr& e, bool deleting) {
  const std::string id = lane_of(e->key, e->row);
  if (auto it = lanes_.find(id); it != lanes_.end()) {
    auto& rows = it->second.rows;
    if (auto pos = std::find(rows.begin(), rows.end(), e); pos != rows.end()) rows.erase(pos);
  }
  if (deleting)
    pending_gone_.push_back(e->key);
  else
    known_.erase(e->key);
  if (e->has_body) body_bytes_ -= std::min(body_bytes_, e->row.body.size());
}

void sink::write_outbox() {
  if (writing_ || !pending_ || pending_->Count() == 0) return;
  writing_ = true;
  // Whatever completes during this write is written next, as one batch.
  writer_.submit(std::exchange(pending_, nullptr), [self = shared_from_this(),
                                                    gone = std::exchange(pending_gone_, {})](
                                                       const rocksdb::Status& st) mutable {
    if (!st.ok())
      spdlog::error("destination {}: cannot update the outbox: {}", self->dest_->name,
                    st.ToString());
    auto& io = self->io_;
    asio::post(io, [self = std::move(self), gone = std::move(gone)] { self->on_written(gone); });
  });
}

void sink::on_written(const std::vector<std::string>& gone) {
  writing_ = false;
  for (const auto& k : gone) known_.erase(k);
  if (rescan_after_write_ && !stopping_) {
    rescan_after_write_ = false;
    rescan();
  }
  write_outbox();  // also once shut down: what was delivered must not be sent again
  if (!stopping_) resume_scan_if_room();
}

void sink::write_pending_now() {
  if (!pending_ || pending_->Count() == 0) return;
  auto st = s_.db->Write({}, pending_.get());
  if (!st.ok())
    spdlog::error("destination {}: cannot update the outbox: {}", dest_->name, st.ToString());
  pending_.reset();
}

void sink::dead_letter(rocksdb::WriteBatch& b, entry& e, millis now) {
  e.row.next_attempt_at = now;  // in the dlq: when it was given up
  b.Put(s_.dlq, e.key, encode_row(e.row));
  b.Delete(s_.outbox, e.key);
}

void sink::complete(job& j, const exchange_result& res) {
  const millis now = clock_.now_ms();
  probe_->requests.fetch_add(1);
  const verdict v = res.status ? classify_status(res.status) : verdict::retry;
  if (!pending_) pending_ = std::make_unique<rocksdb::WriteBatch>();
  rocksdb::WriteBatch& b = *pending_;
  std::uint64_t delivered = 0, dead = 0, retried = 0;
  std::int64_t retrying_delta = 0;
  std::vector<entry_ptr> gone;
  if (v == verdict::success) {
    for (auto& e : j.entries) {
      b.Delete(s_.outbox, e->key);
      probe_->latency.observe(std::max<millis>(0, now - e->row.enqueued_at) / 1000.0);
      if (e->row.attempts) --retrying_delta;
      gone.push_back(e);
      ++delivered;
    }
  } else {
    const std::string what = failure_text(res);
    std::optional<millis> retry_after;
    if (res.status && !res.retry_after.empty())
      retry_after = parse_retry_after(res.retry_after, now);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (auto& e : j.entries) {
      const bool was_retrying = e->row.attempts > 0;
      ++e->row.attempts;
      e->row.last_status = res.status;
      e->row.last_error = what;
      std::optional<millis> next;
      if (v == verdict::retry)
        next = next_attempt(dest_->retry, e->row.enqueued_at, now, e->row.attempts, retry_after,
                            unit(rng_));
      if (next) {
        e->row.next_attempt_at = *next;
        b.Put(s_.outbox, e->key, encode_row(e->row));
        if (!was_retrying) ++retrying_delta;
        ++retried;
      } else {
        dead_letter(b, *e, now);
        if (was_retrying) --retrying_delta;
        gone.push_back(e);
        ++dead;
      }
    }
    note_failure(v == verdict::retry && retried
                     ? what
                     : what + (res.status ? " (not retried)" : " (retry window passed)"),
                 now);
  }
  for (auto& e : gone) forget(e, true);
  write_outbox();  // the counters below run ahead of the write by its duration
  probe_->delivered.fetch_add(delivered);
  probe_->failed.fetch_add(dead);
  probe_->retries.fetch_add(retried);
  probe_->retrying.fetch_add(retrying_delta);
  probe_->outbox_depth.fetch_sub(static_cast<std::int64_t>(delivered + dead));
  probe_->dlq_size.fetch_add(static_cast<std::int64_t>(dead));
  if (delivered) {
    probe_->last_success_at.store(now);
    note_success(now);
  }
  for (const auto& id : j.lanes) {
    auto it = lanes_.find(id);
    if (it != lanes_.end()) it->second.state = lane_state::idle;
    settle(id, now);
  }
}

void sink::note_failure(const std::string& what, millis now) {
  probe_->set_last_error(what, now);
  ++burst_failures_;
  if (failing_) {
    if (burst_logged_ && now - last_log_at_ >= kLogEvery) {
      spdlog::warn("destination {}: still failing ({} failed attempts so far); last error: {}",
                   dest_->name, burst_failures_, what);
      last_log_at_ = now;
    }
    return;
  }
  failing_ = true;
  burst_failures_ = 1;
  burst_logged_ = now - last_log_at_ >= kLogEvery || last_log_at_ == 0;
  if (!burst_logged_) {
    ++unlogged_bursts_;
    return;
  }
  last_log_at_ = now;
  spdlog::warn(
      "destination {} ({}): delivery failing: {}{}", dest_->name, dest_->parsed.display, what,
      unlogged_bursts_
          ? fmt::format(" ({} shorter failure bursts since the last report)", unlogged_bursts_)
          : "");
  unlogged_bursts_ = 0;
}

void sink::note_success(millis now) {
  if (!failing_) return;
  failing_ = false;
  if (burst_logged_)
    spdlog::info("destination {}: delivering again after {} failed attempts", dest_->name,
                 burst_failures_);
  burst_failures_ = 0;
}

void sink::shutdown() {
  stopping_ = true;
  retry_timer_.cancel();
  batch_timer_.cancel();
  rate_timer_.cancel();
  for (auto* c : active_) c->close();
  idle_.clear();
}

}  // namespace tributary::delivery
