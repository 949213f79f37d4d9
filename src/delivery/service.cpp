#include "delivery/service.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

namespace tributary::delivery {
namespace {

namespace asio = boost::asio;
constexpr std::size_t kRedriveChunk = 1'000;

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
    : log_(log), cfg_(cfg), clock_(clock), opts_(opts), s_(log.state()) {}

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
    io_.run();
    idle_.set_value();
  });
}

void service::stop() {
  if (!started_) return;
  started_ = false;
  asio::post(io_, [this] {
    config_timer_.cancel();
    for (auto& [name, s] : sinks_) s->shutdown();
  });
  guard_.reset();
  // Everything ends once the connections are closed; a stuck name lookup cannot hold us.
  if (idle_.get_future().wait_for(std::chrono::seconds(3)) != std::future_status::ready) io_.stop();
  thread_.join();
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
    auto s = std::make_shared<sink>(io_, s_, clock_, def, p, opts_.limits);
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

}  // namespace tributary::delivery
