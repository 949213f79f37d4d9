#include "tributary/ingest/tracking_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <chrono>

#include "ingest/json_writer.h"
#include "ingest/normalize.h"
#include "ingest/responses.h"
#include "tributary/common/codec.h"
#include "tributary/common/time.h"

namespace tributary::ingest {
namespace {

using http::response;

enum class endpoint { single, batch, telemetry, settings, health, unknown };

struct route {
  endpoint kind = endpoint::unknown;
  std::optional<call_type> type;
  std::string name;       // for metrics
  std::string write_key;  // settings only
};

route classify(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/healthz") return {endpoint::health, {}, "healthz", {}};
  if (path.substr(0, 4) != "/v1/") return {};
  std::string_view rest = path.substr(4);
  if (rest == "batch" || rest == "import" || rest == "b") return {endpoint::batch, {}, "batch", {}};
  if (rest == "m") return {endpoint::telemetry, {}, "m", {}};
  static const std::pair<const char*, call_type> kShort[] = {
      {"i", call_type::identify}, {"t", call_type::track}, {"p", call_type::page},
      {"s", call_type::screen},   {"g", call_type::group}, {"a", call_type::alias}};
  for (auto [s, t] : kShort)
    if (rest == s) return {endpoint::single, t, call_type_name(t), {}};
  if (auto t = parse_call_type(rest)) return {endpoint::single, t, call_type_name(*t), {}};
  constexpr std::string_view kProjects = "projects/", kSettings = "/settings";
  if (rest.substr(0, kProjects.size()) == kProjects &&
      rest.size() > kProjects.size() + kSettings.size() &&
      rest.substr(rest.size() - kSettings.size()) == kSettings) {
    auto key = rest.substr(kProjects.size(), rest.size() - kProjects.size() - kSettings.size());
    if (key.find('/') == std::string_view::npos)
      return {endpoint::settings, {}, "settings", http::url_decode(key, false)};
  }
  return {};
}

// The write key from Basic auth ("KEY:" or "KEY"), or "".
std::string basic_auth_key(std::string_view auth) {
  constexpr std::string_view kBasic = "Basic ";
  if (auth.size() <= kBasic.size() || strncasecmp(auth.data(), "basic ", 6) != 0) return {};
  auto decoded = base64_decode(auth.substr(kBasic.size()));
  if (!decoded) return {};
  return decoded->substr(0, decoded->find(':'));
}

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Up to `limit` bytes of a payload for the rejections store.
std::string bounded(std::string_view s, std::size_t limit) {
  return std::string(s.substr(0, std::min(s.size(), limit)));
}

constexpr std::string_view kViolationEvent = "Violation Generated";

std::string describe_block(const protocols::verdict& v) {
  if (v.block_reason == "unplanned_event")
    return "the event '" + v.event_name + "' is not in the tracking plan";
  std::string out = "blocked by the tracking plan:";
  for (const auto& x : v.violations) out += " " + x.description + ";";
  out.pop_back();
  return out;
}

// A deterministic id, so a retried message does not forward its violations twice.
std::string violation_id(std::string_view message_id, const protocols::violation& v) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  };
  mix(message_id);
  mix(v.field);
  mix(v.type);
  return fmt::format("sch-{:016x}", h);
}

// Segment's `Violation Generated` track event for one violation.
eventlog::append_item violation_event(const normalized_message& m, const protocols::violation& v,
                                      const std::string& source, millis now) {
  std::string id = violation_id(m.message_id, v);
  const std::string event_name =
      m.verdict.event_name.empty() ? call_type_name(m.type) : m.verdict.event_name;
  const std::pair<const char*, std::string_view> properties[] = {
      {"eventName", event_name},        {"eventType", call_type_name(m.type)},
      {"eventMessageID", m.message_id}, {"sourceID", source},
      {"sourceName", source},           {"violationType", v.type},
      {"violationField", v.field},      {"violationDescription", v.description}};
  std::string j =
      "{\"type\":\"track\",\"event\":\"Violation Generated\",\"userId\":\"schema-violations\",";
  j += "\"messageId\":";
  append_string(j, id);
  j += ",\"properties\":{";
  bool first = true;
  for (const auto& [key, value] : properties) {
    append_key(j, key, first);
    append_string(j, value);
  }
  j += "},\"context\":{},\"integrations\":{},\"timestamp\":\"";
  append_iso8601(j, now);
  j += "\",\"receivedAt\":\"";
  append_iso8601(j, now);
  j += "\"}";
  return {source + '\x1f' + id, std::move(j)};
}

}  // namespace

