#include "tributary/server/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "delivery/policy.h"
#include "delivery/router_stage.h"
#include "delivery/service.h"
#include "processor/processor.h"
#include "tributary/admin/admin_api.h"
#include "tributary/config/file_watcher.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/http/server.h"
#include "tributary/ingest/tracking_api.h"
#include "tributary/profile/profile_store.h"

namespace tributary::server {
namespace {

constexpr const char* kEmbeddedName = "<embedded>/config/tributary.yaml";

config::load_result load(const std::string& path) {
  return path.empty() ? config::load_from_string(config::kEmbeddedDefault, kEmbeddedName)
                      : config::load_from_file(path);
}

std::string join_errors(const config::load_result& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  if (!out.empty()) out.pop_back();
  return out;
}

void write_ready_file(const std::string& path, std::uint16_t listen, std::uint16_t admin) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << fmt::format("{{\"listen\":{},\"admin\":{},\"pid\":{}}}\n", listen, admin, getpid());
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

namespace {
// Until the signal loop runs, a SIGTERM/SIGINT is remembered here instead of killing the process
// mid-start (for example while RocksDB opens), and SIGHUP is ignored.
volatile std::sig_atomic_t early_stop = 0;
extern "C" void remember_stop(int) {
  early_stop = 1;
}
}  // namespace

int serve(const serve_options& opts) {
  std::signal(SIGTERM, remember_stop);
  std::signal(SIGINT, remember_stop);
  std::signal(SIGHUP, SIG_IGN);
  system_clock_source clock;
  auto loaded = load(opts.config_path);
  if (!loaded.errors.empty()) {
    spdlog::error("invalid configuration:\n{}", join_errors(loaded));
    return 2;
  }
  for (const auto& w : loaded.warnings) spdlog::warn("{}", w);
  auto cfg_mut = std::const_pointer_cast<config::config>(loaded.cfg);
  cfg_mut->loaded_at = clock.now_ms();
  const auto& cfg = *loaded.cfg;

  std::error_code ec;
  std::filesystem::create_directories(cfg.storage.path, ec);
  eventlog::options lo;
  lo.path = cfg.storage.path;
  lo.sync = cfg.storage.sync_always;
  lo.dedupe_window = cfg.storage.dedupe_window;
  lo.retention = cfg.storage.retention;
  lo.min_free_bytes = cfg.storage.min_free_bytes;
  lo.max_pending_bytes = cfg.storage.max_pending_bytes;
  lo.clock = &clock;
  auto opened = eventlog::event_log::open(lo);
  if (!opened) {
    spdlog::error("cannot open storage at {}: {}", cfg.storage.path, opened.err().message);
    return 1;
  }
  auto log = std::move(opened.value());
  spdlog::info("event log open at {} (last sequence {})", cfg.storage.path, log->last_seq());

  config::holder holder(loaded.cfg);
  ingest::ingest_stats ingest_stats;
  ingest::tracking_api tracking(holder, *log, clock, ingest_stats);
  http::server srv(cfg.server.io_threads);

  auto reload = [&]() -> std::string {
    if (opts.config_path.empty())
      return "the server runs on the embedded config; there is no file to reload";
    auto next = config::load_from_file(opts.config_path);
    if (!next.errors.empty()) {
      std::string err = join_errors(next);
      holder.set_last_error(err);
      spdlog::error("reload refused, the running configuration stays:\n{}", err);
      return err;
    }
    auto old = holder.get();
    auto fresh = std::const_pointer_cast<config::config>(next.cfg);
    fresh->loaded_at = clock.now_ms();
    if (fresh->server.listen.port != old->server.listen.port ||
        fresh->storage.path != old->storage.path ||
        fresh->server.admin_listen.port != old->server.admin_listen.port)
      spdlog::warn("reload: listeners and storage keep their current settings until a restart");
    holder.set(next.cfg);
    holder.set_last_error("");
    spdlog::info("configuration reloaded (fingerprint {})", fresh->fingerprint);
    return "";
  };
  // SIGHUP, POST /admin/v1/reload and file changes all reload through here: one at a time,
  // counted by result for /metrics.
  labeled_counter reload_results;
  std::mutex reload_mu;
  auto counted_reload = [&]() -> std::string {
    std::lock_guard lock(reload_mu);
    auto before = holder.get();
    std::string err = reload();
    reload_results.add(err.empty() ? "result=\"ok\"" : "result=\"error\"");
    const auto& was = before->server;
    const auto& now = holder.get()->server;
    if (err.empty() &&
        (now.header_timeout != was.header_timeout || now.max_connections != was.max_connections ||
         now.tls.has_value() != was.tls.has_value() ||
         (now.tls && (now.tls->cert != was.tls->cert || now.tls->key != was.tls->key))))
      spdlog::warn(
          "reload: server.header_timeout, max_connections and tls keep their current "
          "values until a restart");
    return err;
  };

  // Delivery is declared before the processor: the processor's stage calls into it until the
  // processor has stopped.
  delivery::service delivery(*log, holder, clock);
  delivery::router_stage router(log->state(), clock, &delivery);
  processor::processor proc(*log, holder, &clock);
  router.set_decide(
      [random = transform::default_random_source()](
          const config::destination& d, const processor::event_context& ctx,
          nlohmann::ordered_json& event) { return delivery::decide(d, ctx, event, random); });
  router.set_prefilter(delivery::subscribed);
  proc.add_stage(&router);
  delivery.start();
  proc.start();
  // Destinations take a new configuration at once (they also check it every second).
  auto reload_now = [&]() -> std::string {
    std::string err = counted_reload();
    if (err.empty()) delivery.config_changed();
    return err;
  };
  profile::profile_reader profiles(*log);

  admin::admin_deps deps;
  deps.cfg = &holder;
  deps.log = log.get();
  deps.ingest = &ingest_stats;
  deps.http = &srv.stats();
  deps.clock = &clock;
  deps.started_at = clock.now_ms();
  deps.reload = reload_now;
  deps.reloads = &reload_results;
  deps.profiles = &profiles;
  deps.processor = &proc.counters();
  deps.processor_cursor = [&proc] { return proc.cursor(); };
  deps.delivery = &delivery;
  admin::admin_api admin_handler(deps);

  std::uint16_t listen_port = 0, admin_port = 0;
  try {
    http::listener_options lo_pub;
    lo_pub.host = cfg.server.listen.host;
    lo_pub.port = cfg.server.listen.port;
    lo_pub.body_limit = cfg.server.limit.batch_bytes;
    lo_pub.timeout = std::chrono::milliseconds(cfg.server.request_timeout);
    lo_pub.name = "tracking";
    lo_pub.header_timeout = std::chrono::milliseconds(cfg.server.header_timeout);
    lo_pub.max_connections = cfg.server.max_connections;
    if (cfg.server.tls) {
      lo_pub.tls_cert = cfg.server.tls->cert;
      lo_pub.tls_key = cfg.server.tls->key;
    }
    listen_port = srv.add_listener(lo_pub, tracking);
    http::listener_options lo_adm = lo_pub;  // same timeouts, limits and TLS
    lo_adm.host = cfg.server.admin_listen.host;
    lo_adm.port = cfg.server.admin_listen.port;
    lo_adm.body_limit = 1 << 20;
    lo_adm.name = "admin";
    admin_port = srv.add_listener(lo_adm, admin_handler);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  srv.start();
  spdlog::info("tributary {} serving the Tracking API on {}:{} and the admin API on {}:{}",
               TRIBUTARY_VERSION, cfg.server.listen.host, listen_port, cfg.server.admin_listen.host,
               admin_port);
  // Watching starts before the ready file is written: a change made once the server says it is
  // ready is always seen.
  std::unique_ptr<config::file_watcher> watcher;
  if (!opts.config_path.empty()) {
    auto started =
        config::file_watcher::start(opts.config_path, std::chrono::milliseconds(200), [&] {
          spdlog::info("{} changed: reloading", opts.config_path);
          (void)reload_now();
        });
    if (started)
      watcher = std::move(started.value());
    else
      spdlog::warn("config file changes are not watched ({}); SIGHUP still reloads",
                   started.err().message);
  }
  if (!opts.ready_file.empty()) write_ready_file(opts.ready_file, listen_port, admin_port);

  if (!early_stop) srv.wait_for_signal([&] { (void)reload_now(); });
  watcher.reset();
  spdlog::info("stopping: no new connections; finishing in-flight requests");
  srv.stop(std::chrono::milliseconds(holder.get()->server.shutdown_timeout));
  proc.stop();
  delivery.stop();
  log->stop();
  spdlog::info("stopped cleanly (last sequence {})", log->last_seq());
  return 0;
}

}  // namespace tributary::server
