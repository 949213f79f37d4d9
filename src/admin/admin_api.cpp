#include "tributary/admin/admin_api.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "admin/audiences_api.h"
#include "admin/destinations_api.h"
#include "admin/fql_api.h"
#include "admin/json_response.h"
#include "admin/ops.h"
#include "delivery/tester.h"
#include "tributary/common/codec.h"
#include "tributary/common/time.h"

namespace tributary::admin {
namespace {

using http::response;

std::size_t bounded_param(const http::request& req, const char* name, std::size_t def,
                          std::size_t max, bool& bad) {
  std::string v = req.param(name);
  if (v.empty()) return def;
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used == v.size() && n >= 0) return std::min<std::size_t>(static_cast<std::size_t>(n), max);
  } catch (...) {
  }
  bad = true;
  return def;
}

std::string presented_token(const http::request& req) {
  std::string_view auth = req.header("authorization");
  if (auth.size() > 7 && strncasecmp(auth.data(), "bearer ", 7) == 0)
    return std::string(auth.substr(7));
  if (auth.size() > 6 && strncasecmp(auth.data(), "basic ", 6) == 0) {
    auto decoded = base64_decode(auth.substr(6));
    if (decoded) return decoded->substr(0, decoded->find(':'));
  }
  return {};
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, rss = 0;
  statm >> pages >> rss;
  return rss * sysconf(_SC_PAGESIZE);
}

void counter_family(std::string& out, const std::string& name, const char* help,
                    const labeled_counter& c) {
  metric_header(out, name, "counter", help);
  for (const auto& [labels, v] : c.snapshot()) out += fmt::format("{}{{{}}} {}\n", name, labels, v);
}

void single(std::string& out, const std::string& name, const char* type, const char* help,
            double v) {
  metric_header(out, name, type, help);
  out += fmt::format("{} {}\n", name, v);
}

}  // namespace

bool token_matches(const std::vector<std::string>& tokens, std::string_view presented) {
  bool match = false;
  for (const auto& t : tokens)
    if (!t.empty() && t.size() == presented.size() &&
        CRYPTO_memcmp(t.data(), presented.data(), t.size()) == 0)
      match = true;
  return match;
}

void admin_api::handle(http::request req, std::function<void(response)> reply) {
  reply(route(req));
}

