#include "delivery/http_connection.h"

#include <fmt/format.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace tributary::delivery {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kBodyLimit = 1 << 20;  // a sink's answer is read up to this and cut
constexpr std::size_t kBodyExcerpt = 200;

// Errors on a reused connection that mean the server had closed it while idle.
bool stale_connection_error(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

std::string describe(const beast::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    std::string reason = ec.message();
    return "TLS: " + reason;
  }
  return ec.message();
}

}  // namespace

std::shared_ptr<ssl::context> make_client_tls(const config::sink_tls& t) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (!t.ca_file.empty()) {
    ctx->load_verify_file(t.ca_file, ec);
    if (ec) throw std::runtime_error("tls.ca_file " + t.ca_file + ": " + ec.message());
  }
  ctx->set_verify_mode(t.verify ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

beast::tcp_stream& http_connection::lowest() {
  return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

void http_connection::close() {
  reusable_ = false;
  beast::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
}

asio::awaitable<std::string> http_connection::connect(
    const config::sink_url& url, bool verify, std::chrono::steady_clock::time_point deadline) {
  tls_.reset();
  plain_.reset();
  buffer_.clear();
  tcp::resolver resolver(ex_);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
  if (rec) co_return fmt::format("cannot resolve {}: {}", url.host, rec.message());
  beast::tcp_stream stream(ex_);
  stream.expires_at(deadline);
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
  if (cec) co_return describe(cec);
  stream.socket().set_option(tcp::no_delay(true));
  if (!url.https) {
    plain_.emplace(std::move(stream));
    co_return "";
  }
  tls_.emplace(std::move(stream), *tls_ctx_);
  beast::error_code addr_ec;
  asio::ip::make_address(url.host, addr_ec);
  if (addr_ec) SSL_set_tlsext_host_name(tls_->native_handle(), url.host.c_str());
  if (verify) tls_->set_verify_callback(ssl::host_name_verification(url.host));
  auto [hec] = co_await tls_->async_handshake(ssl::stream_base::client, use_tuple);
  if (hec) {
    std::string why = describe(hec);
    long verify_result = SSL_get_verify_result(tls_->native_handle());
    if (verify_result != X509_V_OK)
      why = fmt::format("TLS: certificate not trusted: {}",
                        X509_verify_cert_error_string(verify_result));
    tls_.reset();
    co_return why;
  }
  co_return "";
}

template <class Stream>
asio::awaitable<exchange_result> http_connection::round_trip(Stream& s, const outgoing_request& r,
                                                             bool& nothing_received) {
  exchange_result out;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(r.method), r.target, 11};
  req.set(bhttp::field::host, r.host);
  for (const auto& [k, v] : r.headers) req.set(k, v);
  req.keep_alive(true);
  req.body() = r.body;
  req.prepare_payload();
  nothing_received = true;
  auto [wec, wn] = co_await bhttp::async_write(s, req, use_tuple);
  if (wec) {
    out.error = describe(wec);
    out.timed_out = wec == beast::error::timeout;
    if (!stale_connection_error(wec) && wec != asio::error::operation_aborted)
      nothing_received = false;  // only a closed idle connection is worth a silent retry
    co_return out;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [rec, rn] = co_await bhttp::async_read_header(s, buffer_, parser, use_tuple);
  if (rec) {
    nothing_received = stale_connection_error(rec) && buffer_.size() == 0;
    out.error = rec == beast::error::timeout ? "no response within the timeout" : describe(rec);
    out.timed_out = rec == beast::error::timeout;
    co_return out;
  }
  nothing_received = false;
  auto [bec, bn] = co_await bhttp::async_read(s, buffer_, parser, use_tuple);
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  if (auto it = res.find(bhttp::field::retry_after); it != res.end())
    out.retry_after = std::string(it->value());
  out.body_start = res.body().substr(0, kBodyExcerpt);
  // A response cut by the timeout or the body limit still has its status; the connection,
  // though, is in an unknown state.
  reusable_ = !bec && res.keep_alive();
  co_return out;
}

asio::awaitable<exchange_result> http_connection::exchange(const config::sink_url& url, bool verify,
                                                           const outgoing_request& req,
                                                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 0;; ++attempt) {
    const bool reused = reusable_;
    reusable_ = false;
    if (!reused) {
      std::string why = co_await connect(url, verify, deadline);
      if (!why.empty()) {
        close();
        exchange_result out;
        out.timed_out = std::chrono::steady_clock::now() >= deadline;
        out.error = out.timed_out ? "no connection within the timeout" : why;
        co_return out;
      }
    }
    lowest().expires_at(deadline);
    bool nothing_received = false;
    // (No co_await inside a conditional expression: GCC 12 miscompiles it.)
    exchange_result out;
    if (tls_)
      out = co_await round_trip(*tls_, req, nothing_received);
    else
      out = co_await round_trip(*plain_, req, nothing_received);
    if (!reusable_) close();
    if (out.status == 0 && reused && nothing_received && attempt == 0 &&
        std::chrono::steady_clock::now() < deadline)
      continue;  // the server closed the idle connection: open a fresh one
    if (reusable_) lowest().expires_never();
    co_return out;
  }
}

}  // namespace tributary::delivery