void tracking_api::record_plan_outcome(const normalized_message& m, millis now) {
  const std::string& name =
      m.verdict.event_name.empty() ? std::string(call_type_name(m.type)) : m.verdict.event_name;
  std::string ev = http::json_quote(name);
  for (const auto& v : m.verdict.violations) {
    stats_.plan_violations.add(fmt::format("event={},type={}", ev, http::json_quote(v.type)));
    stats_.plan_summary.record(now, name, v.field, v.type);
  }
  if (m.blocked())
    stats_.plan_blocked.add(fmt::format("event={},reason=\"{}\"", ev, m.verdict.block_reason));
  std::size_t omitted = m.verdict.omitted.size() + m.verdict.omitted_on_violation.size();
  if (omitted) stats_.plan_omitted.add(fmt::format("event={}", ev), omitted);
}

std::optional<response> tracking_api::rate_limited(const config::config& cfg,
                                                   const std::string& source,
                                                   const std::string& write_key, millis now) {
  double rate = 0;
  for (const auto& s : cfg.sources)
    if (s.name == source) rate = s.rate_limit;
  if (rate <= 0) return std::nullopt;
  auto wait = limiter_.acquire(write_key, rate, now);
  if (!wait) return std::nullopt;
  stats_.rejected.add("reason=\"rate_limited\"");
  auto res = fail(429, "rate_limited",
                  fmt::format("this write key is over the rate limit of source '{}'; retry in {} s",
                              source, *wait));
  res.headers.emplace_back("Retry-After", std::to_string(*wait));
  return res;
}

