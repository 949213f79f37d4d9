#include "tributary/eventlog/event_log.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <nlohmann/json.hpp>

#include <unordered_set>

#include "eventlog/encoding.h"
#include "tributary/common/thread.h"

namespace tributary::eventlog {
namespace {

constexpr const char* kLastSeqKey = "last_seq";
constexpr millis kRejectionKeep = 30LL * 86'400'000;

// Drops entries whose leading be64 timestamp is older than `keep` before now: expired dedupe keys
// in `dedupe` (value-stamped) and old rows in `rejections` (key-stamped).
class age_filter final : public rocksdb::CompactionFilter {
 public:
  age_filter(const clock_source* clock, millis keep, bool stamp_in_key)
      : clock_(clock), keep_(keep), stamp_in_key_(stamp_in_key) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    const rocksdb::Slice& stamped = stamp_in_key_ ? key : value;
    if (stamped.size() < 8) return false;
    auto at = static_cast<millis>(get_be64(std::string_view(stamped.data(), 8)));
    return at + keep_ < clock_->now_ms();
  }
  const char* Name() const override { return "tributary.age_filter"; }

 private:
  const clock_source* clock_;
  millis keep_;
  bool stamp_in_key_;
};

struct filters {
  age_filter dedupe;
  age_filter rejections;
};

std::string describe(const rocksdb::Status& s) {
  return s.ToString();
}

}  // namespace

event_log::event_log(const options& opts) : opts_(opts) {}

result<std::unique_ptr<event_log>> event_log::open(const options& opts) {
  std::unique_ptr<event_log> log(new event_log(opts));
  auto f = std::make_shared<filters>(filters{age_filter(opts.clock, opts.dedupe_window, false),
                                             age_filter(opts.clock, kRejectionKeep, true)});
  log->filters_ = f;

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.IncreaseParallelism(2);
  db_opts.max_total_wal_size = 256ull << 20;
  db_opts.keep_log_file_num = 5;
  // One memtable budget for all column families: alone, each keeps up to two memtables of its
  // write_buffer_size (up to 64MB), over 500MB in all. Past the budget the largest is flushed.
  db_opts.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(64ull << 20);

  rocksdb::ColumnFamilyOptions log_opts;
  log_opts.compression = rocksdb::kLZ4Compression;
  log_opts.write_buffer_size = 64ull << 20;

  rocksdb::BlockBasedTableOptions bloom;
  bloom.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions dedupe_opts;
  dedupe_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bloom));
  dedupe_opts.memtable_prefix_bloom_size_ratio = 0.1;
  dedupe_opts.memtable_whole_key_filtering = true;
  dedupe_opts.compaction_filter = &f->dedupe;
  dedupe_opts.write_buffer_size = 32ull << 20;

  // ids: point lookups of mostly absent keys, like dedupe, but never expired.
  rocksdb::ColumnFamilyOptions ids_opts;
  ids_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bloom));
  ids_opts.memtable_prefix_bloom_size_ratio = 0.1;
  ids_opts.memtable_whole_key_filtering = true;

  rocksdb::ColumnFamilyOptions rej_opts;
  rej_opts.compaction_filter = &f->rejections;
  rej_opts.compression = rocksdb::kLZ4Compression;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"log", log_opts},
      {"dedupe", dedupe_opts},
      {"meta", rocksdb::ColumnFamilyOptions()},
      {"rejections", rej_opts},
      {"ids", ids_opts},
      {"profiles", log_opts},
      {"history", log_opts},
      {"outbox", rocksdb::ColumnFamilyOptions()},
      {"dlq", rocksdb::ColumnFamilyOptions()},
      {"timers", rocksdb::ColumnFamilyOptions()},
      {"audiences", rocksdb::ColumnFamilyOptions()},
  };
  auto s = rocksdb::DB::Open(db_opts, opts.path, cfs, &log->handles_, &log->db_);
  if (!s.ok()) return error{"storage_open_failed", describe(s)};
  log->log_cf_ = log->handles_[1];
  log->dedupe_cf_ = log->handles_[2];
  log->meta_cf_ = log->handles_[3];
  log->rejections_cf_ = log->handles_[4];
  log->state_ = {log->db_,         log->handles_[5],  log->handles_[6],
                 log->handles_[7], log->meta_cf_,     log->handles_[8],
                 log->handles_[9], log->handles_[10], log->handles_[11]};

  // Resume the sequence: the larger of the stored high-water mark and the last key.
  std::uint64_t last = 0;
  std::string v;
  if (log->db_->Get({}, log->meta_cf_, kLastSeqKey, &v).ok()) last = get_be64(v);
  std::unique_ptr<rocksdb::Iterator> it(log->db_->NewIterator({}, log->log_cf_));
  it->SeekToLast();
  if (it->Valid()) last = std::max(last, get_be64(it->key().ToStringView()));
  log->next_seq_ = last + 1;
  log->last_seq_.store(last);
  log->last_disk_check_ = 0;
  log->refresh_disk_state();
  log->writer_ = std::thread([l = log.get()] {
    name_this_thread("log-writer");
    l->run();
  });
  return log;
}

