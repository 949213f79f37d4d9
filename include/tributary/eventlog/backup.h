#pragma once
//! Offline side of backups: inspect a checkpoint and restore it as a data directory.
//! The online side is event_log::checkpoint().
#include <cstdint>
#include <string>

#include "tributary/common/result.h"

namespace tributary::eventlog {

struct restore_report {
  std::uint64_t last_seq = 0;  //!< highest sequence in the restored log
  std::uint64_t files = 0;     //!< files copied
  std::uint64_t bytes = 0;     //!< bytes copied
};

//! Opens the database at `dir` read-only and returns its highest log sequence (0 when empty);
//! an error when `dir` is not a Tributary database.
result<std::uint64_t> inspect(const std::string& dir);

//! True when another process holds the RocksDB lock of `dir` (a server runs on it). For other
//! processes only, like the CLI: within the process that has the database open, probing would
//! release its lock (POSIX record locks belong to the process and go with any close()).
bool in_use(const std::string& dir);

//! Copies the checkpoint `from` into the data directory `to` (created if missing). Refuses when
//! a server runs on `to`, or when `to` is not empty unless `force` (its contents are then
//! replaced; `to` itself is kept, so it may be a mount point).
result<restore_report> restore(const std::string& from, const std::string& to, bool force);

}  // namespace tributary::eventlog
