// Beast/Asio live only here and in client.cpp. Plain and TLS connections share one session loop.
#include "tributary/http/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <list>
#include <stdexcept>
#include <thread>
#include <utility>

#include "tributary/common/codec.h"
#include "tributary/common/thread.h"

namespace tributary::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Registry of one io_context's connections; touched only from that context's thread.
struct connection_set {
  std::list<beast::tcp_stream*> idle;  // waiting for the next request
};

// Calls h.handle() and resumes the coroutine on `ex` with the response.
template <class Token>
auto async_handle(handler& h, request req, asio::any_io_executor ex, Token&& token) {
  return asio::async_initiate<Token, void(response)>(
      [&h, ex](auto completion, request req) {
        using completion_t = decltype(completion);
        auto shared = std::make_shared<completion_t>(std::move(completion));
        h.handle(std::move(req), [shared, ex](response res) {
          asio::post(ex, [shared, res = std::move(res)]() mutable { (*shared)(std::move(res)); });
        });
      },
      token, std::move(req));
}

// The TLS context of a listener with a certificate, or null; throws with the reason.
std::shared_ptr<ssl::context> make_tls(const listener_options& opts) {
  if (opts.tls_cert.empty()) return nullptr;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  beast::error_code ec;
  ctx->use_certificate_chain_file(opts.tls_cert, ec);
  if (ec) throw std::runtime_error("server.tls.cert " + opts.tls_cert + ": " + ec.message());
  ctx->use_private_key_file(opts.tls_key, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("server.tls.key " + opts.tls_key + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error("server.tls: the key does not match the certificate");
  return ctx;
}

beast::tcp_stream& lowest(beast::tcp_stream& s) {
  return s;
}
beast::tcp_stream& lowest(tls_stream& s) {
  return beast::get_lowest_layer(s);
}

response error_response(int status, const char* code, const char* message) {
  response r;
  r.status = status;
  r.body =
      std::string("{\"success\":false,\"code\":\"") + code + "\",\"message\":\"" + message + "\"}";
  return r;
}

}  // namespace

struct server::impl {
  struct context {
    asio::io_context io{1};
    connection_set conns;
  };
  std::vector<std::unique_ptr<context>> contexts;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> next{0};
  server_stats stats;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard0;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;

  context& pick() { return *contexts[next.fetch_add(1) % contexts.size()]; }

  awaitable<void> accept_loop(tcp::acceptor& acceptor, listener_options opts, handler& h,
                              std::shared_ptr<ssl::context> tls) {
    auto open = std::make_shared<std::atomic<std::size_t>>(0);  // this listener's connections
    bool warned = false;
    for (;;) {
      context& target = pick();
      auto [ec, socket] = co_await acceptor.async_accept(target.io, use_tuple);
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) co_return;
        spdlog::warn("{} listener: accept failed: {}", opts.name, ec.message());
        continue;
      }
      stats.connections_accepted.fetch_add(1);
      if (open->load() >= opts.max_connections) {
        stats.connections_refused.fetch_add(1);
        if (!std::exchange(warned, true))
          spdlog::warn(
              "{} listener: {} connections open (server.max_connections): closing new ones",
              opts.name, opts.max_connections);
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      warned = false;
      open->fetch_add(1);
      if (tls)
        asio::co_spawn(target.io,
                       tls_session(tls_stream(beast::tcp_stream(std::move(socket)), *tls), opts, h,
                                   target, open),
                       asio::detached);
      else
        asio::co_spawn(target.io,
                       session(beast::tcp_stream(std::move(socket)), opts, h, target, open),
                       asio::detached);
    }
  }

  // Reads one request: waits up to `timeout` for its first byte (keep-alive idle), then gives
  // its headers `header_timeout` (slowloris guard), then its body `timeout`.
  template <class Stream>
  awaitable<beast::error_code> read_request(Stream& stream, beast::flat_buffer& buffer,
                                            bhttp::request_parser<bhttp::string_body>& parser,
                                            const listener_options& opts) {
    if (buffer.size() == 0) {
      lowest(stream).expires_after(opts.timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec) co_return ec;
      buffer.commit(n);
    }
    lowest(stream).expires_after(opts.header_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (hec == beast::error::timeout) stats.header_timeouts.fetch_add(1);
    if (hec || parser.is_done()) co_return hec;
    lowest(stream).expires_after(opts.timeout);
    auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    co_return bec;
  }

  // A TLS connection: the handshake, under header_timeout, then the same request loop.
  awaitable<void> tls_session(tls_stream stream, listener_options opts, handler& h, context& ctx,
                              std::shared_ptr<std::atomic<std::size_t>> open) {
    lowest(stream).expires_after(opts.header_timeout);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) {
      spdlog::debug("{} listener: TLS handshake failed: {}", opts.name, hec.message());
      lowest(stream).close();
      open->fetch_sub(1);
      co_return;
    }
    co_await session(std::move(stream), std::move(opts), h, ctx, std::move(open));
  }

  template <class Stream>
  awaitable<void> session(Stream stream, listener_options opts, handler& h, context& ctx,
                          std::shared_ptr<std::atomic<std::size_t>> open) {
    stats.connections_open.fetch_add(1);
    beast::error_code ec;
    beast::tcp_stream& tcp_layer = lowest(stream);
    std::string remote_ip = tcp_layer.socket().remote_endpoint(ec).address().to_string();
    beast::flat_buffer buffer;
    auto ex = co_await asio::this_coro::executor;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(opts.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
      ctx.conns.idle.push_front(&tcp_layer);
      auto idle_it = ctx.conns.idle.begin();
      if (stopping) tcp_layer.socket().close(ec);
      auto rec = co_await read_request(stream, buffer, parser, opts);
      ctx.conns.idle.erase(idle_it);
      response res;
      bool keep_alive = false;
      bhttp::verb method = bhttp::verb::unknown;
      if (rec == bhttp::error::body_limit) {
        res = error_response(413, "payload_too_large", "the request body is over the size limit");
      } else if (rec == bhttp::error::header_limit) {
        stats.headers_too_large.fetch_add(1);
        res = error_response(431, "headers_too_large", "the request headers are too large");
      } else if (rec) {
        break;  // closed, timed out or unparseable: nothing to answer
      } else {
        auto breq = parser.release();
        method = breq.method();
        keep_alive = breq.keep_alive();
        request req;
        req.method = std::string(breq.method_string());
        std::string_view target = breq.target();
        auto q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
        req.headers.reserve(8);
        for (const auto& f : breq) {
          std::string name(f.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          req.headers.emplace_back(std::move(name), std::string(f.value()));
        }
        req.body = std::move(breq.body());
        req.remote_ip = remote_ip;
        stats.requests.fetch_add(1);
        res = co_await async_handle(h, std::move(req), ex, asio::use_awaitable);
      }
      bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
      out.set(bhttp::field::server, "tributary");
      out.set(bhttp::field::content_type, res.content_type);
      bool has_request_id = false;
      for (const auto& [k, v] : res.headers) {
        out.set(k, v);
        has_request_id = has_request_id || k == "Request-Id";
      }
      if (!has_request_id) out.set("Request-Id", random_uuid());
      keep_alive = keep_alive && !stopping;
      out.keep_alive(keep_alive);
      out.body() = std::move(res.body);
      if (method == bhttp::verb::head) out.body().clear();
      out.prepare_payload();
      tcp_layer.expires_after(opts.timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, out, use_tuple);
      if (wec || !keep_alive) break;
    }
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      if (tcp_layer.socket().is_open()) {
        tcp_layer.expires_after(std::chrono::seconds(1));
        auto [sec] = co_await stream.async_shutdown(use_tuple);  // close_notify, best effort
      }
    }
    tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp_layer.close();
    open->fetch_sub(1);
    stats.connections_open.fetch_sub(1);
  }
};