namespace {
// Table files plus memtables, read through `get(property, &value)`.
template <class Get>
std::uint64_t files_and_memtables(Get get) {
  std::uint64_t files = 0, mem = 0;
  get("rocksdb.total-sst-files-size", &files);
  get("rocksdb.cur-size-all-mem-tables", &mem);
  return files + mem;
}
}  // namespace

std::uint64_t event_log::log_bytes() const {
  return files_and_memtables(
      [&](const char* p, std::uint64_t* v) { return db_->GetIntProperty(log_cf_, p, v); });
}

std::uint64_t event_log::storage_bytes() const {
  return files_and_memtables(
      [&](const char* p, std::uint64_t* v) { return db_->GetAggregatedIntProperty(p, v); });
}

event_log::~event_log() {
  stop();
}

void event_log::submit(append_request req) {
  std::size_t bytes = 0;
  for (const auto& item : req.items) bytes += item.json.size();
  {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      req.done({append_status::stopped, "the server is shutting down", {}});
      return;
    }
    if (!req.items.empty() && (disk_low_.load() || !writable_.load())) {
      lock.unlock();
      req.done({append_status::unavailable,
                disk_low_.load() ? "storage is nearly full" : "storage is failing writes",
                {}});
      return;
    }
    if (pending_bytes_.load() + bytes > opts_.max_pending_bytes && !queue_.empty()) {
      lock.unlock();
      stats_.overloaded.fetch_add(1);
      req.done({append_status::overloaded, "too many writes queued; retry shortly", {}});
      return;
    }
    pending_bytes_.fetch_add(bytes);
    queue_.push_back(std::move(req));
  }
  cv_.notify_one();
}

void event_log::run() {
  std::vector<append_request> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      group.swap(queue_);
    }
    if (!group.empty()) write_group(group);
    group.clear();
    millis now = opts_.clock->now_ms();
    if (now - last_disk_check_ >= 1000) refresh_disk_state();
    if (opts_.retention > 0 && now - last_retention_ >= 60'000) {
      last_retention_ = now;
      apply_retention();
    }
  }
}

