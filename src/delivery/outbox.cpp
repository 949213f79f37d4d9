#include "delivery/outbox.h"

#include <nlohmann/json.hpp>

#include "tributary/common/bytes.h"
#include "tributary/transform/js_json.h"

namespace tributary::delivery {
namespace {

constexpr char kVersion = 1;
constexpr std::size_t kFixed = 1 + 8 + 8 + 4 + 4;

}  // namespace

std::string outbox_prefix(std::string_view destination) {
  std::string k(destination);
  k.push_back('\0');
  return k;
}

std::string outbox_key(std::string_view destination, std::uint64_t seq, std::uint32_t sub) {
  std::string k = outbox_prefix(destination);
  put_be64(k, seq);
  put_be32(k, sub);
  return k;
}

std::optional<key_parts> parse_outbox_key(std::string_view key) {
  auto nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() != nul + 1 + 8 + 4) return std::nullopt;
  return key_parts{key.substr(0, nul), get_be64(key.substr(nul + 1)),
                   get_be32(key.substr(nul + 9))};
}

std::string encode_row(const outbox_row& row) {
  std::string v;
  v.reserve(kFixed + 12 + row.message_id.size() + row.profile_id.size() + row.last_error.size() +
            row.body.size());
  v.push_back(kVersion);
  put_be64(v, static_cast<std::uint64_t>(row.enqueued_at));
  put_be64(v, static_cast<std::uint64_t>(row.next_attempt_at));
  put_be32(v, row.attempts);
  put_be32(v, static_cast<std::uint32_t>(row.last_status));
  put_string(v, row.message_id);
  put_string(v, row.profile_id);
  put_string(v, row.last_error);
  v.append(row.body);
  return v;
}

std::optional<outbox_row> decode_row(std::string_view v) {
  if (v.size() < kFixed || v[0] != kVersion) return std::nullopt;
  outbox_row row;
  row.enqueued_at = static_cast<millis>(get_be64(v.substr(1)));
  row.next_attempt_at = static_cast<millis>(get_be64(v.substr(9)));
  row.attempts = get_be32(v.substr(17));
  row.last_status = static_cast<std::int32_t>(get_be32(v.substr(21)));
  v.remove_prefix(kFixed);
  if (!get_string(v, row.message_id) || !get_string(v, row.profile_id) ||
      !get_string(v, row.last_error))
    return std::nullopt;
  row.body.assign(v);
  return row;
}

std::string serialize_body(const nlohmann::ordered_json& event) {
  return transform::stringify(event);
}

}  // namespace tributary::delivery
