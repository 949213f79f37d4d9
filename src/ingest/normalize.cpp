#include "ingest/normalize.h"

#include <fmt/format.h>

#include <array>

#include "ingest/json_writer.h"
#include "tributary/common/codec.h"
#include "tributary/common/time.h"

namespace tributary::ingest {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::size_t kMaxIdentifyTraits = 300;

constexpr std::array<const char*, 6> kTypeNames = {"identify", "track", "page",
                                                   "screen",   "group", "alias"};

// Fields that normalization rewrites; every other field is copied as sent.
bool is_rewritten(std::string_view k) {
  return k == "type" || k == "messageId" || k == "timestamp" || k == "originalTimestamp" ||
         k == "receivedAt" || k == "context" || k == "integrations" || k == "writeKey" ||
         k == "userId" || k == "anonymousId" || k == "groupId" || k == "previousId";
}

// An identifier: a non-empty string, or a number (stored as its decimal string).
// Returns false for a present value of another type.
bool read_id(object msg, const char* key, std::string& out) {
  element v;
  if (msg[key].get(v) != simdjson::SUCCESS) return true;
  switch (v.type()) {
    case element_type::STRING:
      out = std::string(v.get_string().value_unsafe());
      return true;
    case element_type::INT64:
      out = std::to_string(v.get_int64().value_unsafe());
      return true;
    case element_type::UINT64:
      out = std::to_string(v.get_uint64().value_unsafe());
      return true;
    case element_type::DOUBLE: {
      std::string s;
      append_element(s, v);
      out = s;
      return true;
    }
    case element_type::NULL_VALUE:
      return true;
    default:
      return false;
  }
}

// Writes `e` leaving out the paths the tracking plan omitted; `renames` maps the object's own
// keys (the top level of `properties`) to their planned names.
void append_filtered(std::string& out, element e, const std::string& path,
                     const protocols::verdict& v,
                     const std::unordered_map<std::string, std::string>* renames) {
  if (e.is_object()) {
    object obj = e.get_object().value_unsafe();
    out.push_back('{');
    bool first = true;
    for (auto f : obj) {
      std::string_view key = f.key;
      if (renames)
        if (auto it = renames->find(std::string(key)); it != renames->end()) {
          element same;  // the planned name is sent as well: it wins, the old one is left out
          if (obj[it->second].get(same) == simdjson::SUCCESS) continue;
          key = it->second;
        }
      std::string child = path + "." + std::string(key);
      if (v.is_omitted(child)) continue;
      append_key(out, key, first);
      append_filtered(out, f.value, child, v, nullptr);
    }
    out.push_back('}');
  } else if (e.is_array()) {
    simdjson::dom::array arr = e.get_array().value_unsafe();
    out.push_back('[');
    size_t i = 0;
    for (auto item : arr) {
      if (i) out.push_back(',');
      append_filtered(out, item, path + "." + std::to_string(i++), v, nullptr);
    }
    out.push_back(']');
  } else {
    append_element(out, e);
  }
}

// `context.protocols`: what the tracking plan found and changed.
void append_protocols(std::string& out, const protocols::verdict& v, std::string_view source,
                      bool& first) {
  append_key(out, "protocols", first);
  out += "{\"sourceId\":";
  append_string(out, source);
  if (!v.violations.empty()) {
    out += ",\"violations\":[";
    for (size_t i = 0; i < v.violations.size(); ++i) {
      if (i) out.push_back(',');
      out += "{\"type\":";
      append_string(out, v.violations[i].type);
      out += ",\"field\":";
      append_string(out, v.violations[i].field);
      out += ",\"description\":";
      append_string(out, v.violations[i].description);
      out.push_back('}');
    }
    out.push_back(']');
  }
  auto list = [&](const char* name, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += ",\"";
    out += name;
    out += "\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      append_string(out, items[i]);
    }
    out.push_back(']');
  };
  list("omitted", v.omitted);
  list("omitted_on_violation", v.omitted_on_violation);
  out.push_back('}');
}

