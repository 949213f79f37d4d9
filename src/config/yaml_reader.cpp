#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <cstdlib>
#include <set>

namespace tributary::config {

std::string config_error::to_string() const {
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

std::optional<std::string> substitute_env(const std::string& in, std::string& missing) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.compare(i, 2, "${") != 0) {
      out.push_back(in[i++]);
      continue;
    }
    size_t end = in.find('}', i + 2);
    if (end == std::string::npos) {
      out.append(in, i, std::string::npos);
      break;
    }
    std::string body = in.substr(i + 2, end - i - 2);
    std::string name = body, fallback;
    bool has_default = false;
    if (auto p = body.find(":-"); p != std::string::npos) {
      name = body.substr(0, p);
      fallback = body.substr(p + 2);
      has_default = true;
    }
    const char* v = std::getenv(name.c_str());
    if (v && *v) {
      out += v;
    } else if (has_default) {
      out += fallback;
    } else if (v) {
      out += "";  // set but empty, no default: empty string
    } else {
      missing = name;
      return std::nullopt;
    }
    i = end + 1;
  }
  return out;
}

void yaml_reader::error(const YAML::Mark& m, std::string message) {
  errors_.push_back({file_, m.line + 1, m.column + 1, std::move(message)});
}

bool yaml_reader::check_free_map(const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) {
    error_at(n, fmt::format("{} must be a mapping", where));
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : n) {
    auto key = kv.first.as<std::string>("");
    if (!seen.insert(key).second)
      error_at(kv.first, fmt::format("duplicate key '{}' in {}", key, where));
  }
  return true;
}

bool yaml_reader::check_map(const YAML::Node& n, const std::string& where,
                            std::initializer_list<const char*> allowed) {
  if (!check_free_map(n, where)) return false;
  for (const auto& kv : n) {
    auto key = kv.first.as<std::string>("");
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error_at(kv.first,
               fmt::format("unknown key '{}' in {} (expected one of: {})", key, where, list));
    }
  }
  return true;
}

std::optional<std::string> yaml_reader::scalar(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) {
    error_at(n, fmt::format("{} must be a single value", what));
    return std::nullopt;
  }
  std::string missing;
  auto v = substitute_env(n.Scalar(), missing);
  if (!v) {
    error_at(n, fmt::format("{}: environment variable {} is not set (use ${{{}:-default}})", what,
                            missing, missing));
  }
  return v;
}

std::optional<millis> yaml_reader::duration(const YAML::Node& n, const std::string& what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d)
    error_at(
        n, fmt::format("{}: '{}' is not a duration (e.g. 500ms, 30s, 15m, 4h, 3d, 1w)", what, *s));
  return d;
}

std::optional<std::uint64_t> yaml_reader::size(const YAML::Node& n, const std::string& what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto v = parse_size(*s);
  if (!v) error_at(n, fmt::format("{}: '{}' is not a size (e.g. 512, 32KB, 500KB, 1MB)", what, *s));
  return v;
}

std::optional<long long> yaml_reader::integer(const YAML::Node& n, const std::string& what,
                                              long long min, long long max) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    long long v = std::stoll(*s, &used);
    if (used == s->size() && v >= min && v <= max) return v;
  } catch (...) {
  }
  error_at(n, fmt::format("{}: '{}' is not an integer between {} and {}", what, *s, min, max));
  return std::nullopt;
}

std::optional<listen_address> yaml_reader::address(const YAML::Node& n, const std::string& what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto colon = s->rfind(':');
  if (colon == std::string::npos || colon == 0) {
    error_at(n, fmt::format("{}: '{}' must be HOST:PORT", what, *s));
    return std::nullopt;
  }
  std::string host = s->substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    int port = std::stoi(s->substr(colon + 1), &used);
    if (used == s->size() - colon - 1 && port >= 0 && port <= 65535)
      return listen_address{host, static_cast<std::uint16_t>(port)};
  } catch (...) {
  }
  error_at(n, fmt::format("{}: '{}' has an invalid port", what, *s));
  return std::nullopt;
}

std::vector<std::string> yaml_reader::string_list(const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  if (!n.IsSequence()) {
    error_at(n, fmt::format("{} must be a list", what));
    return out;
  }
  for (const auto& item : n)
    if (auto s = scalar(item, what)) out.push_back(*s);
  return out;
}

void yaml_reader::check_env_everywhere(const YAML::Node& n) {
  if (n.IsScalar()) {
    (void)scalar(n, "value");
  } else if (n.IsSequence()) {
    for (const auto& item : n) check_env_everywhere(item);
  } else if (n.IsMap()) {
    for (const auto& kv : n) check_env_everywhere(kv.second);
  }
}

}  // namespace tributary::config
