// JSON.parse with JavaScript's grammar and value semantics (see js_json.h).
#include "tributary/transform/js_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "transform/utf.h"

namespace tributary::transform {
namespace {

constexpr int kMaxDepth = 1024;

//! Recursive-descent reader of JSON.parse's grammar.
class reader {
 public:
  explicit reader(std::string_view text) : s_(text) {}

  ordered_json document() {
    skip_ws();
    ordered_json v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw json_parse_error(what + " at offset " + std::to_string(pos_), pos_);
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  ordered_json value(int depth) {
    if (pos_ >= s_.size()) fail("unexpected end of JSON input");
    const char c = s_[pos_];
    if (c == '{') return object(depth + 1);
    if (c == '[') return array(depth + 1);
    if (c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (literal("true")) return true;
    if (literal("false")) return false;
    if (literal("null")) return nullptr;
    fail("unexpected token");
  }

  ordered_json object(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    ++pos_;
    ordered_json obj = ordered_json::object();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return obj;
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
      std::string key = string_text();
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
      ++pos_;
      skip_ws();
      obj[key] = value(depth);  // a repeated key keeps its first position, takes the last value
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return obj;
      }
      fail("expected ',' or '}'");
    }
  }

  ordered_json array(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    ++pos_;
    ordered_json arr = ordered_json::array();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return arr;
    }
    for (;;) {
      skip_ws();
      arr.push_back(value(depth));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return arr;
      }
      fail("expected ',' or ']'");
    }
  }

  ordered_json string() { return string_text(); }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("bad \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return v;
  }

  std::string string_text() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c >= 0x80) {
        const auto d = utf::decode(s_, pos_, false);
        if (d.cp == 0xFFFD) {
          utf::append_utf8(out, 0xFFFD);  // also when the text held U+FFFD itself
        } else {
          out.append(s_.substr(pos_, d.len));
        }
        pos_ += d.len;
        continue;
      }
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          char32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 6 <= s_.size() && s_[pos_] == '\\' &&
              s_[pos_ + 1] == 'u') {
            const std::size_t save = pos_;
            pos_ += 2;
            const unsigned low = hex4();
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;  // not a pair: the next escape is read on its own
            }
          }
          utf::append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("bad escape");
      }
    }
  }

  ordered_json number() {
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) fail("bad number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      fail("bad number");
    }
    bool integral = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail("bad number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail("bad number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    if (integral) {
      if (*first == '-') {
        std::int64_t i = 0;
        auto r = std::from_chars(first, last, i);
        if (r.ec == std::errc() && r.ptr == last) return i;
      } else {
        std::uint64_t u = 0;
        auto r = std::from_chars(first, last, u);
        if (r.ec == std::errc() && r.ptr == last) return u;
      }
    }
    double d = 0;
    auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) d = out_of_range_value(start, pos_);
    return d;
  }

  //! from_chars refuses magnitudes past a double; JS gives +-Infinity or +-0 there. Which one
  //! follows from the decimal exponent of the first significant digit.
  double out_of_range_value(std::size_t start, std::size_t end) const {
    const std::string_view t = s_.substr(start, end - start);
    const bool negative = t[0] == '-';
    long int_digits = 0, frac_digits = 0;
    long sig_int_index = -1, sig_exp = 0;
    bool in_frac = false, found = false;
    std::size_t i = negative ? 1 : 0;
    for (; i < t.size() && t[i] != 'e' && t[i] != 'E'; ++i) {
      if (t[i] == '.') {
        in_frac = true;
        continue;
      }
      in_frac ? ++frac_digits : ++int_digits;
      if (!found && t[i] != '0') {
        found = true;
        if (in_frac) {
          sig_exp = -frac_digits;
        } else {
          sig_int_index = int_digits - 1;
        }
      }
    }
    if (sig_int_index >= 0) sig_exp = int_digits - 1 - sig_int_index;
    long exp10 = 0;
    if (i < t.size()) exp10 = std::strtol(std::string(t.substr(i + 1)).c_str(), nullptr, 10);
    const double mag = (found && sig_exp + exp10 > 0) ? HUGE_VAL : 0.0;
    return negative ? -mag : mag;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

ordered_json parse(std::string_view text) {
  return reader(text).document();
}

std::optional<ordered_json> try_parse(std::string_view text) {
  try {
    return parse(text);
  } catch (const json_parse_error&) {
    return std::nullopt;
  }
}

}  // namespace tributary::transform
