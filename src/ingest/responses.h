#pragma once
//! Response bodies and headers of the Tracking API.
#include <string>
#include <string_view>
#include <vector>

#include "tributary/http/message.h"

namespace tributary::ingest {

struct rejected_item {
  int index = -1;
  std::string code;
  std::string message;
};

//! `{"success":false,"code":...,"message":...}` with the status.
http::response fail(int status, const char* code, const std::string& message);
//! `{"success":true}` plus `"rejected":[...]` when some batch items were refused.
http::response success_body(const std::vector<rejected_item>& rejected);
//! The body of a batch whose every item was refused.
std::string batch_failure_body(const std::vector<rejected_item>& rejected);
//! CORS headers so browsers (analytics.js) may post from any origin.
void add_cors(http::response& res, std::string_view origin, std::string_view request_headers);
//! What analytics.js loads from its CDN, pointing its API host back at this server.
http::response analytics_js_settings(const std::string& write_key, std::string_view host,
                                     std::string_view forwarded_proto);

}  // namespace tributary::ingest
