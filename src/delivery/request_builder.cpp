#include "delivery/request_builder.h"

#include <strings.h>

#include "delivery/signature.h"

namespace tributary::delivery {
namespace {

void set_header(std::vector<std::pair<std::string, std::string>>& headers, std::string name,
                std::string value) {
  for (auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) {
      v = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace

outgoing_request build_request(const config::destination& d, const std::vector<event_part>& events,
                               bool batched, millis now) {
  outgoing_request r;
  r.method = d.method;
  r.target = d.parsed.target;
  const auto& u = d.parsed;
  r.host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (u.port != (u.https ? 443 : 80)) r.host += ":" + std::to_string(u.port);
  if (batched) {
    std::size_t size = 2;
    for (const auto& e : events) size += e.body.size() + 1;
    r.body.reserve(size);
    r.body.push_back('[');
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (i) r.body.push_back(',');
      r.body.append(events[i].body);
    }
    r.body.push_back(']');
  } else if (!events.empty()) {
    r.body.assign(events.front().body);
  }
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("User-Agent", "Tributary/" TRIBUTARY_VERSION);
  for (const auto& [k, v] : d.headers) set_header(r.headers, k, v);
  if (!events.empty())
    r.headers.emplace_back("Idempotency-Key", std::string(events.front().message_id));
  if (!d.shared_secret.empty()) {
    std::string_view signed_json = events.empty() ? std::string_view(r.body) : events.front().body;
    r.headers.emplace_back("X-Signature", x_signature(d.shared_secret, signed_json));
    std::int64_t t = now >= 0 ? now / 1000 : (now - 999) / 1000;
    r.headers.emplace_back("X-Tributary-Signature",
                           tributary_signature(d.shared_secret, t, r.body));
  }
  return r;
}

}  // namespace tributary::delivery