void event_log::write_group(std::vector<append_request>& group) {
  // 1. Dedupe: one MultiGet over every key in the group, then in-group repeats.
  std::vector<rocksdb::Slice> keys;
  std::vector<std::pair<size_t, size_t>> owners;  // (request, item) of each key
  for (size_t r = 0; r < group.size(); ++r)
    for (size_t i = 0; i < group[r].items.size(); ++i)
      if (!group[r].items[i].dedupe_key.empty()) {
        keys.emplace_back(group[r].items[i].dedupe_key);
        owners.emplace_back(r, i);
      }
  std::vector<std::vector<bool>> dup(group.size());
  for (size_t r = 0; r < group.size(); ++r) dup[r].assign(group[r].items.size(), false);
  millis now = opts_.clock->now_ms();
  if (!keys.empty()) {
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet({}, dedupe_cf_, keys.size(), keys.data(), values.data(), statuses.data());
    std::unordered_set<std::string_view> seen;
    for (size_t k = 0; k < keys.size(); ++k) {
      auto [r, i] = owners[k];
      bool stored =
          statuses[k].ok() && values[k].size() >= 8 &&
          static_cast<millis>(get_be64(values[k].ToStringView())) + opts_.dedupe_window >= now;
      if (stored || !seen.insert(keys[k].ToStringView()).second) dup[r][i] = true;
    }
  }

  // 2. One WriteBatch for the whole group.
  rocksdb::WriteBatch batch;
  std::uint64_t seq = next_seq_;
  std::vector<append_outcome> outcomes(group.size());
  std::uint64_t bytes = 0, appended = 0, dups = 0;
  for (size_t r = 0; r < group.size(); ++r) {
    auto& req = group[r];
    outcomes[r].seqs.resize(req.items.size());
    for (size_t i = 0; i < req.items.size(); ++i) {
      auto& item = req.items[i];
      bytes += item.json.size();
      if (dup[r][i]) {
        ++dups;
        continue;
      }
      batch.Put(log_cf_, seq_key(seq), encode_record(req.received_at, req.source, item.json));
      if (!item.dedupe_key.empty())
        batch.Put(dedupe_cf_, item.dedupe_key, encode_dedupe(req.received_at, seq));
      outcomes[r].seqs[i] = seq++;
      ++appended;
    }
    for (auto& rej : req.rejections) {
      std::string key;
      put_be64(key, static_cast<std::uint64_t>(rej.at));
      put_be64(key, ++rejection_counter_);
      nlohmann::json j = {{"at", rej.at},
                          {"source", rej.source},
                          {"code", rej.code},
                          {"message", rej.message},
                          {"payload", rej.payload}};
      if (rej.index >= 0) j["index"] = rej.index;
      batch.Put(rejections_cf_, key,
                j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  batch.Put(meta_cf_, kLastSeqKey, seq_key(seq - 1));
  // Written without sync, then the write-ahead log is fsync'd outside RocksDB's write queue: a
  // synced Write would hold that queue for the whole fsync, and the processor's commits (same
  // database, same queue) would wait behind every group commit of the Tracking API.
  auto fail = [&](const char* what, const rocksdb::Status& st) {
    stats_.write_errors.fetch_add(1);
    writable_.store(false);
    spdlog::error("event log {} failed: {}", what, describe(st));
    for (auto& req : group)
      req.done({append_status::unavailable, fmt::format("storage {} failed", what), {}});
  };
  auto s = db_->Write({}, &batch);
  pending_bytes_.fetch_sub(bytes);
  stats_.groups.fetch_add(1);
  if (!s.ok()) return fail("write", s);
  next_seq_ = seq;
  stats_.events_appended.fetch_add(appended);
  stats_.duplicates.fetch_add(dups);
  {
    // Readers may see the group while it is being fsync'd. The WAL is one sequence, so whatever
    // a crash keeps of it is a prefix: a processor commit that read these events is never kept
    // without them. An event delivered before a failed fsync is not acknowledged, so its
    // sender retries it and deduplication acknowledges the retry without storing it twice.
    std::lock_guard lock(seq_mu_);
    last_seq_.store(seq - 1, std::memory_order_release);
  }
  seq_cv_.notify_all();
  if (opts_.sync) s = db_->SyncWAL();
  if (!s.ok()) return fail("sync", s);
  writable_.store(true);
  for (size_t r = 0; r < group.size(); ++r) group[r].done(std::move(outcomes[r]));
}

void event_log::refresh_disk_state() {
  last_disk_check_ = opts_.clock->now_ms();
  struct statvfs st {};
  if (statvfs(opts_.path.c_str(), &st) != 0) return;
  std::uint64_t free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  bool low = free_bytes < opts_.min_free_bytes;
  if (low && !disk_low_.load())
    spdlog::error("disk nearly full ({} bytes free): refusing new events", free_bytes);
  if (!low && disk_low_.load())
    spdlog::info("disk space recovered ({} bytes free): accepting events", free_bytes);
  disk_low_.store(low);
  // A failed write is retried by the next request once the disk has room again.
  if (!low && !writable_.load()) writable_.store(true);
}

std::vector<log_record> event_log::read(std::uint64_t after, std::size_t limit) const {
  std::vector<log_record> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, log_cf_));
  for (it->Seek(seq_key(after + 1)); it->Valid() && out.size() < limit; it->Next()) {
    auto seq = get_be64(it->key().ToStringView());
    if (auto rec = decode_record(seq, it->value().ToStringView())) out.push_back(std::move(*rec));
  }
  return out;
}

std::uint64_t event_log::wait_for(std::uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(seq_mu_);
  seq_cv_.wait_for(lock, timeout, [&] { return last_seq_.load() > after; });
  return last_seq_.load();
}

std::vector<std::string> event_log::rejections(std::size_t limit) const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, rejections_cf_));
  for (it->SeekToLast(); it->Valid() && out.size() < limit; it->Prev())
    out.push_back(it->value().ToString());
  return out;
}

