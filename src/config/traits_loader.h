#pragma once
//! Reads the `computed_traits` section.
#include <vector>

#include "config/yaml_reader.h"
#include "tributary/config/computed_traits.h"

namespace tributary::config {

//! Returns the definitions; problems are reported to `r` with their positions.
std::vector<computed_trait> read_computed_traits(yaml_reader& r, const YAML::Node& n);

//! Splits a `property:` setting into a path in the event: `revenue` is `properties.revenue`;
//! a path starting with properties, context, traits or another top-level field is taken as is.
std::vector<std::string> property_path(const std::string& property);

//! A stable identity of a definition: any change to it means recomputing the trait.
std::string trait_fingerprint(const computed_trait& d);

}  // namespace tributary::config
