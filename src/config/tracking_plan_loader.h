#pragma once
//! Reads and compiles the `tracking_plan` section (regexes, enums, nested schemas).
#include <memory>

#include "config/yaml_reader.h"
#include "tributary/protocols/plan.h"

namespace tributary::config {

//! Returns the compiled plan; problems are reported to `r` with their positions.
std::shared_ptr<const protocols::plan> read_tracking_plan(yaml_reader& r, const YAML::Node& n);

}  // namespace tributary::config
