#include "delivery/tester.h"

#include "delivery/policy.h"
#include "delivery/request_builder.h"
#include "tributary/transform/js_json.h"

namespace tributary::delivery {

nlohmann::json test_event(const config::config& cfg, const config::destination& d,
                          const nlohmann::ordered_json& event, const profile::profile* p,
                          millis now) {
  nlohmann::ordered_json ev = event;
  // The idempotency key is the logged event's messageId, whatever the mapping makes of it.
  std::string message_id = event.contains("messageId") && event["messageId"].is_string()
                               ? event.value("messageId", "")
                               : "";
  decision verdict;
  if (!integrations_allow(ev, d.name)) {
    verdict = {false, "excluded by the event's integrations"};
  } else {
    eventlog::log_record rec;
    nlohmann::json plain = nlohmann::json::parse(ev.dump());
    processor::event_context ctx{rec, plain, p, cfg, now};
    verdict = decide(d, ctx, ev, transform::default_random_source());
  }
  nlohmann::json out = {{"delivered", verdict.deliver},
                        {"reason", verdict.deliver ? "delivered" : verdict.reason},
                        {"request", nullptr}};
  if (!verdict.deliver) return out;
  std::string body = transform::stringify(ev);
  auto req = build_request(d, {{message_id, body}}, false, now);
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [k, v] : req.headers) {
    bool configured = std::any_of(d.headers.begin(), d.headers.end(),
                                  [&](const auto& h) { return h.first == k; });
    headers.push_back({{"name", k}, {"value", configured ? "<redacted>" : v}});
  }
  out["request"] = {{"method", req.method},
                    {"url", d.parsed.display},
                    {"headers", std::move(headers)},
                    {"body", std::move(req.body)}};
  return out;
}

}  // namespace tributary::delivery
