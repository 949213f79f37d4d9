#include "tributary/profile/profile.h"

#include <algorithm>

namespace tributary::profile {
namespace {

nlohmann::json traits_json(const std::map<std::string, trait_value>& traits) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, t] : traits) j[k] = {{"v", t.value}, {"t", t.ts}, {"s", t.source}};
  return j;
}

std::map<std::string, trait_value> traits_from(const nlohmann::json& j) {
  std::map<std::string, trait_value> out;
  if (j.is_object())
    for (const auto& [k, t] : j.items())
      out[k] = {t.value("v", nlohmann::json()), t.value("t", millis{0}), t.value("s", "")};
  return out;
}

void merge_traits(std::map<std::string, trait_value>& into,
                  const std::map<std::string, trait_value>& from) {
  for (const auto& [k, t] : from) {
    auto it = into.find(k);
    if (it == into.end() || t.ts > it->second.ts) into[k] = t;
  }
}

}  // namespace

bool profile::set_trait(const std::string& key, const nlohmann::json& value, millis ts,
                        const std::string& source) {
  auto it = traits.find(key);
  if (it != traits.end() && it->second.ts > ts) return false;
  traits[key] = {value, ts, source};
  return true;
}

bool profile::has_id(const std::string& type, const std::string& value) const {
  return std::any_of(ids.begin(), ids.end(),
                     [&](const id_entry& e) { return e.type == type && e.value == value; });
}

void profile::absorb(const profile& other) {
  for (const auto& id : other.ids)
    if (!has_id(id.type, id.value)) ids.push_back(id);
  merge_traits(traits, other.traits);
  for (const auto& [gid, g] : other.groups) {
    auto& mine = groups[gid];
    merge_traits(mine.traits, g.traits);
    mine.ts = std::max(mine.ts, g.ts);
  }
  if (other.created_at < created_at) {
    created_at = other.created_at;
    first_message_id = other.first_message_id;
    first_source_id = other.first_source_id;
  }
  if (other.updated_at > updated_at) {
    updated_at = other.updated_at;
    last_message_id = other.last_message_id;
    last_source_id = other.last_source_id;
  }
  merge_traits(computed, other.computed);
  for (const auto& [k, t] : other.audiences) audiences.try_emplace(k, t);
  for (const auto& [key, st] : other.trait_states) {
    auto it = trait_states.find(key);
    if (it == trait_states.end())
      trait_states[key] = st;
    else if (it->second.fingerprint == st.fingerprint)
      it->second.merge(st);
    else
      it->second.fingerprint.clear();  // built for different definitions: rebuild from history
  }
  merged_from.push_back(other.id);
  for (const auto& m : other.merged_from) merged_from.push_back(m);
}

nlohmann::json to_json(const profile& p) {
  if (!p.merged_into.empty()) return {{"id", p.id}, {"merged_into", p.merged_into}};
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& e : p.ids)
    ids.push_back({{"type", e.type},
                   {"id", e.value},
                   {"encoding", e.encoding},
                   {"source", e.source},
                   {"created_at", e.created_at},
                   {"first_message_id", e.first_message_id}});
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [gid, g] : p.groups)
    groups[gid] = {{"traits", traits_json(g.traits)}, {"t", g.ts}};
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [k, st] : p.trait_states) states[k] = to_json(st);
  return {{"id", p.id},
          {"computed", traits_json(p.computed)},
          {"states", std::move(states)},
          {"timer", p.timer_due},
          {"audiences", traits_json(p.audiences)},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"ids", ids},
          {"traits", traits_json(p.traits)},
          {"groups", groups},
          {"first_message_id", p.first_message_id},
          {"first_source_id", p.first_source_id},
          {"last_message_id", p.last_message_id},
          {"last_source_id", p.last_source_id},
          {"merged_from", p.merged_from}};
}

profile from_json(const nlohmann::json& j) {
  profile p;
  p.id = j.value("id", "");
  p.merged_into = j.value("merged_into", "");
  if (!p.merged_into.empty()) return p;
  p.created_at = j.value("created_at", millis{0});
  p.updated_at = j.value("updated_at", millis{0});
  for (const auto& e : j.value("ids", nlohmann::json::array()))
    p.ids.push_back({e.value("type", ""), e.value("id", ""), e.value("encoding", "none"),
                     e.value("source", ""), e.value("created_at", millis{0}),
                     e.value("first_message_id", "")});
  p.traits = traits_from(j.value("traits", nlohmann::json::object()));
  const nlohmann::json groups = j.value("groups", nlohmann::json::object());  // outlives items()
  for (const auto& [gid, g] : groups.items())
    p.groups[gid] = {traits_from(g.value("traits", nlohmann::json::object())),
                     g.value("t", millis{0})};
  p.first_message_id = j.value("first_message_id", "");
  p.first_source_id = j.value("first_source_id", "");
  p.last_message_id = j.value("last_message_id", "");
  p.last_source_id = j.value("last_source_id", "");
  p.merged_from = j.value("merged_from", std::vector<std::string>{});
  p.computed = traits_from(j.value("computed", nlohmann::json::object()));
  const nlohmann::json states = j.value("states", nlohmann::json::object());
  for (const auto& [k, st] : states.items()) p.trait_states[k] = trait_state_from_json(st);
  p.timer_due = j.value("timer", millis{0});
  p.audiences = traits_from(j.value("audiences", nlohmann::json::object()));
  return p;
}

}  // namespace tributary::profile
