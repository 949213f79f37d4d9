#pragma once
//! Reads the `audiences` section: compiles each expression, turns its history functions into
//! implicit computed traits and orders audiences so that referenced ones come first.
#include <vector>

#include "config/yaml_reader.h"
#include "tributary/config/audiences.h"
#include "tributary/config/computed_traits.h"
#include "tributary/expr/program.h"

namespace tributary::config {

//! The implicit computed trait `key` that keeps one history term of a profile expression.
computed_trait implicit_trait(const std::string& key, const expr::history_term& term);

//! Appends the implicit traits to `traits`; reports problems (including reference cycles) to
//! `r` with their positions. The result is in evaluation order.
std::vector<audience> read_audiences(yaml_reader& r, const YAML::Node& n,
                                     std::vector<computed_trait>& traits);

}  // namespace tributary::config
