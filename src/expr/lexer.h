#pragma once
//! Splits expression text into tokens, one at a time, with byte offsets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tributary/common/clock.h"

namespace tributary::expr {

enum class tok : std::uint8_t {
  end,
  error,     // text = what went wrong
  ident,     // a path: segments separated by '.', '\' escapes (text = raw source)
  string,    // text = the characters between the quotes
  number,    // number
  duration,  // ms (a number with a unit: ms s m h d w)
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  bang,
  plus,
  minus,
  kw_and,
  kw_or,
  kw_not,
  kw_in,
  kw_true,
  kw_false,
  kw_null,
};

struct token {
  tok kind = tok::end;
  std::size_t offset = 0;  //!< byte offset of the first character
  std::size_t length = 0;  //!< bytes
  std::string_view text;   //!< see tok
  double number = 0;
  millis ms = 0;
  bool escaped = false;      //!< ident: contains '\' escapes
  std::size_t error_at = 0;  //!< error: where exactly (may be inside the token)
};

//! Reads tokens from `src`; `next()` past the end keeps returning `end`.
class lexer {
 public:
  explicit lexer(std::string_view src) : src_(src) {}
  token next();
  std::string_view source() const { return src_; }

 private:
  token ident(std::size_t start);
  token number(std::size_t start);
  token fail(std::size_t start, std::size_t at, std::string_view message);

  std::string_view src_;
  std::size_t pos_ = 0;
  std::string message_;
};

//! Splits an ident's raw text into path segments, removing '\' escapes.
template <class Out>
void split_path(std::string_view raw, Out&& push_segment) {
  std::string seg;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      seg += raw[++i];
    } else if (c == '.') {
      push_segment(std::move(seg));
      seg.clear();
    } else {
      seg += c;
    }
  }
  push_segment(std::move(seg));
}

//! Describes a token for an error message: "')'", "end of expression", "'foo'".
std::string describe(const token& t);

}  // namespace tributary::expr
