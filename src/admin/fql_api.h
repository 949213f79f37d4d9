#pragma once
//! `POST /admin/v1/fql`: try an FQL expression on an event.
#include "tributary/http/message.h"

namespace tributary::admin {

//! Body `{"expression": "...", "event": {...}}` → `{"result": VALUE}`, or 400 with
//! `{"error": {"code": "invalid_expression", "message", "position": {offset, line, column}}}`.
http::response fql_route(const http::request& req);

}  // namespace tributary::admin
