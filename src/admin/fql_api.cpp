#include "admin/fql_api.h"

#include <nlohmann/json.hpp>

#include "admin/json_response.h"
#include "tributary/expr/evaluate.h"

namespace tributary::admin {

http::response fql_route(const http::request& req) {
  auto body = nlohmann::ordered_json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("expression") || !body["expression"].is_string())
    return json_error(400, "validation_error",
                      "the body must be {\"expression\": \"...\", \"event\": {...}}");
  static const nlohmann::ordered_json kEmpty = nlohmann::ordered_json::object();
  const auto& event = body.contains("event") ? body["event"] : kEmpty;
  if (!event.is_object()) return json_error(400, "validation_error", "`event` must be an object");
  auto compiled =
      expr::compile(body["expression"].get_ref<const std::string&>(), expr::mode::event);
  if (!compiled.ok()) {
    const auto& e = compiled.err();
    nlohmann::json j = {
        {"error",
         {{"code", "invalid_expression"},
          {"message", e.message},
          {"position", {{"offset", e.offset}, {"line", e.line}, {"column", e.column}}}}}};
    return http::response{400, "application/json", {}, j.dump()};
  }
  return json_ok({{"result", expr::to_json(expr::evaluate(*compiled.value(), event))}});
}

}  // namespace tributary::admin
