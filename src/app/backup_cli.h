#pragma once
//! `tributary backup` and `tributary restore`: online checkpoints through the admin API, and
//! their offline restore into storage.path.
#include <string>
#include <vector>

namespace tributary::app {

//! `backup --config FILE --to DIR [--admin HOST:PORT] [--token TOKEN]`; returns the exit code.
int backup_command(const std::vector<std::string>& args);
//! `restore --from DIR --config FILE [--force]`; returns the exit code.
int restore_command(const std::vector<std::string>& args);

}  // namespace tributary::app
