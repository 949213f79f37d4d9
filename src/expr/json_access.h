#pragma once
//! Reading document nodes of either nlohmann flavor as values, without copying.
#include <nlohmann/json.hpp>

#include <string>

#include "tributary/expr/value.h"

namespace tributary::expr {

//! The node as a value; strings, lists and objects borrow from it.
template <class Json>
value from_node(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean:
      return value::boolean(j.template get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return value::number(j.template get<double>());
    case Json::value_t::string:
      return value::string(j.template get_ref<const std::string&>());
    case Json::value_t::array:
    case Json::value_t::object:
      return value::node(j);
    default:
      return value::null();
  }
}

//! Calls f with the list/object node of v in its own flavor; v must be a list or object.
template <class F>
decltype(auto) with_node(const value& v, F&& f) {
  if (const auto* j = v.as_json()) return f(*j);
  return f(*v.as_ordered_json());
}

//! Follows path segments from root: object keys, or decimal indices into arrays. Missing → null.
template <class Json>
value lookup(const Json& root, const std::string* segments, std::size_t count) {
  const Json* cur = &root;
  for (std::size_t k = 0; k < count; ++k) {
    const std::string& seg = segments[k];
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return value::null();
      cur = &*it;
    } else if (cur->is_array()) {
      if (seg.empty() || seg.size() > 9) return value::null();
      std::size_t index = 0;
      for (char c : seg) {
        if (c < '0' || c > '9') return value::null();
        index = index * 10 + static_cast<std::size_t>(c - '0');
      }
      if (index >= cur->size()) return value::null();
      cur = &(*cur)[index];
    } else {
      return value::null();
    }
  }
  return from_node(*cur);
}

}  // namespace tributary::expr
