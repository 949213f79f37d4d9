// Destination filters (see filters.h).
#include "tributary/transform/filters.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>

#include "tributary/transform/js_json.h"

namespace tributary::transform {
namespace {

constexpr std::string_view kProtected[] = {"type", "messageId", "timestamp", "receivedAt"};

bool is_protected(std::string_view key) {
  for (auto p : kProtected)
    if (p == key) return true;
  return false;
}

std::vector<std::string> split_dots(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

//! Splits "a.b.c" into the holder path "a.b" and the key "c"; "c" into "" and "c".
std::pair<std::string, std::string> holder_and_key(std::string_view field) {
  const auto dot = field.rfind('.');
  if (dot == std::string_view::npos) return {"", std::string(field)};
  return {std::string(field.substr(0, dot)), std::string(field.substr(dot + 1))};
}

//! The value at a dot path ("" is the root): object members, and array elements by index.
ordered_json* find_path(ordered_json& root, std::string_view path) {
  if (path.empty()) return &root;
  ordered_json* cur = &root;
  for (const auto& seg : split_dots(path)) {
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      std::size_t i = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), i);
      if (ec != std::errc() || p != seg.data() + seg.size() || i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

//! Calls `fn` on the object at `path`, or on each object element when it is an array.
template <class Fn>
void for_each_holder(ordered_json& event, std::string_view path, Fn fn) {
  ordered_json* holder = find_path(event, path);
  if (!holder) return;
  if (holder->is_object()) {
    fn(*holder, path.empty());
  } else if (holder->is_array()) {
    for (auto& e : *holder)
      if (e.is_object()) fn(e, false);
  }
}

void drop_properties(ordered_json& event, const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    const auto split = holder_and_key(f);
    for_each_holder(event, split.first,
                    [&split](ordered_json& obj, bool) { obj.erase(split.second); });
  }
}

void allow_properties(ordered_json& event, const std::vector<std::string>& fields) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;  // holder -> keys, in order
  for (const auto& f : fields) {
    auto split = holder_and_key(f);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == split.first; });
    if (it == groups.end()) it = groups.insert(groups.end(), {split.first, {}});
    it->second.push_back(std::move(split.second));
  }
  for (const auto& [holder, keys] : groups) {
    for_each_holder(event, holder, [&keys = keys](ordered_json& obj, bool root) {
      ordered_json kept = ordered_json::object();
      for (auto& kv : obj.items()) {
        const bool listed = std::find(keys.begin(), keys.end(), kv.key()) != keys.end();
        if (listed || (root && is_protected(kv.key()))) kept[kv.key()] = std::move(kv.value());
      }
      obj = std::move(kept);
    });
  }
}

//! dlv(event, path): dot segments through objects and arrays; undefined (discarded) if missing.
ordered_json value_at(const ordered_json& event, std::string path) {
  if (path.rfind("$.", 0) == 0) path.erase(0, 2);
  auto* v = find_path(const_cast<ordered_json&>(event), path);
  return v ? *v : ordered_json(ordered_json::value_t::discarded);
}

std::uint64_t md5_prefix(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_md5(), nullptr);
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | md[static_cast<std::size_t>(i)];
  return h;
}

std::uint64_t sample_hash(const ordered_json& value) {
  return md5_prefix(value.is_discarded() ? std::string("undefined") : stringify(value));
}

bool keep_sampled(const sample_filter& s, const ordered_json& event, const random_source& random) {
  if (s.percent <= 0) return false;
  if (s.percent >= 100) return true;
  if (!s.path) return random() <= s.percent / 100;
  const long double position =
      std::ldexp(static_cast<long double>(sample_hash(value_at(event, *s.path))), -64);
  return position < static_cast<long double>(s.percent) / 100;
}

const char* kind_name(const filter& f) {
  static constexpr const char* kNames[] = {"drop", "sample", "drop_properties", "allow_properties"};
  return kNames[f.index()];
}

const condition_fn& condition_of(const filter& f) {
  return std::visit([](const auto& x) -> const condition_fn& { return x.condition; }, f);
}

void check_fields(const std::vector<std::string>& fields, const std::string& where,
                  std::vector<std::string>& problems) {
  if (fields.empty()) problems.push_back(where + ": fields must not be empty");
  for (const auto& f : fields) {
    bool empty_segment = false;
    for (const auto& seg : split_dots(f)) empty_segment |= seg.empty();
    if (empty_segment) {
      problems.push_back(where + ": field \"" + f + "\" has an empty path segment");
    } else if (f.find('.') == std::string::npos && is_protected(f)) {
      problems.push_back(where + ": the top-level field \"" + f + "\" cannot be filtered");
    }
  }
}

}  // namespace

std::optional<std::string> validate_filters(const std::vector<filter>& filters) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const std::string where = "filters[" + std::to_string(i) + "] " + kind_name(filters[i]);
    if (const auto* s = std::get_if<sample_filter>(&filters[i])) {
      if (!(s->percent >= 0 && s->percent <= 100))
        problems.push_back(where + ": percent must be a number from 0 to 100");
      if (s->path && s->path->empty()) problems.push_back(where + ": path must not be empty");
    } else if (const auto* d = std::get_if<drop_properties_filter>(&filters[i])) {
      check_fields(d->fields, where, problems);
    } else if (const auto* a = std::get_if<allow_properties_filter>(&filters[i])) {
      check_fields(a->fields, where, problems);
    }
  }
  if (problems.empty()) return std::nullopt;
  std::string joined;
  for (const auto& p : problems) joined += (joined.empty() ? "" : "\n") + p;
  return joined;
}

std::optional<std::string> apply_filters(const std::vector<filter>& filters, ordered_json& event,
                                         const random_source& random) {
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const filter& f = filters[i];
    const std::string name = "filters[" + std::to_string(i) + "] " + kind_name(f);
    const condition_fn& condition = condition_of(f);
    try {
      if (condition && !condition(event)) continue;
    } catch (const std::exception& e) {
      return name + ": condition failed: " + e.what();
    } catch (...) {
      return name + ": condition failed";
    }
    if (std::holds_alternative<drop_filter>(f)) return name;
    if (const auto* s = std::get_if<sample_filter>(&f)) {
      if (!keep_sampled(*s, event, random)) return name;
    } else if (const auto* d = std::get_if<drop_properties_filter>(&f)) {
      drop_properties(event, d->fields);
    } else if (const auto* a = std::get_if<allow_properties_filter>(&f)) {
      allow_properties(event, a->fields);
    }
  }
  return std::nullopt;
}

double sample_position(const ordered_json& value) {
  return static_cast<double>(std::ldexp(static_cast<long double>(sample_hash(value)), -64));
}

random_source default_random_source() {
  return [] {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
  };
}

}  // namespace tributary::transform
