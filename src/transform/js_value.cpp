// JavaScript value semantics for the mapping-kit port (see js_value.h).
#include "transform/js_value.h"

#include <cmath>
#include <cstdint>

#include "transform/utf.h"

namespace tributary::transform::js {
namespace {

//! A canonical array index ("0", "1", ... no sign, no leading zero) below `limit`.
std::optional<std::size_t> index_below(const std::string& key, std::size_t limit) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v >= limit) return std::nullopt;
  return static_cast<std::size_t>(v);
}

bool is_js_space(char32_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

//! `String#trim`.
std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  while (b < s.size()) {
    const auto d = utf::decode(s, b, true);
    if (!is_js_space(d.cp)) break;
    b += d.len;
  }
  std::size_t e = s.size();
  while (e > b) {
    std::size_t start = e - 1;  // back up to the lead byte of the last character
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    const auto d = utf::decode(s, start, true);
    if (start + d.len != e || !is_js_space(d.cp)) break;
    e = start;
  }
  return s.substr(b, e - b);
}

//! One regex pass of the renderer: `open` + one or more non-'}' + `close`, left to right.
std::string replace_placeholders(std::string_view s, std::string_view open, std::string_view close,
                                 const ordered_json& data) {
  std::string out;
  std::size_t i = 0, copied = 0;
  while (i + open.size() <= s.size()) {
    if (s.substr(i, open.size()) != open) {
      ++i;
      continue;
    }
    std::size_t k = i + open.size();
    while (k < s.size() && s[k] != '}') ++k;
    if (k == i + open.size() || s.substr(k, close.size()) != close) {
      ++i;
      continue;
    }
    out.append(s.substr(copied, i - copied));
    const std::string key(trim(s.substr(i + open.size(), k - i - open.size())));
    const auto value = get(data, key);
    if (value && !is_nullish(*value)) out += to_string(*value);
    i = copied = k + close.size();
  }
  out.append(s.substr(copied));
  return out;
}

}  // namespace

bool truthy(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::discarded:
    case ordered_json::value_t::null:
      return false;
    case ordered_json::value_t::boolean:
      return v.get<bool>();
    case ordered_json::value_t::string:
      return !v.get_ptr<const std::string*>()->empty();
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned:
    case ordered_json::value_t::number_float: {
      const double d = v.get<double>();
      return d != 0 && !std::isnan(d);
    }
    default:
      return true;
  }
}

std::string type_of(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::discarded:
      return "undefined";
    case ordered_json::value_t::null:
      return "null";
    case ordered_json::value_t::boolean:
      return "boolean";
    case ordered_json::value_t::string:
      return "string";
    case ordered_json::value_t::array:
      return "array";
    case ordered_json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

std::string_view article(std::string_view type) {
  if (!type.empty() && std::string_view("aeiou").find(type[0]) != std::string_view::npos)
    return "an";
  return "a";
}

std::string to_string(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::discarded:
      return "undefined";
    case ordered_json::value_t::null:
      return "null";
    case ordered_json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case ordered_json::value_t::string:
      return v.get<std::string>();
    case ordered_json::value_t::object:
      return "[object Object]";
    case ordered_json::value_t::array: {
      std::string out;
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        if (!is_nullish(e)) out += to_string(e);
      }
      return out;
    }
    default: {
      const std::string s = stringify(v);  // JS number text; non-finite is written as null
      if (s != "null") return s;
      return number_to_string(v.get<double>());
    }
  }
}

bool loosely_equals_empty_string(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::discarded:
    case ordered_json::value_t::null:
      return false;
    case ordered_json::value_t::boolean:
      return !v.get<bool>();
    case ordered_json::value_t::string:
      return v.get_ptr<const std::string*>()->empty();
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned:
    case ordered_json::value_t::number_float:
      return v.get<double>() == 0;
    default:
      return to_string(v).empty();
  }
}

ordered_json property(const ordered_json& v, const std::string& key) {
  if (v.is_object()) {
    auto it = v.find(key);
    return it == v.end() ? undefined() : *it;
  }
  if (v.is_array()) {
    if (key == "length") return v.size();
    if (auto i = index_below(key, v.size())) return v[*i];
    return undefined();
  }
  if (v.is_string()) {
    const auto& s = *v.get_ptr<const std::string*>();
    const std::u16string u = utf::to_utf16(s);
    if (key == "length") return u.size();
    if (auto i = index_below(key, u.size())) return utf::to_utf8(std::u16string_view(&u[*i], 1));
  }
  return undefined();
}

