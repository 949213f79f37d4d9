#pragma once
//! Compact JSON output straight into a std::string, from simdjson DOM values.
#include <simdjson.h>

#include <string>
#include <string_view>

namespace tributary::ingest {

//! Appends s as a JSON string literal; UTF-8 is kept as is, control characters escaped.
void append_string(std::string& out, std::string_view s);
//! Appends the element in compact form (numbers as parsed: integers exact, doubles shortest).
void append_element(std::string& out, simdjson::dom::element e);
//! Appends `"key":` (with a leading comma unless first).
inline void append_key(std::string& out, std::string_view key, bool& first) {
  if (!first) out.push_back(',');
  first = false;
  append_string(out, key);
  out.push_back(':');
}

}  // namespace tributary::ingest
