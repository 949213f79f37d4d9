#include "delivery/policy.h"

#include <fmt/format.h>

#include <algorithm>

#include "processor/processor.h"
#include "processor/profile_view.h"
#include "tributary/expr/evaluate.h"
#include "tributary/transform/mapping.h"

namespace tributary::delivery {
namespace {

using nlohmann::ordered_json;

bool listed(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Engage events (audience and computed-trait changes) go only where they were asked for.
decision engage_rule(const config::destination& d, const ordered_json& event) {
  const auto* personas = &event["context"]["personas"];
  std::string cls = personas->value("computation_class", "");
  std::string key = personas->value("computation_key", "");
  std::string type = event.value("type", "");
  if (cls == "audience") {
    if (!listed(d.audiences, key)) return {false, "audience '" + key + "' is not in its audiences"};
    if (!listed(d.audience_delivery, type))
      return {false, "audience_delivery does not include " + type};
    return {};
  }
  if (cls == "trait") {
    if (!listed(d.computed_traits, key))
      return {false, "computed trait '" + key + "' is not in its computed_traits"};
    if (!listed(d.computed_trait_delivery, type))
      return {false, "computed_trait_delivery does not include " + type};
    return {};
  }
  return {false, "unknown computation_class '" + cls + "'"};
}

transform::condition_fn condition(const std::shared_ptr<const expr::program>& p) {
  if (!p) return {};
  return [p](const ordered_json& ev) { return expr::matches(*p, ev); };
}

std::vector<transform::filter> filters_of(const config::destination& d,
                                          const config::destination_programs& progs) {
  std::vector<transform::filter> out;
  for (std::size_t i = 0; i < d.filters.size(); ++i) {
    const auto& f = d.filters[i];
    auto cond =
        condition(i < progs.filter_conditions.size() ? progs.filter_conditions[i] : nullptr);
    using kind = config::destination_filter::kind;
    switch (f.type) {
      case kind::drop:
        out.emplace_back(transform::drop_filter{cond});
        break;
      case kind::sample: {
        transform::sample_filter s{cond, f.percent, std::nullopt};
        if (!f.path.empty()) s.path = f.path;
        out.emplace_back(std::move(s));
        break;
      }
      case kind::drop_properties:
        out.emplace_back(transform::drop_properties_filter{cond, f.fields});
        break;
      case kind::allow_properties:
        out.emplace_back(transform::allow_properties_filter{cond, f.fields});
        break;
    }
  }
  return out;
}

bool has_trait(const profile::profile& p, const std::string& key) {
  auto t = p.traits.find(key);
  if (t != p.traits.end() && !t->second.value.is_null()) return true;
  auto c = p.computed.find(key);
  return c != p.computed.end() && !c->second.value.is_null();
}

}  // namespace

bool subscribed(const config::destination& d, const processor::event_context& ctx) {
  if (ctx.record.source == processor::processor::kSynthesizedSource) return true;
  std::size_t index = static_cast<std::size_t>(&d - ctx.cfg.destinations.data());
  if (index >= ctx.cfg.routing.size()) return true;
  const auto& subscribe = ctx.cfg.routing[index].subscribe;
  return !subscribe || expr::matches(*subscribe, ctx.event);
}

decision decide(const config::destination& d, const processor::event_context& ctx,
                ordered_json& event, const transform::random_source& random) {
  const auto& cfg = ctx.cfg;
  std::size_t index = static_cast<std::size_t>(&d - cfg.destinations.data());
  if (index >= cfg.routing.size()) return {false, "destination is not in this configuration"};
  const auto& progs = cfg.routing[index];

  // Only the processor's own events (source "engage") are Engage events; a client's
  // context.personas is ordinary data.
  bool engage = ctx.record.source == processor::processor::kSynthesizedSource &&
                event.contains("context") && event["context"].is_object() &&
                event["context"].contains("personas") && event["context"]["personas"].is_object();
  if (engage) {
    if (auto r = engage_rule(d, event); !r.deliver) return r;
  } else if (progs.subscribe && !expr::matches(*progs.subscribe, event)) {
    return {false, "subscribe does not match"};
  }
  if (!d.filters.empty())
    if (auto dropped = transform::apply_filters(filters_of(d, progs), event, random))
      return {false, "dropped by " + *dropped};
  if (!d.require_traits.empty() || progs.profile_where) {
    if (!ctx.profile) return {false, "the event has no profile"};
    for (const auto& t : d.require_traits)
      if (!has_trait(*ctx.profile, t)) return {false, "the profile has no trait '" + t + "'"};
    if (progs.profile_where) {
      processor::profile_view view(*ctx.profile, progs.profile_where_terms, cfg, ctx.now);
      if (!expr::matches(*progs.profile_where, view)) return {false, "profile_where is false"};
    }
  }
  if (d.mapping) {
    try {
      auto mapped = transform::transform(*d.mapping, event);
      if (transform::is_undefined(mapped)) return {false, "the mapping produced nothing"};
      event = std::move(mapped);
    } catch (const transform::mapping_error& e) {
      return {false, fmt::format("the mapping failed: {}", e.what())};
    }
  }
  return {};
}

}  // namespace tributary::delivery
