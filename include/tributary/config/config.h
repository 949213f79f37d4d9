#pragma once
//! The validated, immutable configuration snapshot built from tributary.yaml.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/protocols/plan.h"

namespace tributary::config {

//! host:port to bind. Port 0 asks the OS for a free port.
struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

//! Size limits of the Tracking API.
struct limits {
  std::size_t message_bytes = 32 * 1024;  //!< one message, serialized. Default: 32KB.
  std::size_t batch_bytes = 500 * 1024;   //!< one request body, decompressed. Default: 500KB.
  std::size_t batch_messages = 2500;      //!< items in one batch. Default: 2500.
};

struct tls_files {
  std::string cert;
  std::string key;
};

struct server_config {
  listen_address listen{"0.0.0.0", 8088};          //!< Tracking API. Default: 0.0.0.0:8088.
  listen_address admin_listen{"127.0.0.1", 8089};  //!< Admin API. Default: 127.0.0.1:8089.
  int io_threads = 0;                              //!< 0 = number of cores.
  std::optional<tls_files> tls;                    //!< Not implemented yet: serve refuses it.
  limits limit;
  millis request_timeout = 30'000;   //!< read/write deadline per request. Default: 30s.
  millis shutdown_timeout = 10'000;  //!< graceful stop budget. Default: 10s.
};

struct storage_config {
  std::string path = "./data";                    //!< RocksDB directory.
  bool sync_always = true;                        //!< fsync before ack. Default: always.
  millis retention = 0;                           //!< log retention; 0 = forever.
  millis dedupe_window = 24LL * 3600 * 1000;      //!< messageId dedupe. Default: 24h.
  std::uint64_t min_free_bytes = 256ull << 20;    //!< below this: 503. Default: 256MB.
  std::uint64_t max_pending_bytes = 64ull << 20;  //!< queued, unwritten: over it 503. 64MB.
};

struct admin_config {
  std::vector<std::string> tokens;  //!< Bearer tokens; empty strings never authenticate.
  std::string space = "default";    //!< {space} in Profile API paths.
};

struct source {
  std::string name;
  std::vector<std::string> write_keys;
  bool tracking_plan_enforced = true;  //!< `tracking_plan: off` lets a legacy source pass
};

//! One loaded configuration. Shared read-only between threads via shared_ptr<const config>.
struct config {
  server_config server;
  storage_config storage;
  admin_config admin;
  std::vector<source> sources;
  std::unordered_map<std::string, std::string> source_by_write_key;
  std::shared_ptr<const protocols::plan> tracking_plan;  //!< null when the section is absent
  std::vector<std::string> inactive_sections;            //!< present but not implemented yet.
  std::string file;                                      //!< where it came from
  std::string fingerprint;                               //!< sha256 of the text, first 16 hex chars
  millis loaded_at = 0;

  //! The source name for a write key, or nullptr.
  const std::string* source_for(const std::string& write_key) const {
    auto it = source_by_write_key.find(write_key);
    return it == source_by_write_key.end() ? nullptr : &it->second;
  }
  //! The tracking plan to enforce for a source, or nullptr.
  const protocols::plan* plan_for(const std::string& source_name) const {
    if (!tracking_plan) return nullptr;
    for (const auto& s : sources)
      if (s.name == source_name) return s.tracking_plan_enforced ? tracking_plan.get() : nullptr;
    return tracking_plan.get();
  }
};

//! One problem, with a 1-based position in the file.
struct config_error {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string to_string() const;  //!< FILE:LINE:COL: message
};

//! The outcome of loading: a config, or every error found.
struct load_result {
  std::shared_ptr<const config> cfg;
  std::vector<config_error> errors;
  std::vector<std::string> warnings;
};

//! Parses YAML text. `file` names it in errors. `getenv` resolves ${VAR}.
load_result load_from_string(const std::string& text, const std::string& file);
load_result load_from_file(const std::string& path);

//! "500ms", "30s", "15m", "4h", "3d", "1w" or "0" to milliseconds.
std::optional<millis> parse_duration(const std::string& s);
//! "512", "32KB", "1.5MB", "2GB" (1024-based) to bytes.
std::optional<std::uint64_t> parse_size(const std::string& s);

//! The default config shipped as config/tributary.yaml, compiled into the binary.
extern const char* const kEmbeddedDefault;

}  // namespace tributary::config