// Writes `"key":{...}` merging `base` under `own` (own's keys win); adds ip when absent, and
// `protocols` when the tracking plan touched the message. Returns the bytes of `own`'s entries.
size_t write_merged(std::string& out, const char* key, std::optional<object> base,
                    std::optional<object> own, std::string_view ip, bool& first,
                    const protocols::verdict* plan_verdict = nullptr,
                    std::string_view source = {}) {
  append_key(out, key, first);
  out.push_back('{');
  bool inner_first = true;
  if (base) {
    for (auto f : *base) {
      element ignored;
      if (own && (*own)[f.key].get(ignored) == simdjson::SUCCESS) continue;
      append_key(out, f.key, inner_first);
      append_element(out, f.value);
    }
  }
  bool has_ip = false;
  size_t own_start = out.size();
  bool filter = plan_verdict && plan_verdict->changes_payload();
  if (own) {
    for (auto f : *own) {
      has_ip = has_ip || f.key == "ip";
      if (plan_verdict && f.key == "protocols") continue;  // ours replaces a client's
      std::string path = filter ? std::string(key) + "." + std::string(f.key) : std::string();
      if (filter && plan_verdict->is_omitted(path)) continue;
      append_key(out, f.key, inner_first);
      if (filter)
        append_filtered(out, f.value, path, *plan_verdict, nullptr);
      else
        append_element(out, f.value);
    }
  }
  size_t own_bytes = out.size() - own_start;
  if (!ip.empty() && !has_ip) {
    element ignored;
    if (!base || (*base)["ip"].get(ignored) != simdjson::SUCCESS) {
      append_key(out, "ip", inner_first);
      append_string(out, ip);
    }
  }
  if (plan_verdict && plan_verdict->touched())
    append_protocols(out, *plan_verdict, source, inner_first);
  out.push_back('}');
  return own_bytes;
}

