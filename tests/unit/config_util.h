#pragma once
//! Helpers shared by the config unit tests: printing a load's errors, and its config.
#include <gtest/gtest.h>

#include <string>

#include "tributary/config/config.h"

namespace tributary::config::test_util {

//! Every error of a load, one per line (for assertion messages).
inline std::string dump(const load_result& r) {
  std::string out;
  for (const auto& e : r.errors) out += "  " + e.to_string() + "\n";
  return out.empty() ? "  (no errors)\n" : out;
}

//! Checks that a load succeeded and returns a copy of its config (empty on failure): the
//! result is often a temporary.
inline config ok(const load_result& r) {
  EXPECT_TRUE(r.errors.empty()) << dump(r);
  EXPECT_TRUE(r.cfg);
  return r.cfg ? *r.cfg : config{};
}

}  // namespace tributary::config::test_util
