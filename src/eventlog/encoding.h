#pragma once
//! Byte layouts of the log's keys and values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tributary/common/bytes.h"

#include "tributary/eventlog/event_log.h"

namespace tributary::eventlog {

inline std::string seq_key(std::uint64_t seq) {
  std::string k;
  put_be64(k, seq);
  return k;
}

//! Log value: [version=1][received_at be64][source length u8][source][json].
inline std::string encode_record(millis received_at, std::string_view source,
                                 std::string_view json) {
  std::string v;
  v.reserve(10 + source.size() + json.size());
  v.push_back(1);
  put_be64(v, static_cast<std::uint64_t>(received_at));
  v.push_back(static_cast<char>(source.size()));
  v.append(source);
  v.append(json);
  return v;
}

inline std::optional<log_record> decode_record(std::uint64_t seq, std::string_view v) {
  if (v.size() < 10 || v[0] != 1) return std::nullopt;
  log_record r;
  r.seq = seq;
  r.received_at = static_cast<millis>(get_be64(v.substr(1)));
  size_t n = static_cast<unsigned char>(v[9]);
  if (v.size() < 10 + n) return std::nullopt;
  r.source.assign(v.substr(10, n));
  r.json.assign(v.substr(10 + n));
  return r;
}

//! Dedupe value: [received_at be64][seq be64].
inline std::string encode_dedupe(millis received_at, std::uint64_t seq) {
  std::string v;
  put_be64(v, static_cast<std::uint64_t>(received_at));
  put_be64(v, seq);
  return v;
}

}  // namespace tributary::eventlog