std::uint64_t event_log::cursor(const std::string& name) const {
  std::string v;
  if (db_->Get({}, meta_cf_, cursor_key(name), &v).ok()) return get_be64(v);
  return 0;
}

bool event_log::set_cursor(const std::string& name, std::uint64_t seq) {
  rocksdb::WriteOptions wo;
  wo.sync = opts_.sync;
  return db_->Put(wo, meta_cf_, cursor_key(name), seq_key(seq)).ok();
}

std::uint64_t event_log::apply_retention() {
  if (opts_.retention <= 0) return 0;
  millis cutoff = opts_.clock->now_ms() - opts_.retention;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, log_cf_));
  it->SeekToFirst();
  if (!it->Valid()) return 0;
  std::string first = it->key().ToString();
  std::uint64_t n = 0;
  for (; it->Valid(); it->Next()) {
    auto rec = decode_record(0, it->value().ToStringView());
    if (rec && rec->received_at >= cutoff) break;
    ++n;
  }
  if (n == 0) return 0;
  std::string end = it->Valid() ? it->key().ToString() : seq_key(last_seq() + 1);
  // Never delete what a consumer (the processor) has not read yet.
  std::unique_ptr<rocksdb::Iterator> cursors(db_->NewIterator({}, meta_cf_));
  for (cursors->Seek("cursor/"); cursors->Valid() && cursors->key().starts_with("cursor/");
       cursors->Next()) {
    std::string limit = seq_key(get_be64(cursors->value().ToStringView()) + 1);
    if (limit < end) end = limit;
  }
  if (end <= first) return 0;
  n = 0;
  std::unique_ptr<rocksdb::Iterator> count(db_->NewIterator({}, log_cf_));
  for (count->Seek(first); count->Valid() && count->key().ToString() < end; count->Next()) ++n;
  auto s = db_->DeleteRange({}, log_cf_, first, end);
  if (!s.ok()) {
    spdlog::warn("retention delete failed: {}", describe(s));
    return 0;
  }
  stats_.retention_deleted.fetch_add(n);
  spdlog::info("retention removed {} events older than {} ms", n, opts_.retention);
  return n;
}

void event_log::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable() && !db_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (db_) {
    db_->FlushWAL(true);
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close();
    delete db_;
    db_ = nullptr;
  }
}

}  // namespace tributary::eventlog
