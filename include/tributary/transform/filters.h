#pragma once
//! Segment destination filters: an ordered list of drop / sample / drop-properties /
//! allow-properties rules applied to one event before it goes to a destination.
//!
//! The structs are plain: the config loader builds them (and compiles each `if` with the FQL
//! engine into a condition), then checks them once with validate_filters(). apply_filters() is
//! a pure function of the list, the event and the random source; call it from any thread.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tributary::transform {

using ordered_json = nlohmann::ordered_json;

//! A filter's `if`: true when the filter applies to the event. An empty function means `all`.
//! Should not throw; if it does, the event is dropped (Segment drops what a filter cannot
//! evaluate) and apply_filters() names the error.
using condition_fn = std::function<bool(const ordered_json& event)>;

//! Uniform random numbers in [0, 1), for sampling without a path.
using random_source = std::function<double()>;

//! `drop`: the event is not sent when the condition holds ("only send" is a drop of the negated
//! condition).
struct drop_filter {
  condition_fn condition;  //!< the `if`. Default: all
};

//! `sample`: keep only a share of the events the condition holds for.
struct sample_filter {
  condition_fn condition;  //!< the `if`. Default: all
  //! Share of events kept, in percent (0-100; Segment's API writes 0-1). 0 or less drops every
  //! event, 100 or more keeps every event. Default: 100
  double percent = 100;
  //! Dot path of the value that makes sampling consistent (e.g. "userId", "properties.plan";
  //! a leading "$." is allowed): an event is kept when MD5 of JSON.stringify(value), first 8
  //! bytes as a big-endian integer / 2^64, is below percent / 100. The same value is always
  //! kept or always dropped, and a larger percent keeps a superset. A missing value hashes the
  //! text "undefined". Default: none (each event is sampled at random)
  std::optional<std::string> path;
};

//! `drop_properties`: deletes fields. Each field is a dot path: the last segment is the key and
//! the rest the path of the object holding it ("userId" is a top-level key, "context.ip" the key
//! `ip` of `context`). When the holder is an array the key is deleted from each element object;
//! a holder that is missing or not an object is ignored.
struct drop_properties_filter {
  condition_fn condition;           //!< the `if`. Default: all
  std::vector<std::string> fields;  //!< dot paths; must not be empty
};

//! `allow_properties`: each object named by a field's parent path keeps only the keys listed for
//! it (fields with the same parent are grouped), per element for arrays. At the top level,
//! `type`, `messageId`, `timestamp` and `receivedAt` are always kept.
struct allow_properties_filter {
  condition_fn condition;           //!< the `if`. Default: all
  std::vector<std::string> fields;  //!< dot paths; must not be empty
};

using filter =
    std::variant<drop_filter, sample_filter, drop_properties_filter, allow_properties_filter>;

//! Problems of a filter list, one per line ("filters[2] drop_properties: ..."), or nullopt.
//! Refuses: dropping or allowing `type`, `messageId`, `timestamp` or `receivedAt` at the top
//! level, an empty field list, empty path segments, a percent that is not a number in 0-100, an
//! empty sample path.
std::optional<std::string> validate_filters(const std::vector<filter>& filters);

//! Applies the filters in order, editing `event` in place, and stops at the first that drops
//! it. Returns which one dropped the event ("filters[0] drop", "filters[1] sample",
//! "filters[2] drop_properties: condition failed: ...") or nullopt when it is to be sent.
std::optional<std::string> apply_filters(const std::vector<filter>& filters, ordered_json& event,
                                         const random_source& random);

//! The consistent-sampling position of `value`: MD5 of JSON.stringify(value), first 8 bytes
//! big-endian / 2^64, rounded to a double (a discarded value, i.e. undefined, hashes
//! "undefined"). apply_filters() compares the exact quotient.
double sample_position(const ordered_json& value);

//! A random_source backed by a per-thread Mersenne Twister seeded from std::random_device.
random_source default_random_source();

}  // namespace tributary::transform
