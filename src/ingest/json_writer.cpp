#include "ingest/json_writer.h"

#include <charconv>

namespace simdjson::internal {
char* to_chars(char* first, const char* last, double value);
}

namespace tributary::ingest {

void append_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + start, s.size() - start);
  out.push_back('"');
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
