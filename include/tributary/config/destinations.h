#pragma once
//! The `destinations` section: webhook sinks, what they receive and how it is delivered.
//! Plain values read by config/destinations_loader.cpp; expressions are kept as text with their
//! position in the file, compiled by the expression engine.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tributary/common/clock.h"

namespace tributary::config {

//! An expression as written in the file (`${VAR}` already replaced), with the 1-based position of
//! its YAML scalar: the first character of the text when `plain`, else the opening quote or the
//! block indicator (`|`, `>`) that precedes it.
struct expression_text {
  std::string text;
  int line = 0;
  int column = 0;
  bool plain = true;
};

//! One Segment destination filter, applied in order.
struct destination_filter {
  enum class kind { drop, sample, drop_properties, allow_properties };
  kind type = kind::drop;
  //! drop: the expression that drops; others: `if` (the text `all` when not given).
  expression_text condition;
  double percent = 100;             //!< sample: 0..100 of the matching events kept
  std::string path;                 //!< sample: consistent per value at this path ("" = random)
  std::vector<std::string> fields;  //!< drop/allow_properties: paths such as properties.password
  int line = 0;                     //!< position of the filter in the list
  int column = 0;
};

//! The parts of `url`, checked at load time.
struct sink_url {
  bool https = false;
  std::string host;        //!< without brackets for IPv6
  std::uint16_t port = 0;  //!< explicit or the scheme's default
  std::string target;      //!< path and query, at least "/"
  //! scheme://host[:port]/path, without the query (which may carry a key): for logs and the API.
  std::string display;
};

struct retry_policy {
  millis max_age = 4LL * 3600 * 1000;  //!< since enqueue; then the dead-letter queue. Default: 4h.
  millis initial_backoff = 1000;       //!< first retry delay. Default: 1s.
  millis max_backoff = 10LL * 60 * 1000;  //!< delay cap. Default: 10m.
};

struct batch_policy {
  std::size_t size = 100;  //!< events per request (a JSON array body). Default: 100.
  millis max_wait = 1000;  //!< a partial batch is sent after this. Default: 1s.
};

struct sink_tls {
  std::string ca_file;  //!< PEM file trusted besides the system CAs; "" = system CAs only.
  bool verify = true;   //!< check the certificate and the host name. Default: true.
};

//! One entry of `destinations`. Secrets (`headers` values, `shared_secret`) must never be
//! logged or returned by the admin API.
struct destination {
  std::string name;  //!< the key under `destinations` (also the `integrations` name)
  std::string type = "webhook";
  std::string url;  //!< as written (may hold a secret in its query)
  sink_url parsed;
  std::string method = "POST";                               //!< POST, PUT or PATCH. Default: POST.
  std::vector<std::pair<std::string, std::string>> headers;  //!< in file order
  std::string shared_secret;                                 //!< "" = unsigned
  std::optional<expression_text> subscribe;  //!< FQL on the event; none = every event
  std::vector<destination_filter> filters;
  std::vector<std::string> require_traits;       //!< the profile must have these traits
  std::optional<expression_text> profile_where;  //!< profile expression that must hold
  std::vector<std::string> audiences;            //!< audience keys whose changes are sent
  //! "identify" and/or "track". Default: both.
  std::vector<std::string> audience_delivery = {"identify", "track"};
  std::vector<std::string> computed_traits;  //!< computed traits whose changes are sent
  //! "identify" (the trait) and/or "track" (a `Trait Computed` event). Default: identify.
  std::vector<std::string> computed_trait_delivery = {"identify"};
  //! mapping-kit mapping (keys in file order), or null for the event as is.
  std::shared_ptr<const nlohmann::ordered_json> mapping;
  int mapping_line = 0;
  int mapping_column = 0;
  std::optional<batch_policy> batch;  //!< none = one event per request
  millis timeout = 5000;              //!< per request, connect included. Default: 5s.
  std::size_t concurrency = 8;        //!< requests in flight. Default: 8.
  double rate_limit = 0;              //!< requests per second; 0 = unlimited. Default: 0.
  retry_policy retry;
  sink_tls tls;
  int line = 0;  //!< position of the destination's name
  int column = 0;
};

}  // namespace tributary::config
