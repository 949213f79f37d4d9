#include "processor/engage_event.h"

#include <algorithm>

#include "tributary/common/bytes.h"

namespace tributary::processor {

namespace {

void key(std::string& out, std::string_view k) {
  append_json_string(out, k);
  out.push_back(':');
}

void str_field(std::string& out, std::string_view k, std::string_view v) {
  key(out, k);
  append_json_string(out, v);
  out.push_back(',');
}

//! An object of (key, JSON text) pairs with std::map's semantics: sorted, the last value wins.
void sorted_object(std::string& out, std::vector<std::pair<std::string, std::string>> fields) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.push_back('{');
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i + 1 < fields.size() && fields[i + 1].first == fields[i].first) continue;
    key(out, fields[i].first);
    out += fields[i].second;
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out.push_back('}');
}

}  // namespace

std::string engage_json(const profile::profile& p, const engage_fields& f) {
  std::string_view user_id, anonymous_id;
  for (const auto& e : p.ids) {
    if (e.type == "user_id" && user_id.data() == nullptr) user_id = e.value;
    if (e.type == "anonymous_id" && anonymous_id.data() == nullptr) anonymous_id = e.value;
  }
  std::string email;
  if (auto it = p.traits.find("email"); it != p.traits.end() && it->second.value.is_string())
    append_json_string(email, it->second.value.get_ref<const std::string&>());
  const bool track = f.type == "track";

  std::string out;
  out.reserve(512);
  out.push_back('{');
  if (anonymous_id.data()) str_field(out, "anonymousId", anonymous_id);
  key(out, "context");
  out += R"({"library":{"name":"tributary"},"personas":{)";
  if (f.backfill) out += R"("backfill":true,)";
  str_field(out, "computation_class", f.computation_class);
  str_field(out, "computation_id", f.computation_id);
  str_field(out, "computation_key", f.computation_key);
  std::string space = "spa_" + std::string(f.space);
  str_field(out, "namespace", space);
  key(out, "space_id");
  append_json_string(out, space);
  out.push_back('}');
  if (track && !email.empty()) out += R"(,"traits":{"email":)" + email + "}";
  out += "},";
  if (track) str_field(out, "event", f.event);
  out += R"("integrations":{},)";
  str_field(out, "messageId", f.message_id);
  if (track) {
    key(out, "properties");
    sorted_object(out, f.body);
    out.push_back(',');
  }
  str_field(out, "receivedAt", f.now);
  str_field(out, "timestamp", f.now);
  if (!track) {
    auto traits = f.body;
    if (!email.empty()) traits.emplace_back("email", email);
    key(out, "traits");
    sorted_object(out, std::move(traits));
    out.push_back(',');
  }
  str_field(out, "type", f.type);
  if (user_id.data()) str_field(out, "userId", user_id);
  out.back() = '}';
  return out;
}

}  // namespace tributary::processor
