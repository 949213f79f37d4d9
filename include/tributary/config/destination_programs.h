#pragma once
//! The compiled expressions of one destination (its `subscribe`, filter conditions and
//! `profile_where`), built once per config load.
#include <memory>
#include <string>
#include <vector>

#include "tributary/expr/program.h"

namespace tributary::config {

struct destination_programs {
  std::shared_ptr<const expr::program> subscribe;  //!< null = every event
  //! One per filter, in order: the `drop` expression or the `if` condition (null = all).
  std::vector<std::shared_ptr<const expr::program>> filter_conditions;
  std::shared_ptr<const expr::program> profile_where;  //!< null = any profile
  //! Implicit computed traits keeping profile_where's history terms (same index).
  std::vector<std::string> profile_where_terms;
};

}  // namespace tributary::config
