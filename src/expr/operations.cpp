#include "expr/operations.h"

#include "expr/json_access.h"
#include "expr/text.h"
#include "tributary/common/time.h"

namespace tributary::expr {

millis floor_div(millis a, millis b) {
  millis q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

std::optional<millis> as_time(const value& v) {
  if (v.type() == kind::time) return v.as_millis();
  if (v.type() == kind::string) return parse_iso8601(v.as_string());
  return std::nullopt;
}

namespace {

//! -1, 0 or 1 when a and b are ordered against each other, else nullopt.
std::optional<int> ordering(const value& a, const value& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : x > y ? 1 : 0; };
  if (a.type() == kind::number && b.type() == kind::number)
    return sign(a.as_number(), b.as_number());
  if (a.type() == kind::duration && b.type() == kind::duration)
    return sign(a.as_millis(), b.as_millis());
  if (a.type() == kind::time || b.type() == kind::time) {
    auto ta = as_time(a), tb = as_time(b);
    if (ta && tb) return sign(*ta, *tb);
  }
  return std::nullopt;
}

//! v as a time when it is one, or an ISO string next to a time or duration.
std::optional<millis> time_operand(const value& v, const value& other) {
  if (v.type() == kind::time) return v.as_millis();
  if (v.type() == kind::string && (other.type() == kind::time || other.type() == kind::duration))
    return parse_iso8601(v.as_string());
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE" || s == "t" || s == "T" || s == "1") return true;
  if (s == "false" || s == "False" || s == "FALSE" || s == "f" || s == "F" || s == "0")
    return false;
  return std::nullopt;
}

value string_function(fn f, std::string_view s) {
  switch (f) {
    case fn::lowercase:
      return value::owned_string(to_lowercase(s));
    case fn::uppercase:
      return value::owned_string(to_uppercase(s));
    case fn::snakecase:
      return value::owned_string(to_snakecase(s));
    case fn::kebabcase:
      return value::owned_string(to_kebabcase(s));
    default:
      return value::owned_string(to_titlecase(s));
  }
}

}  // namespace

bool compare(op o, const value& a, const value& b, mode m, bool null_literal) {
  if (m == mode::profile && !null_literal && (a.is_null() || b.is_null())) return false;
  if (o == op::eq) return equal(a, b);
  if (o == op::ne) return !equal(a, b);
  auto rel = ordering(a, b);
  if (!rel) return false;
  switch (o) {
    case op::lt:
      return *rel < 0;
    case op::le:
      return *rel <= 0;
    case op::gt:
      return *rel > 0;
    case op::ge:
      return *rel >= 0;
    default:
      return false;
  }
}

bool contains_item(const value& list, const value& item) {
  if (list.type() != kind::list) return false;
  return with_node(list, [&](const auto& j) {
    for (const auto& element : j)
      if (equal(from_node(element), item)) return true;
    return false;
  });
}

value arithmetic(op o, const value& a, const value& b) {
  const bool add = o == op::add;
  if (a.type() == kind::number && b.type() == kind::number)
    return value::number(add ? a.as_number() + b.as_number() : a.as_number() - b.as_number());
  if (a.type() == kind::duration && b.type() == kind::duration)
    return value::duration(add ? a.as_millis() + b.as_millis() : a.as_millis() - b.as_millis());
  if (b.type() == kind::duration) {  // time ± duration
    auto t = time_operand(a, b);
    if (t) return value::time(add ? *t + b.as_millis() : *t - b.as_millis());
    return value::null();
  }
  if (add && a.type() == kind::duration) {  // duration + time
    auto t = time_operand(b, a);
    if (t) return value::time(*t + a.as_millis());
    return value::null();
  }
  if (!add) {  // time - time
    auto ta = time_operand(a, b), tb = time_operand(b, a);
    if (ta && tb) return value::duration(*ta - *tb);
  }
  return value::null();
}

value call_function(fn f, const value* args, millis now) {
  const value& x = args[0];
  switch (f) {
    case fn::contains:
      return value::boolean(x.type() == kind::string && args[1].type() == kind::string &&
                            x.as_string().find(args[1].as_string()) != std::string_view::npos);
    case fn::match:
      return value::boolean(x.type() == kind::string && args[1].type() == kind::string &&
                            glob_match(args[1].as_string(), x.as_string()));
    case fn::length:
      switch (x.type()) {
        case kind::null:
          return value::number(0);
        case kind::string:
          return value::number(static_cast<double>(x.as_string().size()));
        case kind::list:
          return with_node(x, [](const auto& j) { return value::number(double(j.size())); });
        default:
          return value::null();
      }
    case fn::lowercase:
    case fn::uppercase:
    case fn::snakecase:
    case fn::kebabcase:
    case fn::titlecase:
      return x.type() == kind::string ? string_function(f, x.as_string()) : value::null();
    case fn::type_of:
      return value::string(kind_name(x.type()));
    case fn::to_bool:
      switch (x.type()) {
        case kind::null:
          return value::boolean(false);
        case kind::boolean:
          return x;
        case kind::number:
          return value::boolean(x.as_number() != 0);
        case kind::string: {
          auto b = parse_bool(x.as_string());
          return b ? value::boolean(*b) : value::null();
        }
        case kind::list:
          return with_node(x, [](const auto& j) { return value::boolean(!j.empty()); });
        default:
          return value::null();
      }
    case fn::to_string:
      switch (x.type()) {
        case kind::null:
          return value::string("null");
        case kind::boolean:
          return value::string(x.as_bool() ? "true" : "false");
        case kind::number:
          return value::owned_string(format_number(x.as_number()));
        case kind::string:
          return x;
        case kind::time:
          return value::owned_string(format_iso8601(x.as_millis()));
        case kind::duration:
          return value::owned_string(format_number(static_cast<double>(x.as_millis())));
        case kind::list:
        case kind::object:
          return value::owned_string(to_json(x).dump());
      }
      return value::null();
    case fn::to_number:
      if (x.type() == kind::number) return x;
      if (x.type() == kind::string) {
        auto d = parse_number(x.as_string());
        return d ? value::number(*d) : value::null();
      }
      return value::null();
    case fn::days_since: {
      auto t = as_time(x);
      if (!t) return value::null();
      return value::number(static_cast<double>(floor_div(now - *t, kDay)));
    }
    case fn::none:
      break;
  }
  return value::null();
}

}  // namespace tributary::expr
