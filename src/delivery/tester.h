#pragma once
//! Segment's Event Tester: would this event reach a destination, and exactly what request would
//! it receive — without sending anything.
#include <nlohmann/json.hpp>

#include "tributary/config/config.h"
#include "tributary/profile/profile.h"

namespace tributary::delivery {

//! `{"delivered": bool, "reason": "...", "request": {"method", "url", "headers": [{"name",
//! "value"}...], "body"}}`;
//! `request` is null when the event would not be delivered. Values of configured headers are
//! shown as "<redacted>" and the URL without its query, as they may hold secrets. `p` is the
//! profile the event resolves to (null: checks that need one say so).
nlohmann::json test_event(const config::config& cfg, const config::destination& d,
                          const nlohmann::ordered_json& event, const profile::profile* p,
                          millis now);

}  // namespace tributary::delivery
