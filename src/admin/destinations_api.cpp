#include "admin/destinations_api.h"

#include "admin/json_response.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tributary/common/metrics.h"
#include "tributary/common/time.h"

namespace tributary::admin {
namespace {

using http::response;
using nlohmann::json;
constexpr std::string_view kBase = "/admin/v1/destinations";

json time_or_null(millis t) {
  return t ? json(format_iso8601(t)) : json();
}

json status_of(const config::destination& d, const delivery::destination_probe* p) {
  json j = {{"name", d.name},
            {"type", d.type},
            {"url", d.parsed.display},
            {"batch_size", d.batch ? json(d.batch->size) : json()},
            {"concurrency", d.concurrency}};
  if (!p) return j;
  auto [error, error_at] = p->last_error();
  j["delivered"] = p->delivered.load();
  j["retrying"] = std::max<std::int64_t>(0, p->retrying.load());
  j["failed"] = p->failed.load();
  j["retries"] = p->retries.load();
  j["skipped"] = p->skipped.load();
  j["in_flight"] = std::max<std::int64_t>(0, p->in_flight.load());
  j["outbox_depth"] = std::max<std::int64_t>(0, p->outbox_depth.load());
  j["dlq_size"] = std::max<std::int64_t>(0, p->dlq_size.load());
  j["last_error"] =
      error.empty() ? json() : json{{"message", error}, {"at", format_iso8601(error_at)}};
  j["last_success_at"] = time_or_null(p->last_success_at.load());
  return j;
}

json dead_letter_json(const delivery::dead_letter& l) {
  auto event = json::parse(l.row.body, nullptr, false);
  return {{"seq", l.seq},
          {"sub", l.sub},
          {"message_id", l.row.message_id},
          {"profile_id", l.row.profile_id.empty() ? json() : json(l.row.profile_id)},
          {"attempts", l.row.attempts},
          {"enqueued_at", time_or_null(l.row.enqueued_at)},
          {"failed_at", time_or_null(l.row.next_attempt_at)},
          {"last_status", l.row.last_status ? json(l.row.last_status) : json()},
          {"last_error", l.row.last_error},
          {"event", event.is_discarded() ? json(l.row.body) : event}};
}

std::string label_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<response> destinations_route(delivery::service& svc, const config::config& cfg,
                                           const http::request& req) {
  std::string_view path = req.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (!path.starts_with(kBase)) return std::nullopt;
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path == kBase) {
    if (!get) return std::nullopt;
    json list = json::array();
    for (const auto& d : cfg.destinations) list.push_back(status_of(d, svc.probe(d.name).get()));
    return json_ok({{"destinations", list}});
  }
  if (path[kBase.size()] != '/') return std::nullopt;
  std::string_view rest = path.substr(kBase.size() + 1);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string name = http::url_decode(rest.substr(0, slash), false);
  const std::string_view action = rest.substr(slash);
  const bool dlq = action == "/dlq" && get;
  const bool redrive = action == "/dlq/redrive" && req.method == "POST";
  if (!dlq && !redrive) return std::nullopt;
  const config::destination* d = nullptr;
  for (const auto& x : cfg.destinations)
    if (x.name == name) d = &x;
  if (!d) return json_error(404, "not_found", fmt::format("no destination named '{}'", name));
  if (dlq) {
    std::size_t limit = 100;
    std::string v = req.param("limit");
    if (!v.empty()) {
      bool ok = v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos;
      if (!ok) return json_error(400, "validation_error", "'limit' must be a non-negative integer");
      limit = std::min<std::size_t>(std::stoul(v), 1000);
    }
    json letters = json::array();
    for (const auto& l : svc.dead_letters(name, limit)) letters.push_back(dead_letter_json(l));
    auto p = svc.probe(name);
    return json_ok({{"destination", name},
                    {"dead_letters", letters},
                    {"dlq_size", p ? std::max<std::int64_t>(0, p->dlq_size.load()) : 0}});
  }
  return json_ok({{"destination", name}, {"redriven", svc.redrive(name)}});
}

void render_destination_metrics(std::string& out, const delivery::service& svc) {
  auto probes = svc.probes();
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    metric_header(out, name, type, help);
    for (const auto& [dest, p] : probes)
      out += fmt::format("{}{{destination=\"{}\"}} {}\n", name, label_value(dest), value(*p));
  };
  metric_header(
      out, "tributary_destination_deliveries_total", "counter",
      "Events by final outcome: delivered (2xx) or failed (moved to the dead-letter queue).");
  for (const auto& [dest, p] : probes) {
    auto l = label_value(dest);
    out += fmt::format(
        "tributary_destination_deliveries_total{{destination=\"{}\",outcome=\"delivered\"}} {}\n",
        l, p->delivered.load());
    out += fmt::format(
        "tributary_destination_deliveries_total{{destination=\"{}\",outcome=\"failed\"}} {}\n", l,
        p->failed.load());
  }
  using probe = delivery::destination_probe;
  family("tributary_destination_retries_total", "counter", "Retries scheduled, per event.",
         [](const probe& p) { return p.retries.load(); });
  family("tributary_destination_skipped_total", "counter",
         "Events not sent to the destination (integrations, filters, subscription).",
         [](const probe& p) { return p.skipped.load(); });
  family("tributary_destination_outbox_depth", "gauge", "Events waiting in the outbox.",
         [](const probe& p) { return std::max<std::int64_t>(0, p.outbox_depth.load()); });
  family("tributary_destination_retrying", "gauge", "Outbox events that failed at least once.",
         [](const probe& p) { return std::max<std::int64_t>(0, p.retrying.load()); });
  family("tributary_destination_dlq_size", "gauge", "Events in the dead-letter queue.",
         [](const probe& p) { return std::max<std::int64_t>(0, p.dlq_size.load()); });
  family("tributary_destination_in_flight", "gauge", "Events in requests in flight.",
         [](const probe& p) { return std::max<std::int64_t>(0, p.in_flight.load()); });
  metric_header(out, "tributary_destination_delivery_latency_seconds", "histogram",
                "From enqueue in the outbox to a 2xx answer, retries included.");
  for (const auto& [dest, p] : probes)
    p->latency.render(out, "tributary_destination_delivery_latency_seconds",
                      fmt::format("destination=\"{}\"", label_value(dest)));
}

}  // namespace tributary::admin
