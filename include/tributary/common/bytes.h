#pragma once
//! Big-endian integers and JSON string escaping, shared by the storage and HTTP modules.
#include <cstdint>
#include <string>
#include <string_view>

namespace tributary {

//! 8-byte big-endian, so RocksDB's byte order is numeric order.
inline void put_be64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
//! Reads up to 8 bytes big-endian (fewer bytes read as a shorter number).
inline std::uint64_t get_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8 && i < static_cast<int>(s.size()); ++i)
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

//! Appends s as a JSON string literal: UTF-8 kept as is, quotes, backslashes and control
//! characters escaped.
void append_json_string(std::string& out, std::string_view s);

}  // namespace tributary
