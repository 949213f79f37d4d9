#include "admin/destinations_api.h"

#include "admin/json_response.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>

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
  j["replayed"] = p->replayed.load();
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

// A destination name as one path segment.
std::string path_segment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

json replay_json(const delivery::replay_status& st) {
  const std::string url =
      fmt::format("{}/{}/replays/{}", kBase, path_segment(st.destination), st.id);
  return {{"replay_id", st.id},
          {"destination", st.destination},
          {"from", format_iso8601(st.from)},
          {"to", format_iso8601(st.to)},
          {"state", delivery::to_string(st.state)},
          {"end_seq", st.end_seq},
          {"events_scanned", st.events_scanned},
          {"in_range", st.in_range},
          {"enqueued", st.enqueued},
          {"skipped", st.skipped},
          {"first_seq", st.first_seq ? json(st.first_seq) : json()},
          {"last_seq", st.last_seq ? json(st.last_seq) : json()},
          {"requested_at", time_or_null(st.requested_at)},
          {"started_at", time_or_null(st.started_at)},
          {"finished_at", time_or_null(st.finished_at)},
          {"error", st.error.empty() ? json() : json(st.error)},
          {"status_url", url}};
}

// The body of POST .../replay: {"from": ISO-8601, "to": ISO-8601}. Returns the error message.
std::string parse_range(const std::string& body, millis& from, millis& to) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return R"(the body must be a JSON object {"from": ISO-8601 time, "to": ISO-8601 time})";
  for (const char* field : {"from", "to"}) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null())
      return fmt::format("'{}' is required (an ISO-8601 time, e.g. \"2026-03-01T10:00:00Z\")",
                         field);
    if (!it->is_string())
      return fmt::format("'{}' must be an ISO-8601 time string, not {}", field, it->dump());
    auto t = parse_iso8601(it->get<std::string>());
    if (!t)
      return fmt::format("'{}' is not an ISO-8601 time: {}", field,
                         http::json_quote(it->get<std::string>()));
    (std::string_view(field) == "from" ? from : to) = *t;
  }
  if (from > to)
    return fmt::format("'from' ({}) is after 'to' ({})", format_iso8601(from), format_iso8601(to));
  return "";
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
  const bool replay = action == "/replay" && req.method == "POST";
  const bool replays = action == "/replays" && get;
  const bool replay_get = action.starts_with("/replays/") && get;
  if (!dlq && !redrive && !replay && !replays && !replay_get) return std::nullopt;
  const config::destination* d = nullptr;
  for (const auto& x : cfg.destinations)
    if (x.name == name) d = &x;
  if (!d) return json_error(404, "not_found", fmt::format("no destination named '{}'", name));
  if (replay) {
    millis from = 0, to = 0;
    if (auto err = parse_range(req.body, from, to); !err.empty())
      return json_error(400, "validation_error", err);
    auto st = svc.start_replay(name, from, to);
    if (!st)
      return json_error(429, "too_many_replays",
                        "too many replays are waiting or running; try again once one has finished");
    json j = replay_json(*st);
    response r = json_ok(j);
    r.status = 202;
    r.headers.emplace_back("Location", j["status_url"].get<std::string>());
    return r;
  }
  if (replays) {
    json list = json::array();
    for (const auto& st : svc.replays(name)) list.push_back(replay_json(st));
    return json_ok({{"destination", name}, {"replays", list}});
  }
  if (replay_get) {
    std::string_view id_text = action.substr(std::strlen("/replays/"));
    std::uint64_t id = 0;
    bool ok = !id_text.empty() && id_text.size() <= 18 &&
              id_text.find_first_not_of("0123456789") == std::string_view::npos;
    if (ok) id = std::stoull(std::string(id_text));
    auto st = ok ? svc.replay(name, id) : std::nullopt;
    if (!st)
      return json_error(404, "not_found",
                        fmt::format("no replay '{}' of destination '{}' (statuses are kept in "
                                    "memory for the last replays since the server started)",
                                    id_text, name));
    return json_ok(replay_json(*st));
  }
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
  family("tributary_destination_replayed_total", "counter",
         "Events enqueued again by replays (POST /admin/v1/destinations/{name}/replay).",
         [](const probe& p) { return p.replayed.load(); });
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
