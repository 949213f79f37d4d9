#include "expr/text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tributary::expr {
namespace {

//! Decodes the UTF-8 code point at s[i]; an invalid sequence reads as its first byte.
char32_t decode(std::string_view s, std::size_t i, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = b0 < 0x80 ? 1 : b0 >= 0xf0 && b0 < 0xf8 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc0 ? 2 : 1;
  if (n == 1 || i + n > s.size()) {
    len = 1;
    return b0;
  }
  char32_t cp = b0 & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) {
      len = 1;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  len = n;
  return cp;
}

//! Reads one set member character at p[i] (with a '\' escape); false if there is none.
bool set_char(std::string_view p, std::size_t& i, char32_t& out) {
  if (i >= p.size() || p[i] == '-' || p[i] == ']') return false;
  if (p[i] == '\\' && ++i >= p.size()) return false;
  std::size_t len;
  out = decode(p, i, len);
  i += len;
  return true;
}

//! Checks the whole pattern once, so matching never meets a malformed element.
bool well_formed(std::string_view p) {
  std::size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '\\') {
      if (i + 1 >= p.size()) return false;
      std::size_t len;
      decode(p, i + 1, len);
      i += 1 + len;
    } else if (p[i] == '[') {
      ++i;
      if (i < p.size() && p[i] == '^') ++i;
      for (bool first = true;; first = false) {
        if (i >= p.size()) return false;
        if (p[i] == ']' && !first) {
          ++i;
          break;
        }
        char32_t c;
        if (!set_char(p, i, c)) return false;
        if (i < p.size() && p[i] == '-') {
          ++i;
          if (!set_char(p, i, c)) return false;
        }
      }
    } else {
      ++i;
    }
  }
  return true;
}

//! Matches one non-star element at p[pi] against cp; returns the next element's index.
std::optional<std::size_t> match_element(std::string_view p, std::size_t pi, char32_t cp) {
  std::size_t len;
  switch (p[pi]) {
    case '?':
      return pi + 1;
    case '\\': {
      char32_t lit = decode(p, pi + 1, len);
      if (lit != cp) return std::nullopt;
      return pi + 1 + len;
    }
    case '[': {
      std::size_t i = pi + 1;
      const bool negated = p[i] == '^';
      if (negated) ++i;
      bool found = false;
      for (bool first = true;; first = false) {
        if (p[i] == ']' && !first) {
          ++i;
          break;
        }
        char32_t lo = 0, hi = 0;
        set_char(p, i, lo);  // cannot fail: the pattern is well formed
        hi = lo;
        if (p[i] == '-') {
          ++i;
          set_char(p, i, hi);
        }
        if (lo <= cp && cp <= hi) found = true;
      }
      if (found == negated) return std::nullopt;
      return i;
    }
    default: {
      char32_t lit = decode(p, pi, len);
      if (lit != cp) return std::nullopt;
      return pi + len;
    }
  }
}

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
//! Part of a word: ASCII letters and digits, and every non-ASCII byte.
bool is_word_byte(char c) {
  return is_lower(c) || is_upper(c) || is_digit(c) || static_cast<unsigned char>(c) >= 0x80;
}
char lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}
char upper(char c) {
  return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string join_words(std::string_view s, char sep) {
  std::string out;
  out.reserve(s.size() + 4);
  bool pending_sep = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!is_word_byte(c)) {
      pending_sep = !out.empty();
      continue;
    }
    // A new word starts at lower→Upper ("fooBar") and at the last capital of a run before a
    // lowercase letter ("HTMLParser" → "html", "parser").
    const bool boundary = i > 0 && is_upper(c) &&
                          (is_lower(s[i - 1]) || is_digit(s[i - 1]) ||
                           (is_upper(s[i - 1]) && i + 1 < s.size() && is_lower(s[i + 1])));
    if ((pending_sep || boundary) && !out.empty()) out += sep;
    pending_sep = false;
    out += lower(c);
  }
  return out;
}

}  // namespace

bool glob_match(std::string_view p, std::string_view s) {
  if (!well_formed(p)) return false;
  constexpr std::size_t npos = std::string_view::npos;
  std::size_t pi = 0, si = 0, star_pi = npos, star_si = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      star_pi = pi;
      star_si = si;
      continue;
    }
    std::size_t len;
    const char32_t cp = decode(s, si, len);
    if (pi < p.size()) {
      if (auto next = match_element(p, pi, cp)) {
        pi = *next;
        si += len;
        continue;
      }
    }
    if (star_pi == npos) return false;
    // Let the last star absorb one more character and retry from there.
    std::size_t skip;
    decode(s, star_si, skip);
    star_si += skip;
    si = star_si;
    pi = star_pi;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string to_lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

std::string to_uppercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = upper(c);
  return out;
}

std::string to_snakecase(std::string_view s) {
  return join_words(s, '_');
}

std::string to_kebabcase(std::string_view s) {
  return join_words(s, '-');
}

std::string to_titlecase(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (i == 0 || !(is_word_byte(out[i - 1]) || out[i - 1] == '_')) out[i] = upper(out[i]);
  return out;
}

std::string format_number(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15)
    return std::to_string(static_cast<std::int64_t>(d));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::string("null");
}

std::optional<double> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace tributary::expr
