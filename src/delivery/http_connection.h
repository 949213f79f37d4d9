#pragma once
//! One keep-alive HTTP/1.1 connection to a destination (plain or TLS), used by one request at a
//! time on the delivery thread. Beast and Asio stay inside src/delivery.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "delivery/request_builder.h"
#include "tributary/config/destinations.h"

namespace tributary::delivery {

//! What came back from one exchange: a status, or an error without a response.
struct exchange_result {
  int status = 0;           //!< 0 when there was no response
  std::string error;        //!< why there was no response ("" when there was one)
  bool timed_out = false;   //!< the request's timeout passed
  std::string retry_after;  //!< the Retry-After header, if any
  std::string body_start;   //!< the first bytes of the response body (for last_error)
};

//! The TLS client context of a destination: system CAs plus `tls.ca_file`, peer and host name
//! verification unless `tls.verify: false`. Throws std::runtime_error when ca_file is unusable.
std::shared_ptr<boost::asio::ssl::context> make_client_tls(const config::sink_tls& tls);

class http_connection {
 public:
  http_connection(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
                  std::uint64_t generation)
      : ex_(std::move(ex)), tls_ctx_(std::move(tls)), generation_(generation) {}

  //! Sends `req` to `url` and reads the answer within `timeout` (connecting first if needed).
  //! A kept-alive connection the server closed meanwhile is reopened once, transparently.
  boost::asio::awaitable<exchange_result> exchange(const config::sink_url& url, bool verify,
                                                   const outgoing_request& req,
                                                   std::chrono::milliseconds timeout);
  //! True when the connection can carry another request.
  bool reusable() const { return reusable_; }
  std::uint64_t generation() const { return generation_; }
  //! Closes the socket; a pending exchange ends with an error.
  void close();

 private:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  boost::asio::awaitable<std::string> connect(const config::sink_url& url, bool verify,
                                              std::chrono::steady_clock::time_point deadline);
  template <class Stream>
  boost::asio::awaitable<exchange_result> round_trip(Stream& s, const outgoing_request& req,
                                                     bool& nothing_received);
  boost::beast::tcp_stream& lowest();

  boost::asio::any_io_executor ex_;
  std::shared_ptr<boost::asio::ssl::context> tls_ctx_;
  std::uint64_t generation_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<tls_stream> tls_;
  boost::beast::flat_buffer buffer_;
  bool reusable_ = false;
};

}  // namespace tributary::delivery
