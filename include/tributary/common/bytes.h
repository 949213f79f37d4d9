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

//! 4-byte big-endian.
inline void put_be32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
inline std::uint32_t get_be32(std::string_view s) {
  return static_cast<std::uint32_t>(get_be64(s.substr(0, 4)));
}

//! Appends s after its length (4 bytes big-endian).
inline void put_string(std::string& out, std::string_view s) {
  put_be32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}
//! Takes a string written by put_string from the front of `in`; false if `in` is too short.
inline bool get_string(std::string_view& in, std::string& out) {
  if (in.size() < 4) return false;
  std::uint32_t n = get_be32(in);
  if (in.size() - 4 < n) return false;
  out.assign(in.substr(4, n));
  in.remove_prefix(4 + n);
  return true;
}

//! Appends s as a JSON string literal: UTF-8 kept as is, quotes, backslashes and control
//! characters escaped.
void append_json_string(std::string& out, std::string_view s);

}  // namespace tributary
