#pragma once
//! Reads the `destinations` section.
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_reader.h"
#include "tributary/config/destinations.h"

namespace tributary::config {

//! Returns the destinations in file order; problems are reported to `r` with their positions.
//! `root` is the whole document, used to check audience and computed-trait names.
std::vector<destination> read_destinations(yaml_reader& r, const YAML::Node& n,
                                           const YAML::Node& root);

//! Splits an http:// or https:// URL; nullopt with `why` set when it is not one we can call.
std::optional<sink_url> parse_sink_url(const std::string& url, std::string& why);

}  // namespace tributary::config
