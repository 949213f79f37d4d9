#pragma once
//! Typed, position-aware reads from yaml-cpp nodes that collect errors instead of throwing.
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "tributary/config/config.h"

namespace tributary::config {

//! Reads one document; owned by a single load call.
class yaml_reader {
 public:
  explicit yaml_reader(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Mark& m, std::string message);
  void error_at(const YAML::Node& n, std::string message) { error(n.Mark(), std::move(message)); }
  const std::vector<config_error>& errors() const { return errors_; }
  std::vector<config_error>& errors() { return errors_; }
  const std::string& file() const { return file_; }

  //! Reports keys not in `allowed`, duplicate keys, and non-map nodes. False if not a map.
  bool check_map(const YAML::Node& n, const std::string& where,
                 std::initializer_list<const char*> allowed);
  //! Reports duplicates only (free-form maps such as sources).
  bool check_free_map(const YAML::Node& n, const std::string& where);

  //! A scalar with ${VAR} and ${VAR:-default} replaced from the environment.
  std::optional<std::string> scalar(const YAML::Node& n, const std::string& what);
  std::optional<std::string> string_list_item(const YAML::Node& n, const std::string& what) {
    return scalar(n, what);
  }
  std::optional<millis> duration(const YAML::Node& n, const std::string& what);
  std::optional<std::uint64_t> size(const YAML::Node& n, const std::string& what);
  std::optional<long long> integer(const YAML::Node& n, const std::string& what, long long min,
                                   long long max);
  std::optional<listen_address> address(const YAML::Node& n, const std::string& what);
  std::vector<std::string> string_list(const YAML::Node& n, const std::string& what);

  //! Substitutes env vars in every scalar under n (for sections not interpreted yet).
  void check_env_everywhere(const YAML::Node& n);

 private:
  std::string file_;
  std::vector<config_error> errors_;
};

//! Replaces ${VAR} / ${VAR:-default}; on a missing variable returns nullopt and sets `missing`.
std::optional<std::string> substitute_env(const std::string& in, std::string& missing);

}  // namespace tributary::config
