#include <cctype>
#include <cmath>

#include "tributary/config/config.h"

namespace tributary::config {
namespace {

// Splits "12.5KB" into 12.5 and "KB"; false if there is no leading number.
bool split_number(const std::string& s, double& number, std::string& unit) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return false;
  try {
    size_t used = 0;
    number = std::stod(s.substr(0, i), &used);
    if (used != i) return false;
  } catch (...) {
    return false;
  }
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  unit = s.substr(j);
  return std::isfinite(number) && number >= 0;
}

}  // namespace

std::optional<millis> parse_duration(const std::string& s) {
  double n;
  std::string unit;
  if (!split_number(s, n, unit)) return std::nullopt;
  double factor;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else if (unit == "w")
    factor = 7 * 86'400'000.0;
  else if (unit.empty() && n == 0)
    factor = 0;
  else
    return std::nullopt;
  return static_cast<millis>(std::llround(n * factor));
}

std::optional<std::uint64_t> parse_size(const std::string& s) {
  double n;
  std::string unit;
  if (!split_number(s, n, unit)) return std::nullopt;
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double factor;
  if (unit.empty() || unit == "B")
    factor = 1;
  else if (unit == "KB" || unit == "KIB" || unit == "K")
    factor = 1024.0;
  else if (unit == "MB" || unit == "MIB" || unit == "M")
    factor = 1024.0 * 1024;
  else if (unit == "GB" || unit == "GIB" || unit == "G")
    factor = 1024.0 * 1024 * 1024;
  else
    return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(n * factor));
}

std::optional<double> parse_rate(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return std::nullopt;
  double n;
  std::string rest;
  if (!split_number(s.substr(0, slash), n, rest) || !rest.empty() || n <= 0) return std::nullopt;
  std::string unit = s.substr(slash + 1);
  if (unit == "s") return n;
  if (unit == "m") return n / 60;
  if (unit == "h") return n / 3600;
  return std::nullopt;
}

}  // namespace tributary::config
