#pragma once
//! A minimal blocking HTTP/1.1 client, for the command line talking to a running server.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tributary/common/result.h"

namespace tributary::http {

struct client_response {
  int status = 0;
  std::string body;
};

struct client_options {
  std::chrono::milliseconds timeout{30'000};  //!< for the whole exchange
  bool tls = false;                           //!< speak HTTPS
  //! PEM file of trusted certificates (e.g. the server's own self-signed certificate); the
  //! system's CA store is trusted as well. The host name is not checked: the CLI talks to the
  //! address of the config's own listener, which the certificate may not name.
  std::string ca_file;
};

//! One request to host:port with `Connection: close`; an error when the server cannot be
//! reached, its certificate is not trusted, or it does not answer within the timeout.
result<client_response> fetch(const std::string& host, std::uint16_t port,
                              const std::string& method, const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, const client_options& opts);

}  // namespace tributary::http
