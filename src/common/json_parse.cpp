#include "tributary/common/json_parse.h"

#include <simdjson.h>

#include <string>

namespace tributary {
namespace {

// `zero`: set when an integer 0 is met (it may have been written "-0").
template <class Json>
Json convert(simdjson::dom::element e, bool& zero) {
  using type = simdjson::dom::element_type;
  switch (e.type()) {
    case type::OBJECT: {
      Json j = Json::object();
      for (auto [key, value] : simdjson::dom::object(e))
        j[std::string(key)] = convert<Json>(value, zero);
      return j;
    }
    case type::ARRAY: {
      Json j = Json::array();
      auto& a = j.template get_ref<typename Json::array_t&>();
      for (auto value : simdjson::dom::array(e)) a.push_back(convert<Json>(value, zero));
      return j;
    }
    case type::STRING:
      return Json(std::string(std::string_view(e)));
    case type::INT64: {
      std::int64_t v = e.get_int64().value_unsafe();
      zero = zero || v == 0;
      if (v >= 0) return Json(static_cast<std::uint64_t>(v));  // as nlohmann's lexer
      return Json(v);
    }
    case type::UINT64:
      return Json(e.get_uint64().value_unsafe());
    case type::DOUBLE:
      return Json(e.get_double().value_unsafe());
    case type::BOOL:
      return Json(e.get_bool().value_unsafe());
    case type::NULL_VALUE:
      break;
  }
  return Json(nullptr);
}

// "-0" as a whole number: nlohmann keeps it a signed integer, which simdjson's 0 cannot tell.
bool has_negative_zero(std::string_view text) {
  for (auto at = text.find("-0"); at != std::string_view::npos; at = text.find("-0", at + 2)) {
    char next = at + 2 < text.size() ? text[at + 2] : ' ';
    if (next != '.' && next != 'e' && next != 'E' && (next < '0' || next > '9')) return true;
  }
  return false;
}

template <class Json>
Json parse(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  thread_local std::string padded;
  padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(text);
  auto doc = parser.parse(padded.data(), text.size(), false);
  if (doc.error()) return Json::parse(text, nullptr, false);
  bool zero = false;
  Json j = convert<Json>(doc.value_unsafe(), zero);
  if (zero && has_negative_zero(text)) return Json::parse(text, nullptr, false);
  return j;
}

}  // namespace

nlohmann::json parse_json(std::string_view text) {
  return parse<nlohmann::json>(text);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text) {
  return parse<nlohmann::ordered_json>(text);
}

}  // namespace tributary
