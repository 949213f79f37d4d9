#pragma once
//! The result of evaluating an expression: a JSON-like value that mostly points into the
//! evaluated document instead of copying it, plus the profile-only kinds time and duration.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tributary/common/clock.h"

namespace tributary::expr {

//! What a value is. `typeof()` names them "null" "bool" "number" "string" "list" "object"
//! "time" "duration".
enum class kind : std::uint8_t { null, boolean, number, string, list, object, time, duration };

//! Name of a kind as `typeof()` returns it.
std::string_view kind_name(kind k);

//! One value. Cheap to copy. Strings, lists and objects usually *borrow*: they point into the
//! evaluated document, the program (literals) or the profile view, and are valid only as long
//! as those are. Values computed by a function (e.g. `lowercase`) own their storage.
class value {
 public:
  value() = default;  //!< null
  static value null() { return {}; }
  static value boolean(bool b);
  static value number(double d);
  static value string(std::string_view borrowed);
  static value owned_string(std::string s);
  static value time(millis t);
  static value duration(millis d);
  //! A list or object node of a document (borrowed).
  static value node(const nlohmann::json& j);
  static value node(const nlohmann::ordered_json& j);
  //! A list or object copied into the value.
  static value owned_node(nlohmann::json j);

  kind type() const { return kind_; }
  bool is_null() const { return kind_ == kind::null; }
  //! True only for the boolean `true` (how a value is read as a condition).
  bool is_true() const { return kind_ == kind::boolean && b_; }

  bool as_bool() const { return b_; }
  double as_number() const { return d_; }
  std::string_view as_string() const { return s_; }
  //! Milliseconds since the epoch (time) or a length of time (duration).
  millis as_millis() const { return ms_; }
  //! The list/object node, if it belongs to a document of that flavor (else nullptr).
  const nlohmann::json* as_json() const;
  const nlohmann::ordered_json* as_ordered_json() const;

 private:
  kind kind_ = kind::null;
  bool ordered_ = false;  //!< node_ is an ordered_json
  bool b_ = false;
  double d_ = 0;
  millis ms_ = 0;
  std::string_view s_;
  const void* node_ = nullptr;
  std::shared_ptr<const void> keep_;  //!< storage owned by this value, if any
};

//! Strict equality of FQL `=`: same kind and same value; lists element by element, objects
//! key by key in document order. A time equals an ISO-8601 string naming the same instant.
bool equal(const value& a, const value& b);

//! JSON form for printing: time → ISO-8601 string, duration → milliseconds, integral numbers
//! as integers.
nlohmann::json to_json(const value& v);

}  // namespace tributary::expr
