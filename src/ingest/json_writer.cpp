#include "ingest/json_writer.h"

#include "tributary/common/bytes.h"

#include <charconv>

namespace simdjson::internal {
char* to_chars(char* first, const char* last, double value);
}

namespace tributary::ingest {

void append_string(std::string& out, std::string_view s) {
  append_json_string(out, s);
}

void append_element(std::string& out, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  char buf[32];
  switch (e.type()) {
    case element_type::OBJECT: {
      out.push_back('{');
      bool first = true;
      simdjson::dom::object obj =
          e.get_object().value_unsafe();  // a copy: the result is a temporary
      for (auto field : obj) {
        append_key(out, field.key, first);
        append_element(out, field.value);
      }
      out.push_back('}');
      break;
    }
    case element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (auto item : arr) {
        if (!first) out.push_back(',');
        first = false;
        append_element(out, item);
      }
      out.push_back(']');
      break;
    }
    case element_type::STRING:
      append_string(out, e.get_string().value_unsafe());
      break;
    case element_type::INT64: {
      auto r = std::to_chars(buf, buf + sizeof buf, e.get_int64().value_unsafe());
      out.append(buf, r.ptr);
      break;
    }
    case element_type::UINT64: {
      auto r = std::to_chars(buf, buf + sizeof buf, e.get_uint64().value_unsafe());
      out.append(buf, r.ptr);
      break;
    }
    case element_type::DOUBLE: {
      char* end =
          simdjson::internal::to_chars(buf, buf + sizeof buf, e.get_double().value_unsafe());
      out.append(buf, end);
      break;
    }
    case element_type::BOOL:
      out += e.get_bool().value_unsafe() ? "true" : "false";
      break;
    case element_type::NULL_VALUE:
      out += "null";
      break;
  }
}

}  // namespace tributary::ingest
