#include "config/destinations_loader.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace tributary::config {
namespace {

using ojson = nlohmann::ordered_json;

// Headers the sender computes itself; configuring them would break framing or signatures.
constexpr const char* kReservedHeaders[] = {
    "host",        "content-length",        "transfer-encoding", "connection", "idempotency-key",
    "x-signature", "x-tributary-signature", "x-tributary-replay"};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_token(const std::string& s) {
  static const std::string kExtra = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && kExtra.find(static_cast<char>(c)) == std::string::npos) return false;
  return true;
}

std::optional<expression_text> expression(yaml_reader& r, const YAML::Node& n,
                                          const std::string& what) {
  auto text = r.scalar(n, what);
  if (!text) return std::nullopt;
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    r.error_at(n, what + " must not be empty (use `all` for every event)");
    return std::nullopt;
  }
  return expression_text{*text, n.Mark().line + 1, n.Mark().column + 1, n.Tag() != "!"};
}

std::optional<double> number(yaml_reader& r, const YAML::Node& n, const std::string& what,
                             double min, double max) {
  auto s = r.scalar(n, what);
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    double d = std::stod(*s, &used);
    if (used == s->size() && std::isfinite(d) && d >= min && d <= max) return d;
  } catch (...) {
  }
  r.error_at(n, fmt::format("{}: '{}' is not a number between {} and {}", what, *s, min, max));
  return std::nullopt;
}

std::optional<bool> boolean(yaml_reader& r, const YAML::Node& n, const std::string& what) {
  auto s = r.scalar(n, what);
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  r.error_at(n, fmt::format("{}: '{}' must be true or false", what, *s));
  return std::nullopt;
}

