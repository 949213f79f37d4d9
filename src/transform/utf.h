#pragma once
//! UTF-8 <-> UTF-16 helpers that give C++ code JavaScript's view of a string (lengths, indexes
//! and case mapping count UTF-16 code units). Internal to tributary_transform.
//!
//! Strings are UTF-8. A lone surrogate (which a JS string can hold, e.g. from JSON "\ud800") is
//! kept as its 3-byte WTF-8 form (ED A0..BF xx), so it survives a round trip and is written back
//! as "\udXXX" by js_json::stringify. Bytes that are not UTF-8 decode to U+FFFD, one per maximal
//! invalid subpart, as the WHATWG decoder (and so node's Buffer#toString) does.
#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::transform::utf {

//! One decoded code point and how many bytes it took.
struct decoded {
  char32_t cp;
  std::size_t len;
};

//! Decodes the code point at `s[i]`. With `allow_surrogates`, WTF-8 surrogates (ED A0..BF xx)
//! decode to U+D800..U+DFFF; otherwise they are invalid like in strict UTF-8.
decoded decode(std::string_view s, std::size_t i, bool allow_surrogates);

//! Appends `cp` as UTF-8 (surrogates as 3-byte WTF-8).
void append_utf8(std::string& out, char32_t cp);

//! UTF-8 (WTF-8) to UTF-16 code units; invalid bytes become U+FFFD.
std::u16string to_utf16(std::string_view s);

//! UTF-16 to UTF-8; surrogate pairs are joined, lone surrogates written as WTF-8.
std::string to_utf8(std::u16string_view s);

//! Length in UTF-16 code units (JavaScript's `String#length`).
std::size_t js_length(std::string_view s);

//! JavaScript `toLowerCase` / `toUpperCase`: simple Unicode case mapping per code point (from the
//! C library's C.UTF-8 tables), plus the one-to-many "ß" -> "SS". Context-dependent rules (final
//! sigma, Turkish/Lithuanian dotted i) are not applied.
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

//! The simple uppercase of one UTF-16 unit as a non-unicode JS RegExp with the `i` flag compares
//! it (ES "Canonicalize"): unchanged when the mapping leaves the BMP unit range, or maps a
//! non-ASCII unit to ASCII.
char16_t canonicalize(char16_t c);

}  // namespace tributary::transform::utf
