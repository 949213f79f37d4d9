// Beast's client side, kept in this one translation unit: one exchange as a coroutine, run to
// completion on a private io_context.
#include "tributary/http/client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace tributary::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using message_in = bhttp::response<bhttp::string_body>;
using message_out = bhttp::request<bhttp::string_body>;

template <class Stream>
asio::awaitable<beast::error_code> exchange(Stream& stream, const message_out& req,
                                            message_in& res) {
  beast::flat_buffer buffer;
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
  if (wec) co_return wec;
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, res, use_tuple);
  co_return rec;
}

asio::awaitable<beast::error_code> run(const std::string& host, std::uint16_t port,
                                       const message_out& req, message_in& res,
                                       const client_options& opts, ssl::context* tls) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
  if (rec) co_return rec;
  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_after(opts.timeout);
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, use_tuple);
  if (cec) co_return cec;
  if (!tls) co_return co_await exchange(tcp_stream, req, res);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
  beast::error_code addr_ec;
  asio::ip::make_address(host, addr_ec);
  if (addr_ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());  // SNI for names
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (hec) co_return hec;
  co_return co_await exchange(stream, req, res);
}

}  // namespace

result<client_response> fetch(const std::string& host, std::uint16_t port,
                              const std::string& method, const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, const client_options& opts) {
  std::string where = host + ":" + std::to_string(port);
  std::unique_ptr<ssl::context> tls;
  if (opts.tls) {
    tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    tls->set_default_verify_paths(ec);
    if (!opts.ca_file.empty()) {
      tls->load_verify_file(opts.ca_file, ec);
      if (ec) return error{"tls", "cannot read " + opts.ca_file + ": " + ec.message()};
    }
    tls->set_verify_mode(ssl::verify_peer);
  }
  message_out req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, where);
  req.set(bhttp::field::user_agent, "tributary-cli");
  req.set(bhttp::field::connection, "close");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();

  asio::io_context io;
  message_in res;
  beast::error_code ec = asio::error::operation_aborted;
  asio::co_spawn(io, run(host, port, req, res, opts, tls.get()),
                 [&](std::exception_ptr, beast::error_code e) { ec = e; });
  io.run();
  if (ec) return error{"unreachable", "no answer from " + where + ": " + ec.message()};
  return client_response{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace tributary::http
