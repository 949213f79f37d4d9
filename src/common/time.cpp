#include "tributary/common/time.h"

#include <cstdio>

namespace tributary {

long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

namespace {

void civil_from_days(long long z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long yy = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

bool is_leap(long long y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(long long y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at s[i..]; advances i.
bool digits(std::string_view s, size_t& i, int n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  i += n;
  out = v;
  return true;
}

}  // namespace

std::optional<millis> parse_iso8601(std::string_view s) {
  size_t i = 0;
  int year, month, day, hour = 0, minute = 0, second = 0, ms = 0;
  if (!digits(s, i, 4, year) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!digits(s, i, 2, month) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!digits(s, i, 2, day)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > static_cast<int>(days_in_month(year, month)))
    return std::nullopt;
  long long offset_min = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    ++i;
    if (!digits(s, i, 2, hour) || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (!digits(s, i, 2, minute)) return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!digits(s, i, 2, second)) return std::nullopt;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int n = 0, frac = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (n < 3) frac = frac * 10 + (s[i] - '0');
          ++n, ++i;
        }
        if (n == 0) return std::nullopt;
        for (int k = n; k < 3; ++k) frac *= 10;
        ms = frac;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (i < s.size()) {
      char z = s[i];
      if (z == 'Z' || z == 'z') {
        ++i;
      } else if (z == '+' || z == '-') {
        ++i;
        int oh, om = 0;
        if (!digits(s, i, 2, oh)) return std::nullopt;
        if (i < s.size() && s[i] == ':') {
          ++i;
          if (!digits(s, i, 2, om)) return std::nullopt;  // "+05:" needs its minutes
        } else if (i < s.size() && !digits(s, i, 2, om)) {
          return std::nullopt;
        }
        if (oh > 23 || om > 59) return std::nullopt;
        offset_min = (oh * 60 + om) * (z == '+' ? 1 : -1);
      } else {
        return std::nullopt;
      }
    }
    if (i != s.size()) return std::nullopt;
  }
  long long days = days_from_civil(year, month, day);
  long long secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  return secs * 1000 + ms;
}

void append_iso8601(std::string& out, millis t) {
  long long secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
  int ms = static_cast<int>(t - secs * 1000);
  long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int sod = static_cast<int>(secs - days * 86400);
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, sod / 3600,
                        (sod / 60) % 60, sod % 60, ms);
  out.append(buf, static_cast<size_t>(n));
}

std::string format_iso8601(millis t) {
  std::string s;
  append_iso8601(s, t);
  return s;
}

}  // namespace tributary
