#pragma once
//! What each operator and function does to values; shared by evaluation and next_change, so
//! the two can never disagree.
#include <optional>

#include "expr/node.h"
#include "tributary/expr/value.h"

namespace tributary::expr {

constexpr millis kDay = 86'400'000;

//! Floor division (rounds toward negative infinity); b > 0.
millis floor_div(millis a, millis b);

//! A time value, or an ISO-8601 string read as a time; nullopt otherwise.
std::optional<millis> as_time(const value& v);

//! `= != < <= > >=`. Ordering: numbers, times (an ISO string against a time is read as a time)
//! and durations; anything else is false. In profile mode a null operand makes the comparison
//! false unless the other operand is the literal null (`null_literal`).
bool compare(op o, const value& a, const value& b, mode m, bool null_literal);

//! `item in list`: strict equality with some element; false when `list` is not a list.
bool contains_item(const value& list, const value& item);

//! `+` and `-`: numbers; time ± duration → time; time - time → duration; duration ± duration.
//! An ISO string next to a time or duration is read as a time. Anything else is null.
value arithmetic(op o, const value& a, const value& b);

//! A function call; `args` holds as many values as the function's arity. `now` is used by
//! days_since only.
value call_function(fn f, const value* args, millis now);

}  // namespace tributary::expr
