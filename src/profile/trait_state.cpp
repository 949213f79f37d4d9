#include "tributary/profile/trait_state.h"

#include <algorithm>

namespace tributary::profile {

bool trait_partial::merge(const trait_partial& o) {
  bool changed = o.count != 0 || o.numbers != 0 || !o.frequency.empty();
  count += o.count;
  sum += o.sum;
  if (o.numbers > 0) {
    min = numbers > 0 ? std::min(min, o.min) : o.min;
    max = numbers > 0 ? std::max(max, o.max) : o.max;
  }
  numbers += o.numbers;
  for (const auto& [v, n] : o.frequency) frequency[v] += n;
  for (const auto& v : o.distinct) changed |= distinct.insert(v).second;
  if (o.first_at && (!first_at || *o.first_at < *first_at)) {
    first_at = o.first_at;
    first_value = o.first_value;
    changed = true;
  }
  if (o.last_at && (!last_at || *o.last_at > *last_at)) {
    last_at = o.last_at;
    last_value = o.last_value;
    changed = true;
  }
  return changed;
}

void trait_state::merge(const trait_state& o) {
  for (const auto& [start, p] : o.buckets) buckets[start].merge(p);
}

namespace {

nlohmann::json partial_json(const trait_partial& p) {
  nlohmann::json j = nlohmann::json::object();
  if (p.count) j["c"] = p.count;
  if (p.numbers) j["n"] = {p.numbers, p.sum, p.min, p.max};
  if (!p.frequency.empty()) j["f"] = p.frequency;
  if (!p.distinct.empty()) j["d"] = p.distinct;
  if (p.first_at) j["first"] = {p.first_at->first, p.first_at->second, p.first_value};
  if (p.last_at) j["last"] = {p.last_at->first, p.last_at->second, p.last_value};
  return j;
}

trait_partial partial_from(const nlohmann::json& j) {
  trait_partial p;
  p.count = j.value("c", std::int64_t{0});
  if (auto n = j.find("n"); n != j.end() && n->is_array() && n->size() == 4) {
    p.numbers = (*n)[0].get<std::int64_t>();
    p.sum = (*n)[1].get<double>();
    p.min = (*n)[2].get<double>();
    p.max = (*n)[3].get<double>();
  }
  if (auto f = j.find("f"); f != j.end())
    p.frequency = f->get<std::map<std::string, std::int64_t>>();
  if (auto d = j.find("d"); d != j.end()) p.distinct = d->get<std::set<std::string>>();
  if (auto f = j.find("first"); f != j.end() && f->is_array() && f->size() == 3) {
    p.first_at = {(*f)[0].get<millis>(), (*f)[1].get<std::uint64_t>()};
    p.first_value = (*f)[2];
  }
  if (auto l = j.find("last"); l != j.end() && l->is_array() && l->size() == 3) {
    p.last_at = {(*l)[0].get<millis>(), (*l)[1].get<std::uint64_t>()};
    p.last_value = (*l)[2];
  }
  return p;
}

}  // namespace

nlohmann::json to_json(const trait_state& s) {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& [start, p] : s.buckets) b.push_back({start, partial_json(p)});
  return {{"f", s.fingerprint}, {"b", std::move(b)}};
}

trait_state trait_state_from_json(const nlohmann::json& j) {
  trait_state s;
  s.fingerprint = j.value("f", "");
  if (auto b = j.find("b"); b != j.end() && b->is_array())
    for (const auto& e : *b)
      if (e.is_array() && e.size() == 2) s.buckets[e[0].get<millis>()] = partial_from(e[1]);
  return s;
}

}  // namespace tributary::profile
