#pragma once
//! The compiled form of a program: a flat vector of nodes whose children are indices into the
//! same vector, plus the tables the nodes point into. Built by parser.cpp, read by the
//! evaluator; immutable after compile().
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tributary/common/clock.h"
#include "tributary/expr/program.h"

namespace tributary::expr {

enum class op : std::uint8_t {
  lit_null,
  lit_bool,      // flag = value
  lit_number,    // number
  lit_string,    // a = index into strings
  lit_duration,  // ms
  lit_list,      // a = index into constants
  path,          // event path: a = first segment in strings, b = segment count
  traits,        // profile traits path, same layout (b = 0: the whole traits object)
  audience,      // a = key in strings
  user_id,
  anonymous_ids,
  now,
  history,    // a = history term
  performed,  // a = history term (count > 0)
  all,
  not_,  // a
  and_,  // a, b
  or_,   // a, b
  eq,    // a, b; flag = an operand is the literal null
  ne,    // a, b; flag as eq
  lt,    // a, b
  le,    // a, b
  gt,    // a, b
  ge,    // a, b
  in,    // a, b
  add,   // a, b
  sub,   // a, b
  call,  // fn; a = first index into args, b = argument count
};

enum class fn : std::uint8_t {
  none,
  contains,
  match,
  length,
  lowercase,
  uppercase,
  snakecase,
  kebabcase,
  titlecase,
  type_of,
  to_bool,
  to_string,
  to_number,
  days_since,
};

namespace detail {

struct node {
  op code = op::lit_null;
  fn f = fn::none;
  bool flag = false;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t pos = 0;  //!< byte offset in the source, for diagnostics
  double number = 0;
  millis ms = 0;
};

struct code {
  std::vector<node> nodes;
  std::vector<std::string> strings;       //!< path segments, string literals, audience keys
  std::vector<std::uint32_t> args;        //!< call arguments (node indices)
  std::vector<nlohmann::json> constants;  //!< list literals
  std::uint32_t root = 0;
};

}  // namespace detail
}  // namespace tributary::expr