response admin_api::route(const http::request& req) {
  std::string_view path = req.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path == "/healthz") return json_ok({{"status", "ok"}});
  if (path == "/readyz") {
    bool ok = d_.log->writable() && !d_.log->disk_low();
    const char* status = ok                   ? "ready"
                         : d_.log->disk_low() ? "disk nearly full"
                                              : "storage not writable";
    return response{
        ok ? 200 : 503, "application/json", {}, nlohmann::json{{"status", status}}.dump()};
  }
  if (path == "/metrics") return metrics();

  auto cfg = d_.cfg->get();
  if (!token_matches(cfg->admin.tokens, presented_token(req))) {
    auto r = json_error(401, "authentication_error",
                        "a valid admin token is needed (Authorization: Bearer TOKEN)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  bool bad = false;
  if (profile_api_ && path.starts_with("/v1/spaces/")) return profile_api_->handle(req, *cfg);
  if (profile_api_ && path == "/admin/v1/profiles" && get) return profile_api_->list(req);
  if (path == "/admin/v1/events" && get) {
    std::uint64_t after = 0;
    std::string a = req.param("after", "0");
    try {
      size_t used = 0;
      after = std::stoull(a, &used);
      bad = used != a.size() || a[0] == '-';
    } catch (...) {
      bad = true;
    }
    auto limit = bounded_param(req, "limit", 100, 1000, bad);
    if (bad)
      return json_error(400, "validation_error",
                        "'after' and 'limit' must be non-negative integers");
    auto records = d_.log->read(after, limit);
    std::string body = "{\"events\":[";
    std::uint64_t next = after;
    for (size_t i = 0; i < records.size(); ++i) {
      const auto& r = records[i];
      if (i) body.push_back(',');
      body += fmt::format("{{\"seq\":{},\"source\":{},\"received_at\":\"{}\",\"event\":{}}}", r.seq,
                          http::json_quote(r.source), format_iso8601(r.received_at), r.json);
      next = r.seq;
    }
    body += fmt::format("],\"next\":{},\"last_seq\":{}}}", next, d_.log->last_seq());
    return response{200, "application/json", {}, std::move(body)};
  }
  if (path == "/admin/v1/rejections" && get) {
    auto limit = bounded_param(req, "limit", 100, 1000, bad);
    if (bad) return json_error(400, "validation_error", "'limit' must be a non-negative integer");
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : d_.log->rejections(limit)) {
      auto j = nlohmann::json::parse(s, nullptr, false);
      if (j.is_object() && j.contains("at")) j["at"] = format_iso8601(j["at"].get<millis>());
      list.push_back(std::move(j));
    }
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [labels, v] : d_.ingest->rejected.snapshot()) {
      auto q1 = labels.find('"'), q2 = labels.rfind('"');
      counts[labels.substr(q1 + 1, q2 - q1 - 1)] = v;
    }
    return json_ok({{"rejections", list}, {"counts_since_start", counts}});
  }
  if (path == "/admin/v1/config" && get) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : cfg->sources)
      sources.push_back({{"name", s.name}, {"write_keys", s.write_keys.size()}});
    std::string err = d_.cfg->last_error();
    nlohmann::json traits = nlohmann::json::array();
    for (const auto& t : cfg->computed_traits)
      if (!t.implicit) traits.push_back({{"key", t.key}, {"type", config::to_string(t.type)}});
    nlohmann::json backfill = nullptr;
    if (d_.processor)
      backfill = {{"running", d_.processor->backfill_running.load()},
                  {"profiles_done", d_.processor->backfill_done.load()},
                  {"profiles_estimated", d_.processor->backfill_total.load()}};
    return json_ok({{"file", cfg->file},
                    {"computed_traits", traits},
                    {"backfill", backfill},
                    {"fingerprint", cfg->fingerprint},
                    {"loaded_at", format_iso8601(cfg->loaded_at)},
                    {"last_reload_error", err.empty() ? nlohmann::json() : nlohmann::json(err)},
                    {"sources", sources}});
  }
  if (path == "/admin/v1/tracking-plan/violations" && get) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : d_.ingest->plan_summary.last_24h(d_.clock->now_ms()))
      rows.push_back(
          {{"event", r.event}, {"field", r.field}, {"type", r.type}, {"count", r.count}});
    return json_ok(
        {{"window", "24h"}, {"active", cfg->tracking_plan != nullptr}, {"violations", rows}});
  }
  if (path == "/admin/v1/fql" && req.method == "POST") return fql_route(req);
  if (path.starts_with("/admin/v1/destinations/") && path.ends_with("/test") &&
      req.method == "POST")
    return tester_route(*cfg, req);
  if (d_.profiles)
    if (auto r = audiences_route(*d_.log, *d_.profiles, *cfg, req)) return std::move(*r);
  if (d_.delivery)
    if (auto r = destinations_route(*d_.delivery, *cfg, req)) return std::move(*r);
  if (path == "/admin/v1/backup" && req.method == "POST") return backup_route(*d_.log, req);
  if (path == "/admin/v1/reload" && req.method == "POST") {
    std::string err = d_.reload ? d_.reload() : "reload is not available";
    if (!err.empty()) return json_error(400, "invalid_config", err);
    return json_ok({{"reloaded", true}, {"fingerprint", d_.cfg->get()->fingerprint}});
  }
  return json_error(404, "not_found", "no such admin endpoint");
}

