#pragma once
//! A compiled tracking plan (Segment Protocols): schemas per event, identify and group traits,
//! a common schema over the whole message, and what to do with what does not conform.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tributary::protocols {

//! JSON value kinds a schema may allow (bit set).
enum type_bit : std::uint16_t {
  t_string = 1,
  t_number = 2,
  t_integer = 4,
  t_boolean = 8,
  t_object = 16,
  t_array = 32,
  t_null = 64,
  t_any = 0x7f,
};

//! One allowed value of an `enum`.
struct enum_value {
  enum class kind { string, number, boolean, null } k = kind::string;
  std::string s;
  double d = 0;
  bool b = false;
};

//! One node of a schema: the rules for one value. Built once per config load; read-only after.
struct schema {
  std::uint16_t types = t_any;
  bool required = false;
  std::vector<enum_value> enum_values;  //!< empty = any value
  std::string pattern_text;
  std::optional<std::regex> pattern;  //!< ECMAScript, searched (not anchored)
  std::string format;                 //!< "date-time", "date", "email", "uri" or ""
  std::optional<double> minimum, maximum;
  std::optional<std::size_t> min_length, max_length;  //!< in characters, strings only
  std::map<std::string, schema> properties;           //!< for objects; empty = any keys
  bool has_properties = false;                        //!< `properties:` was given
  std::shared_ptr<schema> items;                      //!< for arrays
};

enum class unplanned_events_mode { allow, block };
enum class unplanned_properties_mode { allow, omit };
enum class violations_mode { flag, omit, block };

struct plan {
  std::unordered_map<std::string, schema> events;  //!< event name → schema of `properties`
  std::optional<schema> identify_traits;
  std::optional<schema> group_traits;
  std::optional<schema> common;  //!< over the whole message
  unplanned_events_mode unplanned_events = unplanned_events_mode::allow;
  unplanned_properties_mode unplanned_properties = unplanned_properties_mode::allow;
  violations_mode violations = violations_mode::flag;
  std::unordered_map<std::string, std::string> rename_events;
  //! event name (after renaming) → old property name → new name
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> rename_properties;
  bool forward_violations = false;
};

}  // namespace tributary::protocols
