// Online checkpoints of the running database, and the offline restore of one.
#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "eventlog/encoding.h"
#include "tributary/eventlog/backup.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::eventlog {
namespace fs = std::filesystem;

result<std::uint64_t> event_log::checkpoint(const std::string& dir) {
  if (!db_) return error{"stopped", "the event log is closed"};
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(db_, &raw);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0: memtables are flushed first, so the copy holds SST files and no WAL
  // replay is needed to read it.
  if (s.ok()) s = cp->CreateCheckpoint(dir, 0);
  if (!s.ok()) return error{"checkpoint_failed", s.ToString()};
  return inspect(dir);
}

result<std::uint64_t> inspect(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "CURRENT"))
    return error{"not_a_database", dir + " holds no RocksDB database (no CURRENT file)"};
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  if (!s.ok()) return error{"not_a_database", s.ToString()};
  if (std::find(names.begin(), names.end(), "log") == names.end())
    return error{"not_a_database", dir + " is a RocksDB database but not Tributary's (no 'log')"};
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                      {"log", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, cfs, &handles, &raw);
  if (!s.ok()) return error{"open_failed", s.ToString()};
  std::unique_ptr<rocksdb::DB> db(raw);
  std::uint64_t last = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, handles[1]));
    it->SeekToLast();
    if (it->Valid()) last = get_be64(it->key().ToStringView());
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  return last;
}

bool in_use(const std::string& dir) {
  int fd = open((fs::path(dir) / "LOCK").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  // RocksDB takes a classic fcntl lock; an open-file-description query sees it as a conflict
  // even from the same process.
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  bool held = fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  close(fd);
  return held;
}

result<restore_report> restore(const std::string& from, const std::string& to, bool force) {
  auto checked = inspect(from);
  if (!checked) return checked.err();
  std::error_code ec;
  if (fs::exists(to, ec)) {
    if (!fs::is_directory(to, ec)) return error{"invalid_target", to + " is not a directory"};
    if (in_use(to))
      return error{"in_use", "a server is running on " + to + "; stop it before restoring"};
    if (!fs::is_empty(to, ec)) {
      if (!force)
        return error{"not_empty",
                     to + " is not empty; use --force to replace its contents with the backup"};
      for (const auto& entry : fs::directory_iterator(to)) {
        fs::remove_all(entry.path(), ec);
        if (ec)
          return error{"io_error", "cannot remove " + entry.path().string() + ": " + ec.message()};
      }
    }
  }
  fs::create_directories(to, ec);
  if (ec) return error{"io_error", "cannot create " + to + ": " + ec.message()};
  restore_report report;
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    fs::path target = fs::path(to) / fs::relative(entry.path(), from);
    if (entry.is_directory()) {
      fs::create_directories(target, ec);
    } else {
      // A plain copy: a checkpoint's SST files may be hard links into the live database.
      fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing, ec);
      report.files++;
      report.bytes += entry.file_size();
    }
    if (ec) return error{"io_error", "cannot copy " + entry.path().string() + ": " + ec.message()};
  }
  auto restored = inspect(to);
  if (!restored) return restored.err();
  report.last_seq = restored.value();
  return report;
}

}  // namespace tributary::eventlog
