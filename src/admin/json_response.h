#pragma once
//! JSON answers of the admin API: `{"error": {"code", "message"}}` errors and plain bodies.
#include <nlohmann/json.hpp>

#include <string>

#include "tributary/http/message.h"

namespace tributary::admin {

inline http::response json_error(int status, const char* code, const std::string& message) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  return http::response{status,
                        "application/json",
                        {},
                        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

inline http::response json_ok(const nlohmann::json& j) {
  return http::response{200,
                        "application/json",
                        {},
                        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace tributary::admin
