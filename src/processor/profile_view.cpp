#include "processor/profile_view.h"

#include "traits/engine.h"
#include "tributary/common/time.h"

namespace tributary::processor {

nlohmann::json profile_view::traits_of(const profile::profile& p) {
  nlohmann::json traits = nlohmann::json::object();
  for (const auto& [k, t] : p.traits) traits[k] = t.value;
  for (const auto& [k, t] : p.computed)
    if (!k.starts_with("__")) traits[k] = t.value;
  return traits;
}

const nlohmann::json& profile_view::traits() const {
  if (!traits_) traits_ = traits_of(p_);
  return *traits_;
}

const nlohmann::json* profile_view::trait(const std::string& key) const {
  if (!key.starts_with("__"))
    if (auto c = p_.computed.find(key); c != p_.computed.end()) return &c->second.value;
  auto t = p_.traits.find(key);
  return t == p_.traits.end() ? nullptr : &t->second.value;
}

bool profile_view::in_audience(std::string_view key) const {
  return p_.audiences.count(std::string(key)) > 0;
}

std::string_view profile_view::user_id() const {
  for (const auto& e : p_.ids)
    if (e.type == "user_id") return e.value;
  return {};
}

std::vector<std::string_view> profile_view::anonymous_ids() const {
  std::vector<std::string_view> out;
  for (const auto& e : p_.ids)
    if (e.type == "anonymous_id") out.push_back(e.value);
  return out;
}

const config::computed_trait* profile_view::def(std::size_t i) const {
  if (i >= terms_.size()) return nullptr;
  for (const auto& d : cfg_.computed_traits)
    if (d.key == terms_[i]) return &d;
  return nullptr;
}

expr::value profile_view::history(std::size_t i) const {
  const config::computed_trait* d = def(i);
  if (!d) return {};
  auto it = p_.computed.find(d->key);
  if (d->type == config::trait_type::event_count)
    return expr::value::number(it == p_.computed.end() || !it->second.value.is_number()
                                   ? 0.0
                                   : it->second.value.get<double>());
  if (it == p_.computed.end() || !it->second.value.is_string()) return {};
  auto t = parse_iso8601(it->second.value.get_ref<const std::string&>());
  return t ? expr::value::time(*t) : expr::value();
}

std::optional<millis> profile_view::history_next_change(std::size_t i) const {
  const config::computed_trait* d = def(i);
  if (!d || d->window <= 0) return std::nullopt;
  auto it = p_.trait_states.find(d->key);
  static const profile::trait_state kEmpty;
  return traits::next_change(*d, it == p_.trait_states.end() ? kEmpty : it->second, p_, now_);
}

}  // namespace tributary::processor