server::server(int io_threads) : impl_(std::make_unique<impl>()) {
  if (io_threads <= 0)
    io_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < io_threads; ++i) impl_->contexts.push_back(std::make_unique<impl::context>());
}

server::~server() {
  stop(std::chrono::milliseconds(0));
}

std::uint16_t server::add_listener(const listener_options& opts, handler& h) {
  auto tls = make_tls(opts);
  auto& io = impl_->contexts[0]->io;
  beast::error_code ec;
  auto addr = asio::ip::make_address(opts.host == "localhost" ? "127.0.0.1" : opts.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + opts.host + "': " + ec.message());
  tcp::endpoint ep(addr, opts.port);
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + opts.host + ":" + std::to_string(opts.port) +
                             ": " + ec.message());
  std::uint16_t port = acceptor->local_endpoint().port();
  asio::co_spawn(io, impl_->accept_loop(*acceptor, opts, h, std::move(tls)), asio::detached);
  impl_->acceptors.push_back(std::move(acceptor));
  return port;
}

void server::start() {
  for (auto& c : impl_->contexts) {
    impl_->guards.emplace_back(asio::make_work_guard(c->io));
    impl_->threads.emplace_back([&io = c->io, n = impl_->threads.size()] {
      name_this_thread(("io-" + std::to_string(n)).c_str());
      io.run();
    });
  }
}

void server::stop(std::chrono::milliseconds grace) {
  if (impl_->stopping.exchange(true)) return;
  for (auto& a : impl_->acceptors)
    asio::post(a->get_executor(), [a = a.get()] {
      beast::error_code ec;
      a->close(ec);
    });
  // Idle keep-alive connections are closed now; busy ones close after their response.
  for (auto& c : impl_->contexts)
    asio::post(c->io, [ctx = c.get()] {
      for (auto* s : ctx->conns.idle) {
        beast::error_code ec;
        s->socket().cancel(ec);
      }
    });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->stats.connections_open.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  impl_->guards.clear();
  for (auto& c : impl_->contexts) c->io.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

void server::wait_for_signal(const std::function<void()>& on_hangup) {
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      if (on_hangup) on_hangup();
      signals.async_wait(on_signal);
      return;
    }
    spdlog::info("received signal {}, shutting down", sig);
  };
  signals.async_wait(on_signal);
  io.run();
}

const server_stats& server::stats() const {
  return impl_->stats;
}

}  // namespace tributary::http