// An optional object field; error if present with another type (null counts as absent).
bool optional_object(object msg, const char* key, std::optional<object>& out) {
  element v;
  if (msg[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
  if (!v.is_object()) return false;
  out = v.get_object().value_unsafe();
  return true;
}

error fail(const char* code, std::string message) {
  return error{code, std::move(message)};
}

}  // namespace

std::optional<call_type> parse_call_type(std::string_view s) {
  for (size_t i = 0; i < kTypeNames.size(); ++i)
    if (s == kTypeNames[i]) return static_cast<call_type>(i);
  return std::nullopt;
}

const char* call_type_name(call_type t) {
  return kTypeNames[static_cast<size_t>(t)];
}

millis corrected_timestamp(millis received_at, std::optional<millis> client_ts,
                           std::optional<millis> sent_at) {
  if (client_ts && sent_at) return received_at - (*sent_at - *client_ts);
  if (client_ts) return *client_ts;
  return received_at;
}

result<normalized_message> normalize(element msg_el, std::optional<call_type> forced,
                                     const normalize_input& in) {
  if (!msg_el.is_object()) return fail("invalid_message", "a message must be a JSON object");
  object msg = msg_el.get_object().value_unsafe();

  normalized_message out;
  if (forced) {
    out.type = *forced;
  } else {
    std::string_view t;
    if (msg["type"].get_string().get(t) != simdjson::SUCCESS)
      return fail("invalid_type",
                  "the message needs a 'type' (identify, track, page, screen, group or alias)");
    auto parsed = parse_call_type(t);
    if (!parsed)
      return fail("invalid_type", fmt::format("'{}' is not a message type (identify, track, page, "
                                              "screen, group or alias)",
                                              t.substr(0, 64)));
    out.type = *parsed;
  }

  std::string user_id, anonymous_id, group_id, previous_id;
  if (!read_id(msg, "userId", user_id)) return fail("invalid_field", "'userId' must be a string");
  if (!read_id(msg, "anonymousId", anonymous_id))
    return fail("invalid_field", "'anonymousId' must be a string");
  if (!read_id(msg, "groupId", group_id))
    return fail("invalid_field", "'groupId' must be a string");
  if (!read_id(msg, "previousId", previous_id))
    return fail("invalid_field", "'previousId' must be a string");

  if (out.type == call_type::alias) {
    if (user_id.empty()) return fail("missing_user_id", "an alias call needs 'userId'");
    if (previous_id.empty()) return fail("missing_previous_id", "an alias call needs 'previousId'");
  } else if (user_id.empty() && anonymous_id.empty()) {
    return fail("missing_user_id", "the message needs a 'userId' or an 'anonymousId'");
  }
  if (out.type == call_type::track) {
    std::string_view ev;
    if (msg["event"].get_string().get(ev) != simdjson::SUCCESS || ev.empty())
      return fail("missing_event", "a track call needs a non-empty string 'event'");
  }
  if (out.type == call_type::group && group_id.empty())
    return fail("missing_group_id", "a group call needs 'groupId'");

  std::optional<object> context, integrations, unused;
  if (!optional_object(msg, "context", context))
    return fail("invalid_field", "'context' must be an object");
  if (!optional_object(msg, "integrations", integrations))
    return fail("invalid_field", "'integrations' must be an object");
  for (const char* k : {"properties", "traits"})
    if (!optional_object(msg, k, unused))
      return fail("invalid_field", fmt::format("'{}' must be an object", k));
  // Segment refuses identify calls with 300 or more traits; so do we.
  if (std::optional<object> traits; out.type == call_type::identify && optional_object(msg, "traits", traits) &&
                                    traits && traits->size() >= kMaxIdentifyTraits)
    return fail("too_many_traits", fmt::format("an identify call may carry at most {} traits; this one has {}",
                                               kMaxIdentifyTraits - 1, traits->size()));

  // messageId: kept when given (a string of at most 100 characters), generated otherwise.
  element mid;
  if (msg["messageId"].get(mid) == simdjson::SUCCESS && !mid.is_null()) {
    std::string_view s;
    if (mid.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > 100)
      return fail("invalid_message_id", "'messageId' must be a string of 1 to 100 characters");
    out.message_id = std::string(s);
  } else {
    out.message_id = random_uuid();
  }

  // Time: the client's timestamp (or RudderStack's originalTimestamp) corrected by sentAt.
  auto read_time = [&](const char* key, std::optional<millis>& t, std::string_view& raw) -> bool {
    element v;
    if (msg[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
    if (v.get_string().get(raw) != simdjson::SUCCESS) return false;
    t = parse_iso8601(raw);
    return t.has_value();
  };
  std::optional<millis> client_ts, sent_at;
  std::string_view client_raw, sent_raw;
  const char* ts_key = "timestamp";
  element probe;
  if (msg["timestamp"].get(probe) != simdjson::SUCCESS || probe.is_null())
    ts_key = "originalTimestamp";
  if (!read_time(ts_key, client_ts, client_raw))
    return fail("invalid_timestamp", fmt::format("'{}' must be an ISO-8601 date-time", ts_key));
  if (!read_time("sentAt", sent_at, sent_raw))
    return fail("invalid_timestamp", "'sentAt' must be an ISO-8601 date-time");
  if (!sent_at) sent_at = in.batch_sent_at;
  millis ts = corrected_timestamp(in.received_at, client_ts, sent_at);

  // The tracking plan: renames, validation, omissions, or a block (the caller decides).
  const protocols::verdict* pv = nullptr;
  if (in.plan) {
    out.verdict = protocols::check(*in.plan, call_type_name(out.type), msg);
    pv = &out.verdict;
  }
  const bool filter = pv && pv->changes_payload();

  // Write the stored form: the message's own fields, then the normalized ones.
  std::string& j = out.json;
  j.reserve(512);
  j.push_back('{');
  bool first = true;
  for (auto f : msg) {
    if (is_rewritten(f.key)) continue;
    if (filter && pv->is_omitted(f.key)) continue;
    append_key(j, f.key, first);
    if (!filter) {
      append_element(j, f.value);
    } else if (f.key == "event" && pv->renamed) {
      append_string(j, pv->event_name);
    } else {
      append_filtered(j, f.value, std::string(f.key), *pv,
                      f.key == "properties" ? pv->property_renames : nullptr);
    }
  }
  auto put_string = [&](const char* k, std::string_view v) {
    append_key(j, k, first);
    append_string(j, v);
  };
  if (!user_id.empty()) put_string("userId", user_id);
  if (!anonymous_id.empty()) put_string("anonymousId", anonymous_id);
  if (!group_id.empty()) put_string("groupId", group_id);
  if (!previous_id.empty()) put_string("previousId", previous_id);
  size_t own_bytes = j.size();
  own_bytes +=
      write_merged(j, "context", in.batch_context, context, in.client_ip, first, pv, in.source);
  if (integrations || in.batch_integrations)
    own_bytes += write_merged(j, "integrations", in.batch_integrations, integrations, {}, first);
  put_string("type", call_type_name(out.type));
  put_string("messageId", out.message_id);
  if (client_ts) put_string("originalTimestamp", client_raw);
  append_key(j, "timestamp", first);
  j.push_back('"');
  append_iso8601(j, ts);
  j.push_back('"');
  append_key(j, "receivedAt", first);
  j.push_back('"');
  append_iso8601(j, in.received_at);
  j.push_back('"');
  j.push_back('}');
  // The message's own size: its fields, own context and own integrations (not the batch's).
  if (own_bytes > in.message_bytes)
    return fail("message_too_large", fmt::format("the message is {} bytes; the limit is {}",
                                                 own_bytes, in.message_bytes));
  return out;
}

}  // namespace tributary::ingest
