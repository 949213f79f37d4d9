#include "ingest/responses.h"

#include <nlohmann/json.hpp>

namespace tributary::ingest {

using http::json_quote;

http::response fail(int status, const char* code, const std::string& message) {
  http::response r;
  r.status = status;
  r.body = "{\"success\":false,\"code\":" + json_quote(code) +
           ",\"message\":" + json_quote(message) + "}";
  return r;
}

namespace {
std::string rejected_array(const std::vector<rejected_item>& rejected) {
  std::string out = "[";
  for (size_t i = 0; i < rejected.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"index\":" + std::to_string(rejected[i].index) +
           ",\"code\":" + json_quote(rejected[i].code) +
           ",\"message\":" + json_quote(rejected[i].message) + "}";
  }
  return out + "]";
}
}  // namespace

http::response success_body(const std::vector<rejected_item>& rejected) {
  http::response r;
  r.body = rejected.empty() ? "{\"success\":true}"
                            : "{\"success\":true,\"rejected\":" + rejected_array(rejected) + "}";
  return r;
}

std::string batch_failure_body(const std::vector<rejected_item>& rejected) {
  return "{\"success\":false,\"code\":\"invalid_batch\",\"message\":\"every message of the batch "
         "was rejected\",\"rejected\":" +
         rejected_array(rejected) + "}";
}

void add_cors(http::response& res, std::string_view origin, std::string_view request_headers) {
  if (origin.empty()) {
    res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    res.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    res.headers.emplace_back("Vary", "Origin");
  }
  if (res.status == 204) {
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.headers.emplace_back("Access-Control-Allow-Headers",
                             request_headers.empty()
                                 ? std::string("Content-Type, Authorization, Content-Encoding")
                                 : std::string(request_headers));
    res.headers.emplace_back("Access-Control-Max-Age", "86400");
  }
}

http::response analytics_js_settings(const std::string& write_key, std::string_view host,
                                     std::string_view forwarded_proto) {
  std::string proto = forwarded_proto.empty() ? "http" : std::string(forwarded_proto);
  std::string api_host = std::string(host.empty() ? "localhost" : host) + "/v1";
  nlohmann::json j = {
      {"integrations",
       {{"Segment.io",
         {{"apiKey", write_key},
          {"apiHost", api_host},
          {"protocol", proto},
          {"unbundledIntegrations", nlohmann::json::array()},
          {"addBundledMetadata", true},
          {"maybeBundledConfigIds", nlohmann::json::object()}}}}},
      {"plan",
       {{"track", {{"__default", {{"enabled", true}, {"integrations", nlohmann::json::object()}}}}},
        {"identify", {{"__default", {{"enabled", true}}}}},
        {"group", {{"__default", {{"enabled", true}}}}}}},
      {"edgeFunction", nlohmann::json::object()},
      {"analyticsNextEnabled", true},
      {"middlewareSettings", nlohmann::json::object()},
      {"enabledMiddleware", nlohmann::json::object()},
      {"metrics", {{"sampleRate", 0}, {"host", api_host}}},
      {"legacyVideoPluginsEnabled", false},
      {"remotePlugins", nlohmann::json::array()}};
  http::response r;
  r.body = j.dump();
  r.headers.emplace_back("Cache-Control", "public, max-age=60");
  return r;
}

}  // namespace tributary::ingest
