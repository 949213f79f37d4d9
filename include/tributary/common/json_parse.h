#pragma once
//! JSON text to nlohmann::json, parsed with simdjson: about twice as fast as nlohmann's own
//! parser on event-sized documents (measured in docs/performance.md), with the same result.
#include <string_view>

#include <nlohmann/json.hpp>

namespace tributary {

//! As `nlohmann::json::parse(text, nullptr, false)`: a discarded value if `text` is not JSON.
//! Same values as nlohmann's parser: non-negative integers unsigned, negative ones signed,
//! the last of duplicate keys kept; what simdjson refuses (integers past 64 bits, huge
//! exponents, very deep nesting) is handed to nlohmann's parser.
nlohmann::json parse_json(std::string_view text);
//! The same keeping each object's key order (an ordered_json).
nlohmann::ordered_json parse_ordered_json(std::string_view text);

}  // namespace tributary
