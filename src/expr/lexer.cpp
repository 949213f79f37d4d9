#include "expr/lexer.h"

#include <charconv>
#include <cmath>

namespace tributary::expr {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
//! Characters a path segment may hold without escaping.
bool is_segment_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}
//! Bytes in the UTF-8 sequence that starts with c (1 for invalid lead bytes).
std::size_t utf8_length(unsigned char c) {
  if (c >= 0xf0 && c < 0xf8) return 4;
  if (c >= 0xe0) return c < 0xf0 ? 3 : 1;
  if (c >= 0xc0) return 2;
  return 1;
}

struct keyword {
  std::string_view text;
  tok kind;
};
constexpr keyword kKeywords[] = {
    {"and", tok::kw_and},   {"or", tok::kw_or},       {"not", tok::kw_not},   {"in", tok::kw_in},
    {"true", tok::kw_true}, {"false", tok::kw_false}, {"null", tok::kw_null},
};

struct unit {
  std::string_view suffix;
  millis ms;
};
constexpr unit kUnits[] = {{"ms", 1},        {"s", 1000},       {"m", 60'000},
                           {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};

}  // namespace

token lexer::fail(std::size_t start, std::size_t at, std::string_view message) {
  message_ = message;
  token t;
  t.kind = tok::error;
  t.offset = start;
  t.length = at > start ? at - start : 0;
  t.error_at = at;
  t.text = message_;
  pos_ = src_.size();  // nothing after an error is read
  return t;
}

token lexer::next() {
  while (pos_ < src_.size() &&
         (src_[pos_] == ' ' || src_[pos_] == '\t' || src_[pos_] == '\n' || src_[pos_] == '\r'))
    ++pos_;
  token t;
  t.offset = pos_;
  if (pos_ >= src_.size()) return t;  // end
  const std::size_t start = pos_;
  const char c = src_[pos_];
  const char n = pos_ + 1 < src_.size() ? src_[pos_ + 1] : '\0';
  auto single = [&](tok k, std::size_t len = 1) {
    t.kind = k;
    t.length = len;
    t.text = src_.substr(start, len);
    pos_ += len;
    return t;
  };
  switch (c) {
    case '(':
      return single(tok::lparen);
    case ')':
      return single(tok::rparen);
    case '[':
      return single(tok::lbracket);
    case ']':
      return single(tok::rbracket);
    case ',':
      return single(tok::comma);
    case '+':
      return single(tok::plus);
    case '-':
      return single(tok::minus);
    case '=':
      if (n == '=') return fail(start, start, "'==' is not an operator: use '=' to compare");
      return single(tok::eq);
    case '!':
      return n == '=' ? single(tok::ne, 2) : single(tok::bang);
    case '<':
      return n == '=' ? single(tok::le, 2) : single(tok::lt);
    case '>':
      return n == '=' ? single(tok::ge, 2) : single(tok::gt);
    case '&':
      return fail(start, start,
                  n == '&' ? "'&&' is not an operator: use 'and'" : "unexpected character '&'");
    case '|':
      return fail(start, start,
                  n == '|' ? "'||' is not an operator: use 'or'" : "unexpected character '|'");
    case '\'':
    case '"': {
      std::size_t close = src_.find(c, start + 1);
      if (close == std::string_view::npos)
        return fail(start, start,
                    std::string("unterminated string: no closing ") + c + " after this quote");
      t.kind = tok::string;
      t.length = close + 1 - start;
      t.text = src_.substr(start + 1, close - start - 1);
      pos_ = close + 1;
      return t;
    }
    default:
      break;
  }
  if (is_digit(c)) return number(start);
  if (is_alpha(c) || c == '_' || c == '\\') return ident(start);
  const std::size_t len = utf8_length(static_cast<unsigned char>(c));
  std::string shown(src_.substr(start, std::min(len, src_.size() - start)));
  return fail(start, start, "unexpected character '" + shown + "'");
}

token lexer::ident(std::size_t start) {
  token t;
  t.kind = tok::ident;
  t.offset = start;
  std::size_t i = start;
  bool need_segment = true;  // at the start of a segment (after '.' or at the beginning)
  while (i < src_.size()) {
    const char c = src_[i];
    if (c == '\\') {
      if (i + 1 >= src_.size())
        return fail(start, i, "expected a character after '\\' in a field path");
      i += 1 + utf8_length(static_cast<unsigned char>(src_[i + 1]));
      if (i > src_.size()) i = src_.size();
      t.escaped = true;
      need_segment = false;
    } else if (is_segment_char(c)) {
      ++i;
      need_segment = false;
    } else if (c == '.' && !need_segment) {
      ++i;
      need_segment = true;
    } else {
      break;
    }
  }
  if (need_segment) {
    return fail(start, i,
                "expected a field name after '.' (characters outside a-z A-Z 0-9 _ - are "
                "escaped with '\\')");
  }
  t.length = i - start;
  t.text = src_.substr(start, t.length);
  pos_ = i;
  if (!t.escaped) {
    for (const auto& k : kKeywords)
      if (t.text == k.text) t.kind = k.kind;
  }
  return t;
}

token lexer::number(std::size_t start) {
  std::size_t i = start;
  while (i < src_.size() && is_digit(src_[i])) ++i;
  if (i + 1 < src_.size() && src_[i] == '.' && is_digit(src_[i + 1])) {
    ++i;
    while (i < src_.size() && is_digit(src_[i])) ++i;
  }
  if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
    if (j < src_.size() && is_digit(src_[j])) {
      while (j < src_.size() && is_digit(src_[j])) ++j;
      i = j;
    }
  }
  token t;
  t.kind = tok::number;
  t.offset = start;
  const char* first = src_.data() + start;
  auto [ptr, ec] = std::from_chars(first, src_.data() + i, t.number);
  if (ec != std::errc() || ptr != src_.data() + i || !std::isfinite(t.number))
    return fail(start, start, "number out of range");
  // A unit directly after the digits makes a duration (profile expressions only; the parser
  // decides whether one is allowed).
  for (const auto& u : kUnits) {
    if (src_.substr(i, u.suffix.size()) != u.suffix) continue;
    std::size_t after = i + u.suffix.size();
    if (after < src_.size() && (is_segment_char(src_[after]) || src_[after] == '.')) continue;
    const double ms = t.number * static_cast<double>(u.ms);
    if (ms > 9.0e15) return fail(start, start, "duration out of range");
    t.kind = tok::duration;
    t.ms = static_cast<millis>(std::llround(ms));
    i = after;
    break;
  }
  if (i < src_.size() && (is_segment_char(src_[i]) || src_[i] == '.' || src_[i] == '\\'))
    return fail(start, i,
                std::string("unexpected '") + src_[i] +
                    "' after a number (durations are written 45s, 30m, 2h, 3d, 1w or 500ms)");
  t.length = i - start;
  t.text = src_.substr(start, t.length);
  pos_ = i;
  return t;
}

std::string describe(const token& t) {
  switch (t.kind) {
    case tok::end:
      return "end of expression";
    case tok::error:
      return std::string(t.text);
    case tok::string:
      return "string '" + std::string(t.text) + "'";
    default:
      return "'" + std::string(t.text) + "'";
  }
}

}  // namespace tributary::expr
