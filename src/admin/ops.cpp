#include "admin/ops.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>

namespace tributary::admin {
namespace {

namespace fs = std::filesystem;
using http::response;

response json_error(int status, const char* code, const std::string& message) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  return response{status, "application/json", {}, j.dump()};
}

void single(std::string& out, const char* name, const char* type, const char* help, double v) {
  metric_header(out, name, type, help);
  out += fmt::format("{} {}\n", name, v);
}

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (fs::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

}  // namespace

response backup_route(eventlog::event_log& log, const http::request& req) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("to") || !body["to"].is_string())
    return json_error(400, "validation_error", "the body must be {\"to\": \"/absolute/new/dir\"}");
  fs::path to = fs::path(body["to"].get<std::string>()).lexically_normal();
  if (!to.has_filename()) to = to.parent_path();  // "/backups/b1/" names "/backups/b1"
  if (!to.is_absolute())
    return json_error(400, "validation_error", "'to' must be an absolute path on the server");
  std::error_code ec;
  if (fs::exists(to, ec))
    return json_error(409, "already_exists", to.string() + " exists; name a new directory");
  fs::path parent = to.parent_path();
  if (!fs::is_directory(parent, ec))
    return json_error(400, "validation_error", parent.string() + " is not an existing directory");
  auto started = std::chrono::steady_clock::now();
  auto done = log.checkpoint(to.string());
  if (!done) return json_error(500, "backup_failed", done.err().message);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  nlohmann::json j = {{"path", to.string()}, {"last_seq", done.value()}, {"took_ms", took}};
  return response{200, "application/json", {}, j.dump()};
}

void render_ops_metrics(std::string& out, const http::server_stats* http,
                        const labeled_counter* reloads) {
  if (http) {
    single(out, "tributary_http_connections_accepted_total", "counter",
           "TCP connections accepted on both listeners.",
           static_cast<double>(http->connections_accepted.load()));
    single(out, "tributary_http_connections_refused_total", "counter",
           "Connections closed at accept because server.max_connections were open.",
           static_cast<double>(http->connections_refused.load()));
    single(out, "tributary_http_requests_total", "counter", "HTTP requests read on both listeners.",
           static_cast<double>(http->requests.load()));
    single(out, "tributary_http_header_timeouts_total", "counter",
           "Connections closed because their headers took over server.header_timeout.",
           static_cast<double>(http->header_timeouts.load()));
    single(out, "tributary_http_headers_too_large_total", "counter",
           "Requests answered 431 because their headers were over the limit.",
           static_cast<double>(http->headers_too_large.load()));
  }
  if (reloads) {
    metric_header(out, "tributary_config_reloads_total", "counter",
                  "Configuration reloads (SIGHUP, POST /admin/v1/reload, file change) by result.");
    auto values = reloads->snapshot();
    // Both series always exist, so `increase(...{result="error"}[5m]) > 0` alerts from the start.
    for (const char* r : {"result=\"error\"", "result=\"ok\""})
      out += fmt::format("tributary_config_reloads_total{{{}}} {}\n", r, values[r]);
  }
  single(out, "tributary_process_open_fds", "gauge", "Open file descriptors.",
         static_cast<double>(open_fds()));
}

}  // namespace tributary::admin