std::optional<std::vector<std::string>> own_keys(const ordered_json& v) {
  std::vector<std::string> keys;
  if (is_nullish(v)) return std::nullopt;
  if (v.is_object()) {
    for (const auto& kv : v.items()) keys.push_back(kv.key());
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) keys.push_back(std::to_string(i));
  } else if (v.is_string()) {
    const std::size_t n = utf::js_length(*v.get_ptr<const std::string*>());
    for (std::size_t i = 0; i < n; ++i) keys.push_back(std::to_string(i));
  }
  return keys;
}

void assign(ordered_json& target, const ordered_json& source) {
  if (source.is_object()) {
    for (const auto& kv : source.items()) target[kv.key()] = kv.value();
  } else if (source.is_array()) {
    for (std::size_t i = 0; i < source.size(); ++i) target[std::to_string(i)] = source[i];
  } else if (source.is_string()) {
    const std::u16string u = utf::to_utf16(*source.get_ptr<const std::string*>());
    for (std::size_t i = 0; i < u.size(); ++i)
      target[std::to_string(i)] = utf::to_utf8(std::u16string_view(&u[i], 1));
  }
}

std::optional<ordered_json> get(const ordered_json& obj, std::string_view path) {
  if (path.empty() || path == ".") return obj;
  std::vector<std::string> keys;
  std::size_t i = 0;
  while (i < path.size()) {
    const char c = path[i];
    if (c == '[' || c == '.' || c == ']') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < path.size() && path[j] != '[' && path[j] != '.' && path[j] != ']') ++j;
    keys.emplace_back(path.substr(i, j - i));
    i = j;
  }
  if (keys.empty()) return std::nullopt;
  // Walk by pointer through object members and array elements; only computed properties
  // (`length`, a string's character) are materialized, so no subtree is copied on the way.
  const ordered_json* cur = &obj;
  ordered_json computed;
  for (const auto& key : keys) {
    if (!truthy(*cur)) return *cur;
    if (cur->is_object()) {
      auto it = cur->find(key);
      if (it == cur->end()) return undefined();
      cur = &*it;
    } else if (cur->is_array() && key != "length") {
      const auto index = index_below(key, cur->size());
      if (!index) return undefined();
      cur = &(*cur)[*index];
    } else {
      ordered_json next = property(*cur, key);
      computed = std::move(next);
      cur = &computed;
    }
  }
  return *cur;
}

std::string render_template(std::string_view tpl, const ordered_json& data) {
  const std::string unescaped = replace_placeholders(tpl, "{{{", "}}}", data);
  return replace_placeholders(unescaped, "{{", "}}", data);
}

std::string replace_literal(std::string_view value, std::string_view pattern,
                            std::string_view replacement, bool global, bool ignore_case) {
  const std::u16string v = utf::to_utf16(value);
  const std::u16string p = utf::to_utf16(pattern);
  const std::u16string r = utf::to_utf16(replacement);
  if (p.empty() || p.size() > v.size()) return std::string(value);
  auto matches_at = [&](std::size_t pos) {
    for (std::size_t k = 0; k < p.size(); ++k) {
      const char16_t a = v[pos + k], b = p[k];
      if (a == b) continue;
      if (!ignore_case || utf::canonicalize(a) != utf::canonicalize(b)) return false;
    }
    return true;
  };
  std::u16string out;
  std::size_t pos = 0, copied = 0;
  while (pos + p.size() <= v.size()) {
    if (!matches_at(pos)) {
      ++pos;
      continue;
    }
    out.append(v, copied, pos - copied);
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (r[k] != u'$' || k + 1 == r.size()) {
        out.push_back(r[k]);
        continue;
      }
      const char16_t n = r[k + 1];
      if (n == u'$') {
        out.push_back(u'$');
      } else if (n == u'&') {
        out.append(v, pos, p.size());
      } else if (n == u'`') {
        out.append(v, 0, pos);
      } else if (n == u'\'') {
        out.append(v, pos + p.size());
      } else {
        out.push_back(u'$');  // `$1`, `$<`: there are no groups, so the text stays as is
        continue;
      }
      ++k;
    }
    pos = copied = pos + p.size();
    if (!global) break;
  }
  out.append(v, copied);
  return utf::to_utf8(out);
}

}  // namespace tributary::transform::js