// POST /admin/v1/destinations/{name}/test: Segment's Event Tester, against the profile the
// event's userId or anonymousId resolves to.
response admin_api::tester_route(const config::config& cfg, const http::request& req) const {
  std::string_view rest = std::string_view(req.path).substr(std::strlen("/admin/v1/destinations/"));
  std::string name = http::url_decode(rest.substr(0, rest.size() - std::strlen("/test")), false);
  const config::destination* d = nullptr;
  for (const auto& x : cfg.destinations)
    if (x.name == name) d = &x;
  if (!d) return json_error(404, "not_found", fmt::format("no destination named '{}'", name));
  auto event = nlohmann::ordered_json::parse(req.body, nullptr, false);
  if (!event.is_object()) return json_error(400, "validation_error", "the body must be an event");
  std::optional<profile::profile> p;
  if (d_.profiles) {
    if (event.contains("userId") && event["userId"].is_string())
      p = d_.profiles->find("user_id", event["userId"].get<std::string>());
    if (!p && event.contains("anonymousId") && event["anonymousId"].is_string())
      p = d_.profiles->find("anonymous_id", event["anonymousId"].get<std::string>());
  }
  return json_ok(delivery::test_event(cfg, *d, event, p ? &*p : nullptr, d_.clock->now_ms()));
}

