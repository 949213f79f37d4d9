#pragma once
//! ISO-8601 parsing and formatting in UTC milliseconds.
#include <optional>
#include <string>
#include <string_view>

#include "tributary/common/clock.h"

namespace tributary {

//! Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff...]]` with `Z`, `±HH:MM`, `±HHMM` or no zone
//! (read as UTC). A space may stand for `T`. Returns nullopt for anything else or an invalid date.
std::optional<millis> parse_iso8601(std::string_view s);

//! Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d);

//! Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
std::string format_iso8601(millis t);

//! Appends the formatted time to out (no allocation beyond out's growth).
void append_iso8601(std::string& out, millis t);

}  // namespace tributary
