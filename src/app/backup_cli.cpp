#include "app/backup_cli.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "tributary/config/config.h"
#include "tributary/eventlog/backup.h"
#include "tributary/http/client.h"

namespace tributary::app {
namespace {

// `--name value` pairs and bare `--flag`s; false (after printing why) on anything else.
bool parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& valued,
                 const std::vector<std::string>& bare, std::map<std::string, std::string>& out) {
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (std::find(bare.begin(), bare.end(), a) != bare.end()) {
      out[a] = "1";
    } else if (std::find(valued.begin(), valued.end(), a) != valued.end()) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        return false;
      }
      out[a] = args[++i];
    } else {
      std::fprintf(stderr, "unknown option '%s'\n", a.c_str());
      return false;
    }
  }
  return true;
}

std::shared_ptr<const config::config> load_or_report(const std::string& file) {
  auto r = config::load_from_file(file);
  for (const auto& e : r.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
  return r.cfg;
}

// The message of an admin error body, or the body itself.
std::string error_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].contains("message"))
    return j["error"]["message"].get<std::string>();
  return body;
}

}  // namespace

int backup_command(const std::vector<std::string>& args) {
  std::map<std::string, std::string> f;
  if (!parse_flags(args, {"--config", "--to", "--admin", "--token"}, {}, f)) return 2;
  if (!f.count("--config") || !f.count("--to")) {
    std::fprintf(stderr, "usage: tributary backup --config FILE --to DIR [--admin HOST:PORT]\n");
    return 2;
  }
  auto cfg = load_or_report(f["--config"]);
  if (!cfg) return 1;
  std::string host = cfg->server.admin_listen.host;
  std::uint16_t port = cfg->server.admin_listen.port;
  if (f.count("--admin")) {
    const std::string& a = f["--admin"];
    auto colon = a.rfind(':');
    int p = colon == std::string::npos ? 0 : std::atoi(a.c_str() + colon + 1);
    if (p <= 0 || p > 65535) {
      std::fprintf(stderr, "--admin must be HOST:PORT\n");
      return 2;
    }
    host = a.substr(0, colon);
    port = static_cast<std::uint16_t>(p);
  }
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::" || host == "[::]") host = "::1";
  if (port == 0) {
    std::fprintf(stderr, "server.admin_listen has port 0 in %s; pass --admin HOST:PORT\n",
                 f["--config"].c_str());
    return 2;
  }
  std::string token = f.count("--token") ? f["--token"] : std::string();
  if (token.empty() && !cfg->admin.tokens.empty()) token = cfg->admin.tokens.front();
  if (token.empty()) {
    std::fprintf(stderr, "no admin token: set admin.tokens in the config or pass --token\n");
    return 2;
  }
  std::string to = std::filesystem::absolute(f["--to"]).lexically_normal().string();
  std::string body = nlohmann::json{{"to", to}}.dump();
  http::client_options co;
  co.timeout = std::chrono::minutes(30);
  if (cfg->server.tls) {  // the admin listener speaks TLS too; trust its own certificate
    co.tls = true;
    co.ca_file = cfg->server.tls->cert;
  }
  auto res = http::fetch(
      host, port, "POST", "/admin/v1/backup",
      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, body, co);
  if (!res) {
    std::fprintf(stderr, "backup failed: %s\n", res.err().message.c_str());
    return 1;
  }
  if (res.value().status != 200) {
    std::fprintf(stderr, "backup failed (%d): %s\n", res.value().status,
                 error_message(res.value().body).c_str());
    return 1;
  }
  auto j = nlohmann::json::parse(res.value().body, nullptr, false);
  std::printf("backup written to %s (last sequence %llu, %lld ms)\n", to.c_str(),
              static_cast<unsigned long long>(j.value("last_seq", 0ULL)),
              static_cast<long long>(j.value("took_ms", 0LL)));
  return 0;
}

int restore_command(const std::vector<std::string>& args) {
  std::map<std::string, std::string> f;
  if (!parse_flags(args, {"--config", "--from"}, {"--force"}, f)) return 2;
  if (!f.count("--config") || !f.count("--from")) {
    std::fprintf(stderr, "usage: tributary restore --from DIR --config FILE [--force]\n");
    return 2;
  }
  auto cfg = load_or_report(f["--config"]);
  if (!cfg) return 1;
  auto done = eventlog::restore(f["--from"], cfg->storage.path, f.count("--force") > 0);
  if (!done) {
    std::fprintf(stderr, "restore refused: %s\n", done.err().message.c_str());
    return 1;
  }
  const auto& r = done.value();
  std::printf("restored %s into %s (last sequence %llu, %llu files, %llu bytes)\n",
              f["--from"].c_str(), cfg->storage.path.c_str(),
              static_cast<unsigned long long>(r.last_seq), static_cast<unsigned long long>(r.files),
              static_cast<unsigned long long>(r.bytes));
  return 0;
}

}  // namespace tributary::app
