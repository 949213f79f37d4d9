// JSON.stringify and Number#toString with JavaScript's exact output (see js_json.h).
#include "tributary/transform/js_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "transform/utf.h"

namespace tributary::transform {
namespace {

constexpr char kHex[] = "0123456789abcdef";

//! A key JS orders first: a canonical array index, "0" ... "4294967294".
std::optional<std::uint32_t> array_index(std::string_view key) {
  if (key.empty() || key.size() > 10) return std::nullopt;
  if (key.size() > 1 && key[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 4294967294ULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

void write_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
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
        default:
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
      }
      ++i;
      continue;
    }
    const auto d = utf::decode(s, i, true);
    if (d.cp >= 0xD800 && d.cp <= 0xDBFF && i + d.len < s.size()) {
      // A high surrogate written as WTF-8 right before a low one: JS sees one character.
      const auto next = utf::decode(s, i + d.len, true);
      if (next.cp >= 0xDC00 && next.cp <= 0xDFFF) {
        utf::append_utf8(out, 0x10000 + ((d.cp - 0xD800) << 10) + (next.cp - 0xDC00));
        i += d.len + next.len;
        continue;
      }
    }
    if (d.cp >= 0xD800 && d.cp <= 0xDFFF) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(d.cp >> shift) & 0xF]);
    } else if (d.len == 1 || d.cp == 0xFFFD) {
      utf::append_utf8(out, d.cp);
    } else {
      out.append(s.substr(i, d.len));
    }
    i += d.len;
  }
  out.push_back('"');
}

void write_number(std::string& out, const ordered_json& v) {
  constexpr std::int64_t kExact = std::int64_t{1} << 53;
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    const auto i = v.get<std::int64_t>();
    if (i >= -kExact && i <= kExact) {
      out += std::to_string(i);
      return;
    }
  } else if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(kExact)) {
      out += std::to_string(u);
      return;
    }
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  out += number_to_string(d);
}

void write_value(std::string& out, const ordered_json& v);

void write_object(std::string& out, const ordered_json& v) {
  out.push_back('{');
  bool first = true;
  auto member = [&](const std::string& key, const ordered_json& value) {
    if (value.is_discarded()) return;
    if (!first) out.push_back(',');
    first = false;
    write_string(out, key);
    out.push_back(':');
    write_value(out, value);
  };
  std::vector<std::pair<std::uint32_t, const ordered_json::object_t::value_type*>> indexed;
  for (const auto& kv : *v.get_ptr<const ordered_json::object_t*>()) {
    if (auto idx = array_index(kv.first)) indexed.emplace_back(*idx, &kv);
  }
  if (indexed.empty()) {
    for (const auto& kv : *v.get_ptr<const ordered_json::object_t*>()) member(kv.first, kv.second);
  } else {
    std::sort(indexed.begin(), indexed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [idx, kv] : indexed) member(kv->first, kv->second);
    for (const auto& kv : *v.get_ptr<const ordered_json::object_t*>()) {
      if (!array_index(kv.first)) member(kv.first, kv.second);
    }
  }
  out.push_back('}');
}

void write_value(std::string& out, const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::null:
      out += "null";
      break;
    case ordered_json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case ordered_json::value_t::string:
      write_string(out, *v.get_ptr<const std::string*>());
      break;
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned:
    case ordered_json::value_t::number_float:
      write_number(out, v);
      break;
    case ordered_json::value_t::object:
      write_object(out, v);
      break;
    case ordered_json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        if (e.is_discarded()) {
          out += "null";
        } else {
          write_value(out, e);
        }
      }
      out.push_back(']');
      break;
    }
    case ordered_json::value_t::binary:
      out += "{}";
      break;
    case ordered_json::value_t::discarded:
      out += "null";
      break;
  }
}

}  // namespace

std::string number_to_string(double value) {
  if (std::isnan(value)) return "NaN";
  if (value == 0) return "0";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));  // [-]d[.ddd]e[+-]xx
  std::string out;
  if (sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const auto epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos)) {
    if (c != '.') digits.push_back(c);
  }
  int e = 0;
  std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  e);
  const int k = static_cast<int>(digits.size());
  const int n = e + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string stringify(const ordered_json& value) {
  std::string out;
  if (value.is_discarded()) return out;
  write_value(out, value);
  return out;
}
}  // namespace tributary::transform
