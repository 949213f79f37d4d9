#pragma once
//! Plain HTTP request/response values, so handlers are pure functions testable without sockets
//! and without Beast's headers.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::http {

struct request {
  std::string method;                                        //!< "GET", "POST", ...
  std::string path;                                          //!< target before '?', not decoded
  std::string query;                                         //!< after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;  //!< names lowercased
  std::string body;
  std::string remote_ip;

  //! The first header with this lowercase name, or "".
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return {};
  }
  //! A query parameter, percent-decoded; `fallback` when absent.
  std::string param(std::string_view name, std::string fallback = {}) const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

//! Answers requests. `reply` must be called exactly once, from any thread.
class handler {
 public:
  virtual ~handler() = default;
  virtual void handle(request req, std::function<void(response)> reply) = 0;
};

//! Percent-decodes ("+" stays "+" unless form_plus is set).
std::string url_decode(std::string_view s, bool form_plus = true);

//! A JSON string literal (quotes included) with JSON escapes.
std::string json_quote(std::string_view s);

}  // namespace tributary::http
