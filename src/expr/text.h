#pragma once
//! String helpers of the expression functions: globs, case conversion, number text.
#include <optional>
#include <string>
#include <string_view>

namespace tributary::expr {

//! FQL `match`: the whole of `s` against `pattern` (`*` any run, `?` one character, `[abc]`,
//! `[a-z]`, `[^...]`, `\x` literal), case-sensitive, by UTF-8 code point. A malformed pattern
//! (unclosed or empty set, trailing `\`) matches nothing.
bool glob_match(std::string_view pattern, std::string_view s);

//! ASCII case mapping; other bytes are kept.
std::string to_lowercase(std::string_view s);
std::string to_uppercase(std::string_view s);
//! Words (split at non-alphanumeric ASCII and at lower→upper case changes), lowercased and
//! joined by '_' / '-': "Test string" → "test_string", "fooBar" → "foo-bar".
std::string to_snakecase(std::string_view s);
std::string to_kebabcase(std::string_view s);
//! The first letter of each word upper-cased, the rest kept: "test string" → "Test String".
std::string to_titlecase(std::string_view s);

//! Shortest text that reads back as d; integral values without a fraction ("3", not "3.0").
std::string format_number(double d);
//! The whole of s as a JSON-style number, or nullopt.
std::optional<double> parse_number(std::string_view s);

}  // namespace tributary::expr