response admin_api::metrics() const {
  std::string out;
  out.reserve(4096);
  const auto& in = *d_.ingest;
  counter_family(out, "tributary_ingest_requests_total",
                 "Tracking API requests by endpoint and status.", in.requests);
  counter_family(out, "tributary_ingest_events_total",
                 "Events acknowledged, by source and type (duplicates included; see "
                 "tributary_log_duplicate_events_total).",
                 in.events);
  counter_family(out, "tributary_ingest_rejected_total", "Messages or requests refused, by reason.",
                 in.rejected);
  counter_family(out, "tributary_tracking_plan_violations_total",
                 "Tracking plan violations by event and violation type.", in.plan_violations);
  counter_family(out, "tributary_tracking_plan_blocked_total",
                 "Events blocked by the tracking plan, by event and reason.", in.plan_blocked);
  counter_family(out, "tributary_tracking_plan_omitted_fields_total",
                 "Fields removed by the tracking plan, by event.", in.plan_omitted);
  single(out, "tributary_ingest_received_bytes_total", "counter", "Request body bytes received.",
         static_cast<double>(in.bytes_received.load()));
  metric_header(out, "tributary_ingest_ack_latency_seconds", "histogram",
                "Time from request parsed to durable acknowledgement.");
  in.ack_latency.render(out, "tributary_ingest_ack_latency_seconds");
  const auto& ls = d_.log->counters();
  single(out, "tributary_log_last_sequence", "gauge", "Highest durable sequence number.",
         static_cast<double>(d_.log->last_seq()));
  single(out, "tributary_log_appended_events_total", "counter", "Events written to the log.",
         static_cast<double>(ls.events_appended.load()));
  single(out, "tributary_log_duplicate_events_total", "counter",
         "Events acknowledged but not stored again (messageId seen).",
         static_cast<double>(ls.duplicates.load()));
  single(out, "tributary_log_group_commits_total", "counter", "Group commits (one fsync each).",
         static_cast<double>(ls.groups.load()));
  single(out, "tributary_log_write_errors_total", "counter", "Failed log writes.",
         static_cast<double>(ls.write_errors.load()));
  single(out, "tributary_log_overloaded_total", "counter",
         "Appends refused because the write queue was full.",
         static_cast<double>(ls.overloaded.load()));
  single(out, "tributary_log_pending_bytes", "gauge", "Bytes queued for the log writer.",
         static_cast<double>(d_.log->pending_bytes()));
  single(out, "tributary_log_size_bytes", "gauge",
         "Size of the event log: its table files (compressed) plus its memtables.",
         static_cast<double>(d_.log->log_bytes()));
  single(out, "tributary_storage_size_bytes", "gauge",
         "Size of the whole database (log, profiles, history, outboxes, ...): table files plus "
         "memtables, without write-ahead logs.",
         static_cast<double>(d_.log->storage_bytes()));
  if (d_.processor) {
    const auto& ps = *d_.processor;
    std::uint64_t cursor = d_.processor_cursor ? d_.processor_cursor() : 0;
    std::uint64_t last = d_.log->last_seq();
    std::uint64_t lag = last > cursor ? last - cursor : 0;
    single(out, "tributary_processor_lag_events", "gauge", "Events in the log not yet processed.",
           static_cast<double>(lag));
    millis last_seen = ps.last_event_received_at.load();
    double lag_s =
        lag && last_seen ? std::max<double>(0, (d_.clock->now_ms() - last_seen) / 1000.0) : 0;
    single(
        out, "tributary_processor_lag_seconds", "gauge",
        "While behind: seconds since the last processed event was received (an upper bound of the "
        "processing delay; 0 when caught up or before the first event).",
        lag_s);
    single(out, "tributary_processor_events_total", "counter", "Events processed.",
           static_cast<double>(ps.events.load()));
    single(out, "tributary_profiles_created_total", "counter", "Profiles created.",
           static_cast<double>(ps.profiles_created.load()));
    single(out, "tributary_profile_merges_total", "counter", "Profiles merged into another.",
           static_cast<double>(ps.merges.load()));
    single(out, "tributary_identity_ids_dropped_total", "counter",
           "Identifiers left out to respect identity.limits.",
           static_cast<double>(ps.ids_dropped.load()));
    single(out, "tributary_processor_unresolved_events_total", "counter",
           "Events without a usable identifier (all blocked).",
           static_cast<double>(ps.unresolved.load()));
    single(out, "tributary_processor_commit_errors_total", "counter", "Failed processor commits.",
           static_cast<double>(ps.commit_errors.load()));
    single(out, "tributary_computed_trait_updates_total", "counter",
           "Computed-trait values that changed on a profile.",
           static_cast<double>(ps.trait_changes.load()));
    single(out, "tributary_computed_trait_rebuilds_total", "counter",
           "Computed-trait states rebuilt from a profile's history (new or changed definitions).",
           static_cast<double>(ps.trait_rebuilds.load()));
    single(out, "tributary_timers_fired_total", "counter",
           "Time-based re-evaluations of a profile (windows, days_since, audiences).",
           static_cast<double>(ps.timers_fired.load()));
    single(out, "tributary_timers_pending", "gauge", "Re-evaluation timers stored.",
           static_cast<double>(std::max<std::int64_t>(0, ps.timers_pending.load())));
    single(out, "tributary_audience_changes_total", "counter",
           "Profiles entering or leaving an audience.",
           static_cast<double>(ps.audience_changes.load()));
    single(out, "tributary_synthesized_events_total", "counter",
           "Audience and computed-trait change events appended to the log (source engage).",
           static_cast<double>(ps.synthesized.load()));
    single(out, "tributary_backfill_running", "gauge",
           "1 while computed traits or audiences are backfilled over all profiles.",
           ps.backfill_running.load() ? 1.0 : 0.0);
  }
  single(out, "tributary_http_connections_open", "gauge", "Open HTTP connections.",
         static_cast<double>(d_.http ? d_.http->connections_open.load() : 0));
  render_ops_metrics(out, d_.http, d_.reloads);
  if (d_.delivery) render_destination_metrics(out, *d_.delivery);
  single(out, "tributary_process_resident_memory_bytes", "gauge", "Resident set size.",
         static_cast<double>(resident_bytes()));
  single(out, "tributary_process_uptime_seconds", "gauge", "Seconds since start.",
         (d_.clock->now_ms() - d_.started_at) / 1000.0);
  return response{200, "text/plain; version=0.0.4", {}, std::move(out)};
}

}  // namespace tributary::admin
