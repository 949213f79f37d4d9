#include "identity/identity.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace tributary::identity {
namespace {

bool blocked(const config::identity_config& cfg, const std::string& value) {
  std::string lower = value;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& b : cfg.blocked_values)
    if (lower == b) return true;
  for (const auto& re : cfg.blocked_regex)
    if (std::regex_match(value, re)) return true;
  return false;
}

std::optional<std::string> id_string(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return std::nullopt;
}

const nlohmann::json* at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

}  // namespace

int priority_rank(const config::identity_config& cfg, const std::string& type) {
  for (size_t i = 0; i < cfg.priority.size(); ++i)
    if (cfg.priority[i] == type) return static_cast<int>(i);
  return 1000;  // then alphabetical, by the caller's tie-break
}

std::vector<external_id> extract(const nlohmann::json& ev, const config::identity_config& cfg,
                                 const std::function<bool(const std::string& key)>& known) {
  std::vector<external_id> out;
  auto add = [&](std::string type, const nlohmann::json* v) {
    if (!v) return;
    auto s = id_string(*v);
    if (!s || blocked(cfg, *s)) return;
    external_id id{std::move(type), *s};
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
  };
  add("user_id", at(ev, {"userId"}));
  add("anonymous_id", at(ev, {"anonymousId"}));
  if (ev.value("type", "") == "identify") add("email", at(ev, {"traits", "email"}));
  add("email", at(ev, {"context", "traits", "email"}));
  if (const auto* device = at(ev, {"context", "device", "id"})) {
    std::string os;
    if (const auto* name = at(ev, {"context", "os", "name"}); name && name->is_string())
      os = name->get<std::string>();
    for (auto& c : os) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    add(os == "ios" || os == "ipados" ? "ios.id"
        : os == "android"             ? "android.id"
                                      : "device_id",
        device);
  }
  if (const auto* list = at(ev, {"context", "externalIds"}); list && list->is_array()) {
    for (const auto& x : *list) {
      if (!x.is_object() || !x.contains("type") || !x["type"].is_string()) continue;
      if (x.contains("collection") && x["collection"] != "users") continue;
      add(x["type"].get<std::string>(), x.contains("id") ? &x["id"] : nullptr);
      if (!out.empty() && x.contains("encoding") && x["encoding"].is_string() &&
          out.back().type == x["type"].get<std::string>())
        out.back().encoding = x["encoding"].get<std::string>();
    }
  }
  if (ev.value("type", "") == "alias") {
    if (const auto* prev = at(ev, {"previousId"}); prev && id_string(*prev)) {
      std::string p = *id_string(*prev);
      std::string type = known("user_id:" + p) ? "user_id" : "anonymous_id";
      if (!known(type + ":" + p) && known("anonymous_id:" + p)) type = "anonymous_id";
      add(type, prev);
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const external_id& a, const external_id& b) {
    int ra = priority_rank(cfg, a.type), rb = priority_rank(cfg, b.type);
    return ra != rb ? ra < rb : (ra == 1000 && a.type < b.type);
  });
  return out;
}

resolution resolve(
    std::vector<external_id> ids, const config::identity_config& cfg,
    const std::function<std::optional<std::string>(const std::string& key)>& find,
    const std::function<std::vector<external_id>(const std::string& profile)>& ids_of) {
  resolution r;
  while (!ids.empty()) {
    std::vector<std::string> profiles;
    for (const auto& id : ids)
      if (auto p = find(id.key());
          p && std::find(profiles.begin(), profiles.end(), *p) == profiles.end())
        profiles.push_back(*p);
    // The ids the joined profile would hold, per type.
    std::map<std::string, std::set<std::string>> by_type;
    for (const auto& p : profiles)
      for (const auto& id : ids_of(p)) by_type[id.type].insert(id.value);
    for (const auto& id : ids) by_type[id.type].insert(id.value);
    bool over = false;
    for (const auto& [type, values] : by_type) over = over || values.size() > cfg.limit_for(type);
    if (!over || ids.size() == 1) {
      r.profiles = std::move(profiles);
      r.ids = std::move(ids);
      return r;
    }
    r.dropped.push_back(ids.back());
    ids.pop_back();
  }
  return r;
}

}  // namespace tributary::identity
