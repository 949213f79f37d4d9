#pragma once
//! JSON text exactly as JavaScript reads and writes it, so that bytes we sign or hash are the
//! bytes a JS receiver computes with `JSON.stringify(JSON.parse(body))` (the webhook X-Signature,
//! the MD5 of destination-filter sampling, mapping-kit `@json`).
//!
//! Strings are UTF-8. A lone UTF-16 surrogate (JSON "\ud800", which a JS string can hold) is kept
//! as its 3-byte WTF-8 form; nlohmann's own dump() rejects such strings, stringify() does not.
//! Pure functions; any thread.
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tributary::transform {

using ordered_json = nlohmann::ordered_json;

//! JSON text that `JSON.parse` would reject, with the byte offset of the problem.
class json_parse_error : public std::runtime_error {
 public:
  json_parse_error(const std::string& what, std::size_t offset)
      : std::runtime_error(what), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

//! Byte-identical to JavaScript `JSON.stringify(value)` of the value JS would hold:
//! - no whitespace; object keys in JS property order: keys that are array indexes ("0" ...
//!   "4294967294", no leading zeros) first in ascending numeric order, then every other key in
//!   insertion order (JS objects cannot hold another order);
//! - strings: only `"`, `\` and U+0000..U+001F are escaped (`\b \f \n \r \t`, others `\u00xx`
//!   in lowercase hex); lone surrogates as `\udxxx`; everything else written raw as UTF-8, bytes
//!   that are not UTF-8 as U+FFFD;
//! - numbers as JS Number#toString: every number goes through a double first (integers past
//!   2^53 round as in JS), shortest round-trip digits, `1e+21` from 1e21 up and `1e-7` below
//!   1e-6, `-0` as `0`, NaN and infinities as `null`;
//! - a discarded value (our stand-in for `undefined`) is skipped as an object member, `null` as
//!   an array element, and the empty string at the top level (where JS returns undefined).
std::string stringify(const ordered_json& value);

//! JavaScript `JSON.parse`: strict RFC 8259 text (no comments, trailing commas or BOM; only
//! space, tab, CR and LF as whitespace), surrounding whitespace allowed. Duplicate keys: the last
//! value wins at the position of the first, as in JS. Integers that fit 64 bits are kept exact
//! (stringify still writes them the JS way); other numbers are doubles, and a number too large
//! for a double is +-infinity as in JS. Raw bytes that are not UTF-8 become U+FFFD. Nesting
//! deeper than 1024 arrays/objects is rejected. Throws json_parse_error.
ordered_json parse(std::string_view text);

//! parse() without the exception: nullopt where JSON.parse would throw.
std::optional<ordered_json> try_parse(std::string_view text);

//! JavaScript `Number.prototype.toString()` / `String(number)`: "NaN", "Infinity", "1e+21",
//! "0.000001", "1e-7", "123.456", "-0" as "0".
std::string number_to_string(double value);

}  // namespace tributary::transform
