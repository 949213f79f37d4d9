#pragma once
//! The validated, immutable configuration snapshot built from tributary.yaml.
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/config/destinations.h"
#include "tributary/config/audiences.h"
#include "tributary/config/destination_programs.h"
#include "tributary/config/computed_traits.h"
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
  std::optional<tls_files> tls;                    //!< PEM files; TLS on both listeners.
  limits limit;
  millis request_timeout = 30'000;   //!< read/write deadline per request. Default: 30s.
  millis shutdown_timeout = 10'000;  //!< graceful stop budget. Default: 10s.
  millis header_timeout = 10'000;    //!< first byte to end of headers (slowloris). Default: 10s.
  std::size_t max_connections = 10'000;  //!< per listener; more are closed at accept.
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

//! Identity resolution (Segment Unify semantics).
struct identity_config {
  //! Highest first; types not listed follow alphabetically. Default: user_id, email, anonymous_id.
  std::vector<std::string> priority = {"user_id", "email", "anonymous_id"};
  //! Most ids of a type one profile may hold. Default: user_id 1; other types unlimited.
  std::unordered_map<std::string, std::size_t> limits = {{"user_id", 1}};
  //! Values never used as identifiers (compared case-insensitively).
  std::vector<std::string> blocked_values = {"", "null", "undefined", "anonymous", "-1"};
  std::vector<std::string> blocked_patterns = {"^[0-]*$"};
  std::vector<std::regex> blocked_regex;  //!< compiled blocked_patterns (whole-value match)

  std::size_t limit_for(const std::string& type) const {
    auto it = limits.find(type);
    return it == limits.end() ? static_cast<std::size_t>(-1) : it->second;
  }
};

//! The processor: the log consumer that keeps identities and profiles.
struct processor_config {
  std::size_t cache_profiles = 100'000;  //!< profiles kept in memory. Default: 100000.
  std::size_t batch_events = 2'000;      //!< events per atomic commit. Default: 2000.
};

struct source {
  std::string name;
  std::vector<std::string> write_keys;
  bool tracking_plan_enforced = true;  //!< `tracking_plan: off` lets a legacy source pass
  double rate_limit = 0;  //!< requests per second per write key (`N/s`, `N/m`); 0 = unlimited
};

//! One loaded configuration. Shared read-only between threads via shared_ptr<const config>.
struct config {
  server_config server;
  storage_config storage;
  admin_config admin;
  identity_config identity;
  processor_config processor;
  std::vector<source> sources;
  std::unordered_map<std::string, std::string> source_by_write_key;
  std::shared_ptr<const protocols::plan> tracking_plan;  //!< null when the section is absent
  std::vector<destination> destinations;                 //!< in file order
  std::vector<destination_programs> routing;  //!< compiled expressions, one per destination
  std::vector<computed_trait> computed_traits;  //!< `computed_traits`, then audiences' implicit ones
  std::vector<audience> audiences;  //!< in evaluation order: referenced audiences first
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
//! "200/s", "30/m", "1000/h" to a positive rate per second.
std::optional<double> parse_rate(const std::string& s);

//! The default config shipped as config/tributary.yaml, compiled into the binary.
extern const char* const kEmbeddedDefault;

}  // namespace tributary::config
