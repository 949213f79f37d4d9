#include "traits/engine.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "tributary/common/time.h"

namespace tributary::traits {

using config::trait_type;
using profile::trait_partial;
using profile::trait_state;

namespace {

constexpr millis kDay = 86'400'000;
constexpr millis kAllTime = 0;  // the one bucket of an unwindowed trait

const nlohmann::json* at_path(const nlohmann::json& ev, const std::vector<std::string>& path) {
  const nlohmann::json* cur = &ev;
  for (const auto& seg : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(seg);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::optional<double> as_number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

// The value an event contributes (property or timestamp); null if it has none.
nlohmann::json event_value(const computed_trait& d, const nlohmann::json& ev, millis ts) {
  if (d.value_timestamp) return format_iso8601(ts);
  if (d.property.empty()) return nullptr;
  const nlohmann::json* v = at_path(ev, d.property);
  return v ? *v : nlohmann::json();
}

millis bucket_of(const computed_trait& d, millis ts) {
  if (d.window <= 0) return kAllTime;
  millis w = bucket_width(d.window);
  millis q = ts / w;
  if (ts % w != 0 && ts < 0) --q;  // floor for times before 1970
  return q * w;
}

bool live(const computed_trait& d, millis bucket_start, millis now) {
  return d.window <= 0 || bucket_start + bucket_width(d.window) > now - d.window;
}

// Everything the live buckets add up to at `now`: the one live bucket itself when there is only
// one, else their sum, made in `scratch` (which must be empty).
const trait_partial& live_total(const computed_trait& d, const trait_state& st, millis now,
                                trait_partial& scratch) {
  const trait_partial* total = nullptr;
  for (const auto& [start, p] : st.buckets) {
    if (!live(d, start, now)) continue;
    if (!total) {
      total = &p;
      continue;
    }
    if (total != &scratch) {
      scratch = *total;
      total = &scratch;
    }
    scratch.merge(p);
  }
  return total ? *total : scratch;
}

nlohmann::json number_json(double v) {
  if (std::trunc(v) == v && std::fabs(v) < 9e15) return static_cast<std::int64_t>(v);
  return v;
}

std::optional<millis> trait_time(const profile::profile& p, const std::string& key) {
  auto it = p.traits.find(key);
  const nlohmann::json* v = nullptr;
  if (it != p.traits.end()) {
    v = &it->second.value;
  } else if (auto c = p.computed.find(key); c != p.computed.end()) {
    v = &c->second.value;
  }
  if (!v || !v->is_string()) return std::nullopt;
  return parse_iso8601(v->get_ref<const std::string&>());
}

millis floor_div(millis a, millis b) {
  millis q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::string_view event_name(const nlohmann::json& ev) {
  auto t = ev.find("type");
  if (t == ev.end() || !t->is_string()) return {};
  const auto& type = t->get_ref<const std::string&>();
  if (type == "track") {
    auto e = ev.find("event");
    return e != ev.end() && e->is_string() ? std::string_view(e->get_ref<const std::string&>())
                                           : std::string_view();
  }
  if (type == "page") return "Page Viewed";
  if (type == "screen") return "Screen Viewed";
  return {};
}

bool matches(const computed_trait& d, const nlohmann::json& ev) {
  if (d.type == trait_type::days_since) return false;
  std::string_view name = event_name(ev);
  if (name.empty()) return false;
  if (d.type == trait_type::score) {
    if (std::none_of(d.milestones.begin(), d.milestones.end(),
                     [&](const auto& m) { return m.first == name; }))
      return false;
  } else if (d.event != "*" && d.event != name) {
    return false;
  }
  return !d.where_fn || d.where_fn(ev);
}

millis bucket_width(millis window) {
  // The largest round width (they divide a UTC day, so buckets start on round times) of at most
  // window/256: at most 768 buckets per window.
  static constexpr millis kWidths[] = {86'400'000, 43'200'000, 21'600'000, 10'800'000, 7'200'000,
                                       3'600'000,  1'800'000,  600'000,    300'000,    60'000,
                                       30'000,     10'000,     5'000,      1'000};
  for (millis w : kWidths)
    if (w <= window / 256) return w;
  return 1'000;
}

bool observe(const computed_trait& d, trait_state& st, const nlohmann::json& ev, millis ts,
             std::uint64_t seq, millis now) {
  if (!matches(d, ev)) return false;
  millis b = bucket_of(d, ts);
  if (!live(d, b, now)) return false;
  nlohmann::json v = event_value(d, ev, ts);
  trait_partial one;
  switch (d.type) {
    case trait_type::event_count:
      one.count = 1;
      break;
    case trait_type::aggregate:
      if (auto n = as_number(v)) {
        one.numbers = 1;
        one.sum = one.min = one.max = *n;
      } else {
        return false;
      }
      break;
    case trait_type::most_frequent:
      if (v.is_null()) return false;
      one.frequency[v.dump()] = 1;
      break;
    case trait_type::unique_list:
    case trait_type::unique_list_count:
      if (v.is_null()) return false;
      one.distinct.insert(v.dump());
      break;
    case trait_type::score:
      one.distinct.insert(std::string(event_name(ev)));
      break;
    case trait_type::first:  // only the side the value is read from is kept
      if (v.is_null()) return false;
      one.first_at = std::pair{ts, seq};
      one.first_value = std::move(v);
      break;
    case trait_type::last:
      if (v.is_null()) return false;
      one.last_at = std::pair{ts, seq};
      one.last_value = std::move(v);
      break;
    case trait_type::days_since:
      return false;
  }
  return st.buckets[b].merge(one);
}

void expire(const computed_trait& d, trait_state& st, millis now) {
  if (d.window <= 0) return;
  for (auto it = st.buckets.begin(); it != st.buckets.end();)
    it = live(d, it->first, now) ? std::next(it) : st.buckets.erase(it);
}

nlohmann::json value(const computed_trait& d, const trait_state& st, const profile::profile& p,
                     millis now) {
  if (d.type == trait_type::days_since) {
    auto t = trait_time(p, d.trait);
    if (!t) return nullptr;
    return floor_div(now - *t, kDay);
  }
  trait_partial scratch;
  const trait_partial& total = live_total(d, st, now, scratch);
  switch (d.type) {
    case trait_type::event_count:
      return total.count;
    case trait_type::aggregate:
      if (total.numbers == 0) return nullptr;
      switch (d.function) {
        case config::aggregate_fn::sum:
          return number_json(total.sum);
        case config::aggregate_fn::avg:
          return number_json(total.sum / static_cast<double>(total.numbers));
        case config::aggregate_fn::min:
          return number_json(total.min);
        case config::aggregate_fn::max:
          return number_json(total.max);
      }
      return nullptr;
    case trait_type::most_frequent: {
      // At least two occurrences; ties go to the alphabetically first value.
      const std::string* best = nullptr;
      std::int64_t best_n = 1;
      for (const auto& [v, n] : total.frequency)
        if (n > best_n) {
          best = &v;
          best_n = n;
        }
      return best ? nlohmann::json::parse(*best) : nlohmann::json();
    }
    case trait_type::unique_list: {
      if (total.distinct.empty()) return nullptr;
      std::vector<nlohmann::json> values;
      for (const auto& v : total.distinct) values.push_back(nlohmann::json::parse(v));
      std::stable_sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
        std::string x = a.is_string() ? a.template get<std::string>() : a.dump();
        std::string y = b.is_string() ? b.template get<std::string>() : b.dump();
        return x < y;
      });
      return nlohmann::json(values);
    }
    case trait_type::unique_list_count:
      return static_cast<std::int64_t>(total.distinct.size());
    case trait_type::score: {
      double points = 0;
      for (const auto& [name, w] : d.milestones)
        if (total.distinct.count(name)) points += w;
      return number_json(points);
    }
    case trait_type::first:
      return total.first_at ? total.first_value : nlohmann::json();
    case trait_type::last:
      return total.last_at ? total.last_value : nlohmann::json();
    case trait_type::days_since:
      break;
  }
  return nullptr;
}

std::optional<millis> next_change(const computed_trait& d, const trait_state& st,
                                  const profile::profile& p, millis now) {
  if (d.type == trait_type::days_since) {
    auto t = trait_time(p, d.trait);
    if (!t) return std::nullopt;
    return *t + (floor_div(now - *t, kDay) + 1) * kDay;
  }
  if (d.window <= 0) return std::nullopt;
  for (const auto& [start, p2] : st.buckets)
    if (live(d, start, now)) return start + bucket_width(d.window) + d.window;
  return std::nullopt;
}

std::vector<change> refresh(const std::vector<computed_trait>& defs, profile::profile& p,
                            millis now) {
  std::vector<change> out;
  static const trait_state kEmpty;
  for (const auto& d : defs) {
    const trait_state* st = &kEmpty;
    if (auto it = p.trait_states.find(d.key); it != p.trait_states.end()) {
      expire(d, it->second, now);
      st = &it->second;
    }
    nlohmann::json v = value(d, *st, p, now);
    auto cur = p.computed.find(d.key);
    if (cur == p.computed.end() ? v.is_null() : v == cur->second.value) continue;
    nlohmann::json before;
    if (cur == p.computed.end()) {
      p.computed.emplace(d.key, profile::trait_value{v, now, "computed"});
    } else {
      before = std::move(cur->second.value);
      if (v.is_null())
        p.computed.erase(cur);
      else
        cur->second = {v, now, "computed"};
    }
    out.push_back({d.key, std::move(before), std::move(v)});
  }
  return out;
}

std::optional<millis> next_due(const std::vector<computed_trait>& defs, const profile::profile& p,
                               millis now) {
  std::optional<millis> due;
  static const trait_state kEmpty;
  for (const auto& d : defs) {
    if (!d.time_dependent()) continue;
    auto it = p.trait_states.find(d.key);
    auto t = next_change(d, it == p.trait_states.end() ? kEmpty : it->second, p, now);
    if (t && (!due || *t < *due)) due = t;
  }
  return due;
}

}  // namespace tributary::traits
