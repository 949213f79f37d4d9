#pragma once
//! Which events a destination receives, Segment's way, after the `integrations` object: the
//! Engage events it asked for (audiences, computed traits) or its `subscribe` expression, then
//! its filters in order, `require_traits`, `profile_where` and finally its mapping.
#include <nlohmann/json.hpp>

#include "delivery/router_stage.h"
#include "tributary/transform/filters.h"

namespace tributary::delivery {

//! The decision for one event and one destination of `ctx.cfg`; `event` is left as it would
//! be sent (filtered, mapped). `random` drives sampling without a path.
decision decide(const config::destination& d, const processor::event_context& ctx,
                nlohmann::ordered_json& event, const transform::random_source& random);

//! False when `subscribe` already rules the event out, evaluated on the processor's own parse
//! of it (`ctx.event`): decide() would say no. True for Engage events, which decide() judges.
bool subscribed(const config::destination& d, const processor::event_context& ctx);

}  // namespace tributary::delivery
