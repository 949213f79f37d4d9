#include "delivery/retry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include "tributary/common/time.h"

namespace tributary::delivery {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Splits on spaces, dashes, commas and colons (the separators of the three HTTP date forms).
std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '-' || s[i] == ':')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '-' && s[i] != ':') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<long long> integer(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int> month(std::string_view s) {
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (s == kMonths[i]) return static_cast<int>(i) + 1;
  return std::nullopt;
}

// "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994".
std::optional<millis> parse_http_date(std::string_view s) {
  auto t = tokens(s);
  std::optional<long long> day, year, hh, mm, ss;
  std::optional<int> mon;
  if (t.size() == 8 && t[7] == "GMT") {  // IMF-fixdate and RFC 850: wkday day mon year h m s GMT
    day = integer(t[1]);
    mon = month(t[2]);
    year = integer(t[3]);
    hh = integer(t[4]);
    mm = integer(t[5]);
    ss = integer(t[6]);
    if (year && t[3].size() == 2) *year += *year < 70 ? 2000 : 1900;
  } else if (t.size() == 7) {  // asctime: wkday mon day h m s year
    mon = month(t[1]);
    day = integer(t[2]);
    hh = integer(t[3]);
    mm = integer(t[4]);
    ss = integer(t[5]);
    year = integer(t[6]);
  }
  if (!day || !mon || !year || !hh || !mm || !ss) return std::nullopt;
  if (*day < 1 || *day > 31 || *hh > 23 || *mm > 59 || *ss > 60 || *year < 1970)
    return std::nullopt;
  long long days = days_from_civil(*year, static_cast<unsigned>(*mon), static_cast<unsigned>(*day));
  return ((days * 24 + *hh) * 60 + *mm) * 60'000 + *ss * 1000;
}

}  // namespace

verdict classify_status(int status) {
  if (status >= 200 && status < 300) return verdict::success;
  if (status == 408 || status == 423 || status == 429) return verdict::retry;
  if (status >= 500 && status < 600 && status != 501) return verdict::retry;
  return verdict::dont_retry;
}

millis backoff_delay(const config::retry_policy& p, std::uint32_t attempts, double unit) {
  double base = static_cast<double>(p.initial_backoff);
  for (std::uint32_t i = 1; i < attempts && base < static_cast<double>(p.max_backoff); ++i)
    base *= 2;
  base = std::min(base, static_cast<double>(p.max_backoff));
  double stretched = base * (1.0 + 0.5 * std::clamp(unit, 0.0, 1.0));
  return static_cast<millis>(std::min(stretched, static_cast<double>(p.max_backoff)));
}

std::optional<millis> parse_retry_after(std::string_view value, millis now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    auto secs = integer(value);
    if (!secs) return std::nullopt;
    return std::min<long long>(*secs, 10LL * 365 * 86400) * 1000;
  }
  auto at = parse_http_date(value);
  if (!at) return std::nullopt;
  return std::max<millis>(0, *at - now);
}

std::optional<millis> next_attempt(const config::retry_policy& p, millis enqueued_at, millis now,
                                   std::uint32_t attempts, std::optional<millis> retry_after,
                                   double unit) {
  const millis deadline = enqueued_at + p.max_age;
  if (now >= deadline) return std::nullopt;
  millis delay = retry_after ? *retry_after : backoff_delay(p, attempts, unit);
  return std::min(now + delay, deadline);
}

}  // namespace tributary::delivery
