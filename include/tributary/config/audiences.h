#pragma once
//! Audiences: profile expressions whose membership the processor keeps current.
#include <memory>
#include <string>
#include <vector>

#include "tributary/expr/program.h"

namespace tributary::config {

struct audience {
  std::string key;
  std::string name;
  std::string where;                             //!< the expression as written
  std::shared_ptr<const expr::program> program;  //!< compiled in profile mode
  //! The implicit computed trait that keeps each history term of `program` (same index).
  std::vector<std::string> term_traits;
  std::string fingerprint;  //!< identity of the definition: a change means re-evaluating all
};

}  // namespace tributary::config
