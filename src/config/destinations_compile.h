#pragma once
//! Compiles the destinations' expressions and checks their mappings, reporting problems at
//! their positions in the file.
#include "config/yaml_reader.h"

namespace tributary::config {

//! Fills `c.routing` (one entry per destination, same order) and appends the implicit traits
//! of profile_where history terms to `c.computed_traits`.
void compile_destinations(yaml_reader& r, config& c);

}  // namespace tributary::config