void tracking_api::handle(http::request req, std::function<void(response)> reply) {
  auto cfg = cfg_.get();
  const millis received_at = clock_.now_ms();
  const auto started = std::chrono::steady_clock::now();
  route r = classify(req.path);
  // Captures by value: it may run on the log writer's thread after this function returned.
  auto finish = [this, reply, name = r.name.empty() ? std::string("other") : r.name,
                 origin = std::string(req.header("origin")),
                 allow_headers =
                     std::string(req.header("access-control-request-headers"))](response res) {
    stats_.requests.add(fmt::format("endpoint=\"{}\",status=\"{}\"", name, res.status));
    add_cors(res, origin, allow_headers);
    reply(std::move(res));
  };
  if (r.kind == endpoint::unknown) return finish(fail(404, "not_found", "no such endpoint"));
  if (req.method == "OPTIONS") return finish(response{204, "text/plain", {}, ""});
  if (r.kind == endpoint::health)
    return finish(response{200, "application/json", {}, "{\"status\":\"ok\"}"});
  if (r.kind == endpoint::settings) {
    if (req.method != "GET" && req.method != "HEAD")
      return finish(fail(405, "method_not_allowed", "use GET"));
    if (!cfg->source_for(r.write_key))
      return finish(fail(404, "invalid_write_key", "unknown write key"));
    return finish(
        analytics_js_settings(r.write_key, req.header("host"), req.header("x-forwarded-proto")));
  }
  if (req.method != "POST") return finish(fail(405, "method_not_allowed", "use POST"));
  stats_.bytes_received.fetch_add(req.body.size());
  if (r.kind == endpoint::telemetry) return finish(success_body({}));

  const auto& limits = cfg->server.limit;
  // Decompress when labelled gzip, or when the body starts with gzip's magic bytes.
  std::string inflated;
  std::string_view body = req.body;
  bool gz = req.header("content-encoding").find("gzip") != std::string_view::npos ||
            (body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
             static_cast<unsigned char>(body[1]) == 0x8b);
  if (gz) {
    auto st = gunzip(body, limits.batch_bytes, inflated);
    if (st == inflate_status::invalid) {
      stats_.rejected.add("reason=\"invalid_gzip\"");
      return finish(fail(400, "invalid_gzip", "the body is labelled gzip but does not inflate"));
    }
    if (st == inflate_status::too_large) {
      stats_.rejected.add("reason=\"payload_too_large\"");
      return finish(
          fail(413, "payload_too_large",
               fmt::format("the decompressed body is over {} bytes", limits.batch_bytes)));
    }
    body = inflated;
  }
  if (body.size() > limits.batch_bytes) {
    stats_.rejected.add("reason=\"payload_too_large\"");
    return finish(fail(413, "payload_too_large",
                       fmt::format("the body is over {} bytes", limits.batch_bytes)));
  }

  std::string header_key = basic_auth_key(req.header("authorization"));
  const std::string* source = header_key.empty() ? nullptr : cfg->source_for(header_key);
  auto reject_all = [&](int status, const char* code, std::string message) {
    stats_.rejected.add(fmt::format("reason=\"{}\"", code));
    if (source) {  // kept for the admin only when the sender is known
      eventlog::append_request ar;
      ar.source = *source;
      ar.rejections.push_back(
          {received_at, *source, code, message, -1, bounded(body, limits.message_bytes)});
      ar.done = [](eventlog::append_outcome) {};
      log_.submit(std::move(ar));
    }
    return finish(fail(status, code, std::move(message)));
  };

  simdjson::dom::element root;
  auto parse_error = thread_parser().parse(body.data(), body.size()).get(root);
  if (parse_error)
    return reject_all(
        400, "invalid_json",
        std::string("the body is not valid JSON: ") + simdjson::error_message(parse_error));
  if (!root.is_object()) return reject_all(400, "invalid_json", "the body must be a JSON object");
  std::string write_key = source ? header_key : std::string();
  if (!source) {
    std::string_view body_key;
    if (root["writeKey"].get_string().get(body_key) == simdjson::SUCCESS) {
      write_key = std::string(body_key);
      source = cfg->source_for(write_key);
    }
  }
  if (!source) {
    stats_.rejected.add("reason=\"invalid_write_key\"");
    return finish(
        fail(401, "invalid_write_key",
             "a valid write key is needed (Basic auth user name or 'writeKey' in the body)"));
  }
  if (auto limited = rate_limited(*cfg, *source, write_key, received_at)) return finish(*limited);

  normalize_input in;
  in.plan = cfg->plan_for(*source);
  in.source = *source;
  in.received_at = received_at;
  in.client_ip = req.remote_ip;
  in.message_bytes = limits.message_bytes;
  eventlog::append_request ar;
  ar.source = *source;
  ar.received_at = received_at;
  std::vector<rejected_item> rejected;
  std::array<std::uint64_t, 6> type_counts{};  // accepted events per call type, for metrics

  auto add_item = [&](simdjson::dom::element msg, std::optional<call_type> forced, int index) {
    auto n = normalize(msg, forced, in);
    if (!n) {
      stats_.rejected.add(fmt::format("reason=\"{}\"", n.err().code));
      std::string payload;
      append_element(payload, msg);
      ar.rejections.push_back({received_at, *source, n.err().code, n.err().message, index,
                               bounded(payload, limits.message_bytes)});
      rejected.push_back({index, n.err().code, n.err().message});
      return;
    }
    auto& m = n.value();
    if (in.plan && (m.verdict.touched() || m.blocked())) record_plan_outcome(m, received_at);
    if (m.blocked()) {
      stats_.rejected.add("reason=\"tracking_plan_blocked\"");
      std::string why = describe_block(m.verdict);
      ar.rejections.push_back({received_at, *source, "tracking_plan_blocked", why, index, m.json});
      rejected.push_back({index, "tracking_plan_blocked", why});
      return;
    }
    ++type_counts[static_cast<size_t>(m.type)];
    std::vector<eventlog::append_item> forwarded;  // stored right after the event itself
    if (in.plan && in.plan->forward_violations && m.verdict.event_name != kViolationEvent)
      for (const auto& v : m.verdict.violations)
        forwarded.push_back(violation_event(m, v, *source, received_at));
    ar.items.push_back({*source + '\x1f' + m.message_id, std::move(m.json)});
    for (auto& f : forwarded) ar.items.push_back(std::move(f));
  };

  if (r.kind == endpoint::single) {
    add_item(root, r.type, -1);
    if (!rejected.empty() && rejected[0].code == "tracking_plan_blocked") {
      // Accepted at the door, stopped by the plan: the SDK must not retry it.
      ar.done = [](eventlog::append_outcome) {};
      log_.submit(std::move(ar));
      return finish(success_body(rejected));
    }
    if (!rejected.empty()) {
      ar.done = [](eventlog::append_outcome) {};
      log_.submit(std::move(ar));
      return finish(fail(400, rejected[0].code.c_str(), rejected[0].message));
    }
  } else {
    simdjson::dom::array items;
    if (root["batch"].get_array().get(items) != simdjson::SUCCESS)
      return reject_all(400, "invalid_batch", "the body needs a 'batch' array");
    if (items.size() > limits.batch_messages)
      return reject_all(400, "too_many_messages",
                        fmt::format("the batch has {} messages; the limit is {}", items.size(),
                                    limits.batch_messages));
    simdjson::dom::object obj;
    if (root["context"].get_object().get(obj) == simdjson::SUCCESS) in.batch_context = obj;
    if (root["integrations"].get_object().get(obj) == simdjson::SUCCESS)
      in.batch_integrations = obj;
    simdjson::dom::element sent;
    if (root["sentAt"].get(sent) == simdjson::SUCCESS && !sent.is_null()) {
      std::string_view raw;
      if (sent.get_string().get(raw) == simdjson::SUCCESS) in.batch_sent_at = parse_iso8601(raw);
      if (!in.batch_sent_at)
        return reject_all(400, "invalid_timestamp",
                          "the batch's 'sentAt' must be an ISO-8601 date-time");
    }
    int index = 0;
    for (auto item : items) add_item(item, std::nullopt, index++);
    if (ar.items.empty() && !rejected.empty()) {
      auto res = fail(400, "invalid_batch", "every message of the batch was rejected");
      res.body = batch_failure_body(rejected);
      ar.done = [](eventlog::append_outcome) {};
      log_.submit(std::move(ar));
      return finish(std::move(res));
    }
  }

  // Hand off to the log writer; reply when the events are durable.
  ar.done = [this, finish = std::move(finish), rejected = std::move(rejected), type_counts,
             source = *source, started](eventlog::append_outcome out) {
    using eventlog::append_status;
    if (out.status == append_status::ok) {
      for (size_t t = 0; t < type_counts.size(); ++t)
        if (type_counts[t])
          stats_.events.add(fmt::format("source=\"{}\",type=\"{}\"", source,
                                        call_type_name(static_cast<call_type>(t))),
                            type_counts[t]);
      stats_.ack_latency.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      return finish(success_body(rejected));
    }
    response res = out.status == append_status::overloaded ? fail(429, "overloaded", out.message)
                                                           : fail(503, "unavailable", out.message);
    res.headers.emplace_back("Retry-After", out.status == append_status::overloaded ? "1" : "5");
    finish(std::move(res));
  };
  log_.submit(std::move(ar));
}

}  // namespace tributary::ingest