// A YAML value as JSON, keys in file order: quoted scalars are strings, plain ones are read as
// null, booleans and numbers where they look like one (YAML 1.2 core schema).
ojson to_json(yaml_reader& r, const YAML::Node& n, const std::string& where) {
  if (n.IsMap()) {
    ojson out = ojson::object();
    r.check_free_map(n, where);
    for (const auto& kv : n) {
      auto key = kv.first.as<std::string>("");
      out[key] = to_json(r, kv.second, where + "." + key);
    }
    return out;
  }
  if (n.IsSequence()) {
    ojson out = ojson::array();
    for (std::size_t i = 0; i < n.size(); ++i)
      out.push_back(to_json(r, n[i], fmt::format("{}[{}]", where, i)));
    return out;
  }
  if (n.IsNull()) return nullptr;
  auto s = r.scalar(n, where).value_or("");
  if (n.Tag() == "!") return s;
  if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (...) {
      return std::stod(s);  // past 64 bits: a double, as JavaScript reads it
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

// Keys of a top-level section that is a map ({} when absent or not a map).
std::set<std::string> keys_of(const YAML::Node& root, const char* section) {
  std::set<std::string> out;
  if (auto n = root[section]; n && n.IsMap())
    for (const auto& kv : n) out.insert(kv.first.as<std::string>(""));
  return out;
}

void read_names(yaml_reader& r, const YAML::Node& n, const std::string& what,
                const YAML::Node& root, const char* section, std::vector<std::string>& out) {
  out = r.string_list(n, what);
  if (!n.IsSequence()) return;
  auto known = keys_of(root, section);
  for (std::size_t i = 0; i < out.size() && i < n.size(); ++i)
    if (!known.count(out[i]))
      r.error_at(n[i], fmt::format("{}: '{}' is not defined under {}", what, out[i], section));
}

std::vector<std::string> fields_of(yaml_reader& r, const YAML::Node& n, const std::string& what) {
  auto out = r.string_list(n, what);
  for (std::size_t i = 0; i < out.size() && i < n.size(); ++i)
    if (out[i].empty()) r.error_at(n[i], what + ": a field path must not be empty");
  return out;
}

void read_filter(yaml_reader& r, const YAML::Node& item, const std::string& where,
                 std::vector<destination_filter>& out) {
  if (!r.check_map(item, where, {"drop", "sample", "drop_properties", "allow_properties"})) return;
  if (item.size() != 1) {
    r.error_at(item, where +
                         " must have exactly one of drop, sample, drop_properties, "
                         "allow_properties");
    return;
  }
  destination_filter f;
  f.line = item.Mark().line + 1;
  f.column = item.Mark().column + 1;
  const auto key = item.begin()->first.as<std::string>("");
  const YAML::Node body = item.begin()->second;
  const std::string what = where + "." + key;
  if (key != "drop" && key != "sample" && key != "drop_properties" && key != "allow_properties")
    return;  // reported by check_map
  auto condition = [&](const YAML::Node& map) {
    if (auto c = map["if"]) {
      if (auto e = expression(r, c, what + ".if")) f.condition = *e;
    } else {
      f.condition = {"all", f.line, f.column, true};
    }
  };
  if (key == "drop") {
    f.type = destination_filter::kind::drop;
    if (auto e = expression(r, body, what)) f.condition = *e;
  } else if (key == "sample") {
    f.type = destination_filter::kind::sample;
    if (!r.check_map(body, what, {"percent", "path", "if"})) return;
    condition(body);
    if (auto p = body["percent"]) {
      if (auto v = number(r, p, what + ".percent", 0, 100)) f.percent = *v;
    } else {
      r.error_at(body, what + " needs percent");
    }
    if (auto p = body["path"]) f.path = r.scalar(p, what + ".path").value_or("");
  } else {
    f.type = key == "drop_properties" ? destination_filter::kind::drop_properties
                                      : destination_filter::kind::allow_properties;
    if (!r.check_map(body, what, {"if", "fields"})) return;
    condition(body);
    if (auto v = body["fields"])
      f.fields = fields_of(r, v, what + ".fields");
    else
      r.error_at(body, what + " needs fields");
  }
  out.push_back(std::move(f));
}

void read_headers(yaml_reader& r, const YAML::Node& n, const std::string& where, destination& d) {
  if (!r.check_free_map(n, where)) return;
  std::set<std::string> seen;
  for (const auto& kv : n) {
    auto name = kv.first.as<std::string>("");
    const std::string what = where + "." + name;
    if (!is_token(name)) {
      r.error_at(kv.first, fmt::format("{}: '{}' is not a valid header name", where, name));
      continue;
    }
    bool reserved = false;
    for (const char* h : kReservedHeaders) reserved = reserved || lower(name) == h;
    if (reserved) {
      r.error_at(kv.first,
                 fmt::format("{}: '{}' is set by Tributary and cannot be configured", where, name));
      continue;
    }
    if (!seen.insert(lower(name)).second) {
      r.error_at(kv.first, fmt::format("{}: '{}' is given twice", where, name));
      continue;
    }
    // The value is a secret: errors name the header, never the value.
    auto value = r.scalar(kv.second, what);
    if (!value) continue;
    if (value->find_first_of("\r\n") != std::string::npos ||
        value->find('\0') != std::string::npos) {
      r.error_at(kv.second, what + ": the value must not contain line breaks");
      continue;
    }
    d.headers.emplace_back(name, *value);
  }
}

void read_retry(yaml_reader& r, const YAML::Node& n, const std::string& where, retry_policy& p) {
  if (!r.check_map(n, where, {"max_age", "initial_backoff", "max_backoff"})) return;
  if (auto v = n["max_age"]) {
    if (auto d = r.duration(v, where + ".max_age")) p.max_age = *d;
  }
  if (auto v = n["initial_backoff"]) {
    if (auto d = r.duration(v, where + ".initial_backoff")) {
      if (*d <= 0) r.error_at(v, where + ".initial_backoff must be more than 0");
      p.initial_backoff = std::max<millis>(*d, 1);
    }
  }
  if (auto v = n["max_backoff"]) {
    if (auto d = r.duration(v, where + ".max_backoff")) p.max_backoff = *d;
  }
  if (p.max_backoff < p.initial_backoff)
    r.error_at(n, where + ".max_backoff must not be less than initial_backoff");
}

void read_batch(yaml_reader& r, const YAML::Node& n, const std::string& where, batch_policy& b) {
  if (!r.check_map(n, where, {"size", "max_wait"})) return;
  if (auto v = n["size"]) {
    if (auto i = r.integer(v, where + ".size", 1, 10'000)) b.size = static_cast<std::size_t>(*i);
  }
  if (auto v = n["max_wait"]) {
    if (auto d = r.duration(v, where + ".max_wait")) b.max_wait = *d;
  }
}

void read_tls(yaml_reader& r, const YAML::Node& n, const std::string& where, sink_tls& t) {
  if (!r.check_map(n, where, {"ca_file", "verify"})) return;
  if (auto v = n["ca_file"]) {
    t.ca_file = r.scalar(v, where + ".ca_file").value_or("");
    if (!t.ca_file.empty() && !std::ifstream(t.ca_file))
      r.error_at(v, fmt::format("{}.ca_file: cannot read '{}'", where, t.ca_file));
  }
  if (auto v = n["verify"]) t.verify = boolean(r, v, where + ".verify").value_or(true);
}

void read_one(yaml_reader& r, const std::string& name, const YAML::Node& key, const YAML::Node& n,
              const YAML::Node& root, destination& d) {
  const std::string where = "destinations." + name;
  d.name = name;
  d.line = key.Mark().line + 1;
  d.column = key.Mark().column + 1;
  if (!r.check_map(n, where,
                   {"type",
                    "url",
                    "method",
                    "headers",
                    "shared_secret",
                    "subscribe",
                    "filters",
                    "require_traits",
                    "profile_where",
                    "audiences",
                    "audience_delivery",
                    "computed_traits",
                    "computed_trait_delivery",
                    "mapping",
                    "batch",
                    "timeout",
                    "concurrency",
                    "rate_limit",
                    "retry",
                    "tls"}))
    return;
  if (auto v = n["type"]) {
    d.type = r.scalar(v, where + ".type").value_or("webhook");
    if (d.type != "webhook")
      r.error_at(v, fmt::format("{}.type: '{}' is not supported (only webhook)", where, d.type));
  }
  if (auto v = n["url"]) {
    if (auto u = r.scalar(v, where + ".url")) {
      d.url = *u;
      std::string why;
      if (auto parsed = parse_sink_url(d.url, why))
        d.parsed = *parsed;
      else
        r.error_at(v, fmt::format("{}.url: {}", where, why));
    }
  } else {
    r.error_at(key, where + " needs url");
  }
  if (auto v = n["method"]) {
    d.method = r.scalar(v, where + ".method").value_or("POST");
    if (d.method != "POST" && d.method != "PUT" && d.method != "PATCH")
      r.error_at(v, fmt::format("{}.method: '{}' must be POST, PUT or PATCH", where, d.method));
  }
  if (auto v = n["headers"]) read_headers(r, v, where + ".headers", d);
  if (auto v = n["shared_secret"])
    d.shared_secret = r.scalar(v, where + ".shared_secret").value_or("");
  if (auto v = n["subscribe"]) d.subscribe = expression(r, v, where + ".subscribe");
  if (auto v = n["filters"]) {
    if (!v.IsSequence())
      r.error_at(v, where + ".filters must be a list");
    else
      for (std::size_t i = 0; i < v.size(); ++i)
        read_filter(r, v[i], fmt::format("{}.filters[{}]", where, i), d.filters);
  }
  if (auto v = n["require_traits"]) d.require_traits = fields_of(r, v, where + ".require_traits");
  if (auto v = n["profile_where"]) d.profile_where = expression(r, v, where + ".profile_where");
  if (auto v = n["audiences"])
    read_names(r, v, where + ".audiences", root, "audiences", d.audiences);
  if (auto v = n["computed_traits"])
    read_names(r, v, where + ".computed_traits", root, "computed_traits", d.computed_traits);
  auto delivery_kinds = [&](const char* key, std::vector<std::string>& out) {
    auto v = n[key];
    if (!v) return;
    out = r.string_list(v, where + "." + key);
    for (std::size_t i = 0; i < out.size() && i < v.size(); ++i)
      if (out[i] != "identify" && out[i] != "track")
        r.error_at(v[i], fmt::format("{}.{}: '{}' must be identify or track", where, key, out[i]));
  };
  delivery_kinds("audience_delivery", d.audience_delivery);
  delivery_kinds("computed_trait_delivery", d.computed_trait_delivery);
  if (auto v = n["mapping"]) {
    d.mapping_line = v.Mark().line + 1;
    d.mapping_column = v.Mark().column + 1;
    if (!v.IsMap())
      r.error_at(v, where + ".mapping must be a mapping of output keys to values or directives");
    else
      d.mapping = std::make_shared<const ojson>(to_json(r, v, where + ".mapping"));
  }
  if (auto v = n["batch"]) {
    batch_policy b;
    read_batch(r, v, where + ".batch", b);
    d.batch = b;
  }
  if (auto v = n["timeout"]) {
    if (auto t = r.duration(v, where + ".timeout")) {
      if (*t <= 0) r.error_at(v, where + ".timeout must be more than 0");
      d.timeout = std::max<millis>(*t, 1);
    }
  }
  if (auto v = n["concurrency"]) {
    if (auto i = r.integer(v, where + ".concurrency", 1, 1000))
      d.concurrency = static_cast<std::size_t>(*i);
  }
  if (auto v = n["rate_limit"]) {
    if (auto text = r.scalar(v, where + ".rate_limit")) {
      if (auto rate = parse_rate(*text))
        d.rate_limit = *rate;
      else
        r.error_at(v, fmt::format("{}.rate_limit: '{}' must be a rate such as 200/s or 600/m",
                                  where, *text));
    }
  }
  if (auto v = n["retry"]) read_retry(r, v, where + ".retry", d.retry);
  if (auto v = n["tls"]) read_tls(r, v, where + ".tls", d.tls);
  if (d.parsed.host.size() && !d.parsed.https && n["tls"])
    r.error_at(n["tls"], where + ".tls is only used with an https:// url");
}

}  // namespace

std::optional<sink_url> parse_sink_url(const std::string& url, std::string& why) {
  sink_url u;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    u.https = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    why = "must start with http:// or https://";
    return std::nullopt;
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) {
    why = "must not contain spaces or line breaks";
    return std::nullopt;
  }
  if (auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target[0] == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string::npos) {
    why = "must not hold a user name or password (put credentials in headers)";
    return std::nullopt;
  }
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) {
      why = "has an unterminated IPv6 address";
      return std::nullopt;
    }
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        why = "has an invalid host";
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    why = "has no host";
    return std::nullopt;
  }
  u.port = u.https ? 443 : 80;
  if (!port.empty()) {
    bool digits = port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    int p = digits ? std::stoi(port) : 0;
    if (p < 1 || p > 65535) {
      why = fmt::format("has an invalid port '{}'", port);
      return std::nullopt;
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  bool default_port = u.port == (u.https ? 443 : 80);
  u.display = fmt::format("{}://{}{}{}", u.https ? "https" : "http", host,
                          default_port ? "" : ":" + std::to_string(u.port),
                          u.target.substr(0, u.target.find('?')));
  return u;
}

std::vector<destination> read_destinations(yaml_reader& r, const YAML::Node& n,
                                           const YAML::Node& root) {
  std::vector<destination> out;
  if (n.IsNull()) return out;
  if (!r.check_free_map(n, "destinations")) return out;
  for (const auto& kv : n) {
    auto name = kv.first.as<std::string>("");
    bool printable = !name.empty() && name.size() <= 100;
    for (unsigned char c : name) printable = printable && c >= 0x20 && c != 0x7f && c != '/';
    if (!printable) {
      r.error_at(kv.first, "a destination name must be 1 to 100 printable characters without '/'");
      continue;
    }
    destination d;
    read_one(r, name, kv.first, kv.second, root, d);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tributary::config
