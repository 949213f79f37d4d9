#pragma once
//! The HTTP/1.1 server: N io threads, each with its own io_context, and listeners bound to them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tributary/http/message.h"

namespace tributary::http {

struct listener_options {
  std::string host;
  std::uint16_t port = 0;
  std::size_t body_limit = 512 * 1024;        //!< bytes of body before 413
  std::size_t header_limit = 16 * 1024;       //!< bytes of headers before 431
  std::chrono::milliseconds timeout{30'000};  //!< per read/write
  std::string name;                           //!< for logs: "tracking", "admin"
  //! From a request's first byte to the end of its headers (slowloris guard). Default: 10s.
  std::chrono::milliseconds header_timeout{10'000};
  //! Open connections on this listener; a connection over it is closed at accept. Default: 10000.
  std::size_t max_connections = 10'000;
  std::string tls_cert;  //!< PEM certificate chain file; with tls_key, the listener speaks TLS
  std::string tls_key;   //!< PEM private key file
};

//! Counters per server, read by /metrics.
struct server_stats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections_refused{0};  //!< closed at accept: over max_connections
  std::atomic<std::uint64_t> header_timeouts{0};      //!< headers not received in header_timeout
  std::atomic<std::uint64_t> headers_too_large{0};    //!< answered 431
};

//! Owns the io threads and the listeners. Construct, add listeners, start(), and stop().
class server {
 public:
  explicit server(int io_threads);
  ~server();

  //! Binds now (so port 0 resolves) and loads its TLS files; throws std::runtime_error with the
  //! reason on failure.
  //! Returns the bound port.
  std::uint16_t add_listener(const listener_options& opts, handler& h);
  void start();
  //! Stops accepting, closes idle connections, lets in-flight requests finish (up to `grace`),
  //! then stops the io threads.
  void stop(std::chrono::milliseconds grace);
  //! Blocks until a SIGINT or SIGTERM arrives; runs `on_hangup` for each SIGHUP meanwhile.
  void wait_for_signal(const std::function<void()>& on_hangup);
  const server_stats& stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tributary::http
