#include "tributary/expr/value.h"

#include <cmath>
#include <cstdint>

#include "expr/json_access.h"
#include "tributary/common/time.h"

namespace tributary::expr {

std::string_view kind_name(kind k) {
  switch (k) {
    case kind::null:
      return "null";
    case kind::boolean:
      return "bool";
    case kind::number:
      return "number";
    case kind::string:
      return "string";
    case kind::list:
      return "list";
    case kind::object:
      return "object";
    case kind::time:
      return "time";
    case kind::duration:
      return "duration";
  }
  return "null";
}

value value::boolean(bool b) {
  value v;
  v.kind_ = kind::boolean;
  v.b_ = b;
  return v;
}

value value::number(double d) {
  value v;
  v.kind_ = kind::number;
  v.d_ = d;
  return v;
}

value value::string(std::string_view borrowed) {
  value v;
  v.kind_ = kind::string;
  v.s_ = borrowed;
  return v;
}

value value::owned_string(std::string s) {
  auto keep = std::make_shared<const std::string>(std::move(s));
  value v = string(*keep);
  v.keep_ = std::move(keep);
  return v;
}

value value::time(millis t) {
  value v;
  v.kind_ = kind::time;
  v.ms_ = t;
  return v;
}

value value::duration(millis d) {
  value v;
  v.kind_ = kind::duration;
  v.ms_ = d;
  return v;
}

value value::node(const nlohmann::json& j) {
  value v;
  v.kind_ = j.is_array() ? kind::list : j.is_object() ? kind::object : kind::null;
  if (v.kind_ != kind::null) v.node_ = &j;
  return v;
}

value value::node(const nlohmann::ordered_json& j) {
  value v;
  v.kind_ = j.is_array() ? kind::list : j.is_object() ? kind::object : kind::null;
  if (v.kind_ != kind::null) {
    v.node_ = &j;
    v.ordered_ = true;
  }
  return v;
}

value value::owned_node(nlohmann::json j) {
  if (j.is_string()) return owned_string(j.get<std::string>());
  if (!j.is_array() && !j.is_object()) return from_node(j);  // scalars borrow nothing
  auto keep = std::make_shared<const nlohmann::json>(std::move(j));
  value v = node(*keep);
  v.keep_ = std::move(keep);
  return v;
}

const nlohmann::json* value::as_json() const {
  if ((kind_ != kind::list && kind_ != kind::object) || ordered_) return nullptr;
  return static_cast<const nlohmann::json*>(node_);
}

const nlohmann::ordered_json* value::as_ordered_json() const {
  if ((kind_ != kind::list && kind_ != kind::object) || !ordered_) return nullptr;
  return static_cast<const nlohmann::ordered_json*>(node_);
}

namespace {

template <class A, class B>
bool equal_nodes(const A& a, const B& b) {
  if (a.size() != b.size()) return false;
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!equal(from_node(a[i]), from_node(b[i]))) return false;
    return true;
  }
  // Objects compare key by key in document order, like comparing their serialized forms.
  auto ib = b.begin();
  for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib)
    if (ia.key() != ib.key() || !equal(from_node(ia.value()), from_node(ib.value()))) return false;
  return true;
}

template <class Json>
nlohmann::json copy_node(const Json& j) {
  if constexpr (std::is_same_v<Json, nlohmann::json>) {
    return j;
  } else {
    switch (j.type()) {
      case Json::value_t::array: {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& x : j) out.push_back(copy_node(x));
        return out;
      }
      case Json::value_t::object: {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = copy_node(it.value());
        return out;
      }
      case Json::value_t::string:
        return j.template get<std::string>();
      case Json::value_t::boolean:
        return j.template get<bool>();
      case Json::value_t::number_integer:
        return j.template get<std::int64_t>();
      case Json::value_t::number_unsigned:
        return j.template get<std::uint64_t>();
      case Json::value_t::number_float:
        return j.template get<double>();
      default:
        return nullptr;
    }
  }
}

}  // namespace

bool equal(const value& a, const value& b) {
  if (a.type() == kind::time && b.type() == kind::string) {
    auto t = parse_iso8601(b.as_string());
    return t && *t == a.as_millis();
  }
  if (a.type() == kind::string && b.type() == kind::time) return equal(b, a);
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case kind::null:
      return true;
    case kind::boolean:
      return a.as_bool() == b.as_bool();
    case kind::number:
      return a.as_number() == b.as_number();
    case kind::string:
      return a.as_string() == b.as_string();
    case kind::time:
    case kind::duration:
      return a.as_millis() == b.as_millis();
    case kind::list:
    case kind::object:
      return with_node(a, [&](const auto& ja) {
        return with_node(b, [&](const auto& jb) { return equal_nodes(ja, jb); });
      });
  }
  return false;
}

nlohmann::json to_json(const value& v) {
  switch (v.type()) {
    case kind::null:
      return nullptr;
    case kind::boolean:
      return v.as_bool();
    case kind::number: {
      const double d = v.as_number();
      if (d == std::trunc(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
      return d;
    }
    case kind::string:
      return std::string(v.as_string());
    case kind::time:
      return format_iso8601(v.as_millis());
    case kind::duration:
      return v.as_millis();
    case kind::list:
    case kind::object:
      return with_node(v, [](const auto& j) { return copy_node(j); });
  }
  return nullptr;
}

}  // namespace tributary::expr
