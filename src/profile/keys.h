#pragma once
//! Key layouts of the identity and profile column families.
#include <cstdint>
#include <string>
#include <string_view>

#include "tributary/common/bytes.h"

#include "tributary/common/clock.h"

namespace tributary::profile {

//! Profile ids are `use_` + 16 hex digits: fixed length, so history keys can be prefixed by them.
constexpr std::size_t kProfileIdLength = 20;

//! A deterministic id from the sequence number of the event that created the profile
//! (splitmix64 is a bijection, so ids never collide), so a replay creates the same ids.
inline std::string profile_id_for(std::uint64_t seq) {
  std::uint64_t z = seq + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  static const char kHex[] = "0123456789abcdef";
  std::string id = "use_";
  for (int i = 15; i >= 0; --i) id.push_back(kHex[(z >> (i * 4)) & 15]);
  return id;
}

//! history: profile id, event time (offset so negative times sort first), seq.
inline std::string history_key(std::string_view profile_id, millis ts, std::uint64_t seq) {
  std::string k(profile_id);
  put_be64(k, static_cast<std::uint64_t>(ts) ^ 0x8000000000000000ULL);
  put_be64(k, seq);
  return k;
}
inline millis history_time(std::string_view key) {
  return static_cast<millis>(get_be64(key.substr(kProfileIdLength)) ^ 0x8000000000000000ULL);
}
inline std::uint64_t history_seq(std::string_view key) {
  return get_be64(key.substr(kProfileIdLength + 8));
}

//! history value: source name, 0x1f, the event JSON.
inline std::string history_value(std::string_view source, std::string_view json) {
  std::string v(source);
  v.push_back('\x1f');
  v.append(json);
  return v;
}

}  // namespace tributary::profile
