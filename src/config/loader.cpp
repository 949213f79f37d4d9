// Builds a config snapshot from YAML: every section checked, every error collected.
#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/audiences_loader.h"
#include "config/destinations_compile.h"
#include "config/destinations_loader.h"
#include "config/fingerprint.h"
#include "config/tracking_plan_loader.h"
#include "config/traits_loader.h"
#include "config/yaml_reader.h"

namespace tributary::config {

std::string fingerprint_of(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

namespace {

void read_limits(yaml_reader& r, const YAML::Node& n, limits& l) {
  if (!r.check_map(n, "server.limits", {"message_bytes", "batch_bytes", "batch_messages"})) return;
  if (auto v = n["message_bytes"]) {
    if (auto s = r.size(v, "server.limits.message_bytes")) l.message_bytes = *s;
  }
  if (auto v = n["batch_bytes"]) {
    if (auto s = r.size(v, "server.limits.batch_bytes")) l.batch_bytes = *s;
  }
  if (auto v = n["batch_messages"]) {
    if (auto s = r.integer(v, "server.limits.batch_messages", 1, 1'000'000)) l.batch_messages = *s;
  }
  if (l.message_bytes > l.batch_bytes)
    r.error_at(n, "server.limits.message_bytes must not exceed batch_bytes");
}

void read_server(yaml_reader& r, const YAML::Node& n, server_config& s) {
  if (!r.check_map(n, "server",
                   {"listen", "admin_listen", "io_threads", "tls", "limits", "request_timeout",
                    "shutdown_timeout", "header_timeout", "max_connections"}))
    return;
  if (auto v = n["listen"]) {
    if (auto a = r.address(v, "server.listen")) s.listen = *a;
  }
  if (auto v = n["admin_listen"]) {
    if (auto a = r.address(v, "server.admin_listen")) s.admin_listen = *a;
  }
  if (auto v = n["io_threads"]) {
    if (auto i = r.integer(v, "server.io_threads", 0, 256)) s.io_threads = static_cast<int>(*i);
  }
  if (auto v = n["tls"]) {
    if (r.check_map(v, "server.tls", {"cert", "key"})) {
      tls_files t;
      if (v["cert"]) t.cert = r.scalar(v["cert"], "server.tls.cert").value_or("");
      if (v["key"]) t.key = r.scalar(v["key"], "server.tls.key").value_or("");
      if (t.cert.empty() || t.key.empty()) r.error_at(v, "server.tls needs both cert and key");
      s.tls = t;
    }
  }
  if (auto v = n["limits"]) read_limits(r, v, s.limit);
  if (auto v = n["request_timeout"]) {
    if (auto d = r.duration(v, "server.request_timeout")) s.request_timeout = *d;
  }
  if (auto v = n["shutdown_timeout"]) {
    if (auto d = r.duration(v, "server.shutdown_timeout")) s.shutdown_timeout = *d;
  }
  if (auto v = n["header_timeout"]) {
    if (auto d = r.duration(v, "server.header_timeout")) {
      if (*d <= 0) r.error_at(v, "server.header_timeout must be more than 0");
      s.header_timeout = *d;
    }
  }
  if (auto v = n["max_connections"]) {
    if (auto i = r.integer(v, "server.max_connections", 1, 10'000'000)) s.max_connections = *i;
  }
}

void read_storage(yaml_reader& r, const YAML::Node& n, storage_config& s) {
  if (!r.check_map(
          n, "storage",
          {"path", "sync", "retention", "dedupe_window", "min_free_bytes", "max_pending_bytes"}))
    return;
  if (auto v = n["path"]) {
    if (auto p = r.scalar(v, "storage.path")) {
      if (p->empty()) r.error_at(v, "storage.path must not be empty");
      s.path = *p;
    }
  }
  if (auto v = n["sync"]) {
    if (auto p = r.scalar(v, "storage.sync")) {
      if (*p == "always")
        s.sync_always = true;
      else if (*p == "never")
        s.sync_always = false;
      else
        r.error_at(v, fmt::format("storage.sync: '{}' must be 'always' or 'never'", *p));
    }
  }
  if (auto v = n["retention"]) {
    if (auto d = r.duration(v, "storage.retention")) s.retention = *d;
  }
  if (auto v = n["dedupe_window"]) {
    if (auto d = r.duration(v, "storage.dedupe_window")) s.dedupe_window = *d;
  }
  if (auto v = n["min_free_bytes"]) {
    if (auto d = r.size(v, "storage.min_free_bytes")) s.min_free_bytes = *d;
  }
  if (auto v = n["max_pending_bytes"]) {
    if (auto d = r.size(v, "storage.max_pending_bytes")) s.max_pending_bytes = *d;
  }
}

void read_admin(yaml_reader& r, const YAML::Node& n, admin_config& a) {
  if (!r.check_map(n, "admin", {"tokens", "space"})) return;
  if (auto v = n["tokens"]) {
    a.tokens = r.string_list(v, "admin.tokens");
    for (size_t i = 0; i < a.tokens.size(); ++i)
      if (a.tokens[i].empty()) r.error_at(v[i], "admin.tokens: a token must not be empty");
  }
  if (auto v = n["space"]) a.space = r.scalar(v, "admin.space").value_or(a.space);
}

void read_identity(yaml_reader& r, const YAML::Node& n, identity_config& id) {
  if (!r.check_map(n, "identity", {"priority", "limits", "blocked_values", "blocked_patterns"}))
    return;
  if (auto v = n["priority"]) id.priority = r.string_list(v, "identity.priority");
  if (auto v = n["limits"]; v && r.check_free_map(v, "identity.limits")) {
    for (const auto& kv : v) {
      auto type = kv.first.as<std::string>("");
      if (auto i = r.integer(kv.second, "identity.limits." + type, 1, 1'000'000'000))
        id.limits[type] = *i;
    }
  }
  if (auto v = n["blocked_values"]) id.blocked_values = r.string_list(v, "identity.blocked_values");
  if (auto v = n["blocked_patterns"]) {
    id.blocked_patterns.clear();
    if (v.IsSequence()) {
      for (const auto& item : v) {
        auto text = r.scalar(item, "identity.blocked_patterns");
        if (!text) continue;
        try {
          std::regex re(*text, std::regex::ECMAScript);
          id.blocked_patterns.push_back(*text);
        } catch (const std::regex_error& e) {
          r.error_at(item,
                     fmt::format("identity.blocked_patterns: invalid regular expression '{}': {}",
                                 *text, e.what()));
        }
      }
    } else {
      r.error_at(v, "identity.blocked_patterns must be a list");
    }
  }
  for (auto& b : id.blocked_values)
    for (auto& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

void read_processor(yaml_reader& r, const YAML::Node& n, processor_config& p) {
  if (!r.check_map(n, "processor", {"cache_profiles", "batch_events"})) return;
  if (auto v = n["cache_profiles"]) {
    if (auto i = r.integer(v, "processor.cache_profiles", 100, 100'000'000)) p.cache_profiles = *i;
  }
  if (auto v = n["batch_events"]) {
    if (auto i = r.integer(v, "processor.batch_events", 1, 100'000)) p.batch_events = *i;
  }
}

void read_sources(yaml_reader& r, const YAML::Node& n, config& c) {
  if (!r.check_free_map(n, "sources")) return;
  for (const auto& kv : n) {
    source s;
    s.name = kv.first.as<std::string>("");
    std::string where = "sources." + s.name;
    if (s.name.empty() || s.name.size() > 255)
      r.error_at(kv.first, "a source name must be 1 to 255 characters");
    if (s.name == "engage")
      r.error_at(kv.first,
                 "the source name 'engage' is reserved for the events Tributary "
                 "synthesizes (audience and computed-trait changes)");
    if (!r.check_map(kv.second, where, {"write_keys", "tracking_plan", "rate_limit"})) continue;
    if (auto v = kv.second["write_keys"]) {
      s.write_keys = r.string_list(v, where + ".write_keys");
      for (size_t i = 0; i < s.write_keys.size(); ++i) {
        const auto& key = s.write_keys[i];
        if (key.empty()) {
          r.error_at(v[i], where + ".write_keys: a write key must not be empty");
        } else if (!c.source_by_write_key.emplace(key, s.name).second) {
          r.error_at(v[i], fmt::format("{}.write_keys: this key is already used by source '{}'",
                                       where, c.source_by_write_key[key]));
        }
      }
    } else {
      r.error_at(kv.first, where + " needs write_keys");
    }
    if (auto v = kv.second["tracking_plan"]) {
      auto mode = r.scalar(v, where + ".tracking_plan");
      if (mode && *mode != "off" && *mode != "enforce")
        r.error_at(v,
                   fmt::format("{}.tracking_plan: '{}' must be 'off' or 'enforce'", where, *mode));
      s.tracking_plan_enforced = !mode || *mode != "off";
    }
    if (auto v = kv.second["rate_limit"]) {
      if (auto text = r.scalar(v, where + ".rate_limit")) {
        if (auto rate = parse_rate(*text))
          s.rate_limit = *rate;
        else
          r.error_at(v, fmt::format("{}.rate_limit: '{}' must be a rate such as 100/s or 600/m",
                                    where, *text));
      }
    }
    c.sources.push_back(std::move(s));
  }
  if (n.size() == 0)
    r.error_at(n, "sources is empty: at least one source with write_keys is needed");
}

}  // namespace

load_result load_from_string(const std::string& text, const std::string& file) {
  load_result out;
  yaml_reader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r.error(e.mark, e.msg);
    out.errors = r.errors();
    return out;
  }
  auto c = std::make_shared<config>();
  c->file = file;
  c->fingerprint = fingerprint_of(text);
  if (!root || root.IsNull()) {
    out.errors.push_back({file, 1, 1, "the file is empty; at least one source is needed"});
    return out;
  }
  if (r.check_map(root, "the top level",
                  {"server", "storage", "admin", "sources", "identity", "processor",
                   "tracking_plan", "computed_traits", "audiences", "destinations"})) {
    if (auto n = root["server"]) read_server(r, n, c->server);
    if (auto n = root["storage"]) read_storage(r, n, c->storage);
    if (auto n = root["admin"]) read_admin(r, n, c->admin);
    if (auto n = root["tracking_plan"]) c->tracking_plan = read_tracking_plan(r, n);
    if (auto n = root["identity"]) read_identity(r, n, c->identity);
    if (auto n = root["computed_traits"]) c->computed_traits = read_computed_traits(r, n);
    if (auto n = root["audiences"]) c->audiences = read_audiences(r, n, c->computed_traits);
    if (auto n = root["processor"]) read_processor(r, n, c->processor);
    if (auto n = root["destinations"]) c->destinations = read_destinations(r, n, root);
    compile_destinations(r, *c);
    for (const auto& p : c->identity.blocked_patterns)
      c->identity.blocked_regex.emplace_back(p, std::regex::ECMAScript);
    if (auto n = root["sources"]) {
      read_sources(r, n, *c);
    } else {
      r.error_at(root, "no 'sources': at least one source with write_keys is needed");
    }
  }
  out.errors = r.errors();
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const config_error& a, const config_error& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (out.errors.empty()) out.cfg = std::move(c);
  return out;
}

load_result load_from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    load_result out;
    out.errors.push_back({path, 1, 1, "cannot open the file"});
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_from_string(ss.str(), path);
}

}  // namespace tributary::config
