// The binary form of a profile record: a version byte, then every field in a fixed order.
// Integers are LEB128 varints (signed ones zigzag-encoded), strings and nested JSON values are
// length-prefixed, doubles are 8 raw bytes. Version 2 writes trait-state fingerprints of 16 hex
// digits as their 8 bytes and leaves out the source of computed traits and audiences (always
// "computed" and "audience": an empty source there reads back as that). Version 1 records and,
// before them, JSON ones are still read.
#include <algorithm>
#include <cstring>

#include "tributary/profile/profile.h"

namespace tributary::profile {
namespace {

constexpr char kVersion1 = '\x01';
constexpr char kVersion = '\x02';
constexpr const char* kComputedSource = "computed";
constexpr const char* kAudienceSource = "audience";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}
  void u(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void i(std::int64_t v) {
    u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void d(double v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out_.append(b, 8);
  }
  void s(std::string_view v) {
    u(v.size());
    out_.append(v);
  }
  //! 0 and 8 bytes for 16 lowercase hex digits, else the length plus one and the text.
  void fingerprint(std::string_view v) {
    if (v.size() == 16 &&
        std::all_of(v.begin(), v.end(), [](char c) { return hex_digit(c) >= 0; })) {
      out_.push_back(0);
      for (std::size_t i = 0; i < 16; i += 2)
        out_.push_back(static_cast<char>(hex_digit(v[i]) << 4 | hex_digit(v[i + 1])));
      return;
    }
    u(v.size() + 1);
    out_.append(v);
  }
  void json(const nlohmann::json& v) {
    using t = nlohmann::json::value_t;
    switch (v.type()) {
      case t::null:
        out_.push_back(0);
        break;
      case t::boolean:
        out_.push_back(v.get<bool>() ? 2 : 1);
        break;
      case t::number_integer:
        out_.push_back(3), i(v.get<std::int64_t>());
        break;
      case t::number_unsigned:
        out_.push_back(4), u(v.get<std::uint64_t>());
        break;
      case t::number_float:
        out_.push_back(5), d(v.get<double>());
        break;
      case t::string:
        out_.push_back(6), s(v.get_ref<const std::string&>());
        break;
      default: {
        out_.push_back(7);
        std::vector<std::uint8_t> packed = nlohmann::json::to_msgpack(v);
        s({reinterpret_cast<const char*>(packed.data()), packed.size()});
      }
    }
  }

 private:
  std::string& out_;
};

class reader {
 public:
  reader(std::string_view in, char version)
      : p_(in.data()), end_(in.data() + in.size()), version_(version) {}
  char version() const { return version_; }
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return fail();
      auto b = static_cast<unsigned char>(*p_++);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  std::int64_t i() {
    std::uint64_t z = u();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  double d() {
    double v = 0;
    if (end_ - p_ < 8) return static_cast<double>(fail());
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  std::string_view sv() {
    std::uint64_t n = u();
    if (!ok_ || static_cast<std::uint64_t>(end_ - p_) < n) return fail(), std::string_view();
    std::string_view v(p_, n);
    p_ += n;
    return v;
  }
  std::string s() { return std::string(sv()); }
  std::string fingerprint() {
    if (version_ == kVersion1) return s();
    std::uint64_t n = u();
    if (n > 0) {
      if (!ok_ || static_cast<std::uint64_t>(end_ - p_) < n - 1) return fail(), std::string();
      std::string v(p_, n - 1);
      p_ += n - 1;
      return v;
    }
    if (end_ - p_ < 8) return fail(), std::string();
    static const char kHex[] = "0123456789abcdef";
    std::string v(16, '0');
    for (int i = 0; i < 8; ++i) {
      auto b = static_cast<unsigned char>(*p_++);
      v[2 * i] = kHex[b >> 4], v[2 * i + 1] = kHex[b & 15];
    }
    return v;
  }
  //! A count of items that each take at least one byte: bounded by what is left.
  std::size_t n() {
    std::uint64_t c = u();
    if (c > static_cast<std::uint64_t>(end_ - p_)) return fail();
    return c;
  }
  nlohmann::json json() {
    if (p_ == end_) return fail(), nullptr;
    switch (*p_++) {
      case 0:
        return nullptr;
      case 1:
        return false;
      case 2:
        return true;
      case 3:
        return i();
      case 4:
        return u();
      case 5:
        return d();
      case 6:
        return s();
      case 7: {
        auto b = sv();
        auto v = nlohmann::json::from_msgpack(b.begin(), b.end(), true, false);
        if (v.is_discarded()) fail();
        return v;
      }
      default:
        return fail(), nullptr;
    }
  }

 private:
  std::uint64_t fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const char* p_;
  const char* end_;
  char version_;
  bool ok_ = true;
};

// `implied`: a source all these traits have, left out (version 2); null to write every source.
void put_traits(writer& w, const std::map<std::string, trait_value>& traits,
                const char* implied = nullptr) {
  w.u(traits.size());
  for (const auto& [k, t] : traits) {
    w.s(k);
    w.json(t.value);
    w.i(t.ts);
    if (!implied)
      w.s(t.source);
    else
      w.s(t.source == implied ? std::string_view() : std::string_view(t.source));
  }
}

std::map<std::string, trait_value> get_traits(reader& r, const char* implied = nullptr) {
  std::map<std::string, trait_value> out;
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n) {
    std::string k = r.s();
    trait_value t;
    t.value = r.json();
    t.ts = r.i();
    t.source = r.s();
    if (implied && t.source.empty() && r.version() != kVersion1) t.source = implied;
    out.emplace_hint(out.end(), std::move(k), std::move(t));
  }
  return out;
}

void put_partial(writer& w, const trait_partial& p) {
  w.i(p.count);
  w.i(p.numbers);
  if (p.numbers) w.d(p.sum), w.d(p.min), w.d(p.max);
  w.u(p.frequency.size());
  for (const auto& [v, c] : p.frequency) w.s(v), w.i(c);
  w.u(p.distinct.size());
  for (const auto& v : p.distinct) w.s(v);
  for (const auto* at : {&p.first_at, &p.last_at}) {
    w.u(at->has_value() ? 1 : 0);
    if (*at) {
      w.i((*at)->first);
      w.u((*at)->second);
      w.json(at == &p.first_at ? p.first_value : p.last_value);
    }
  }
}

trait_partial get_partial(reader& r) {
  trait_partial p;
  p.count = r.i();
  p.numbers = r.i();
  if (p.numbers) p.sum = r.d(), p.min = r.d(), p.max = r.d();
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n) {
    std::string v = r.s();
    p.frequency.emplace_hint(p.frequency.end(), std::move(v), r.i());
  }
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n)
    p.distinct.emplace_hint(p.distinct.end(), r.s());
  for (int which = 0; which < 2; ++which) {
    if (!r.u()) continue;
    millis at = r.i();
    std::uint64_t seq = r.u();
    (which == 0 ? p.first_at : p.last_at) = std::make_pair(at, seq);
    (which == 0 ? p.first_value : p.last_value) = r.json();
  }
  return p;
}

}  // namespace

std::string encode(const profile& p) {
  std::string out;
  out.reserve(256);
  encode(p, out);
  return out;
}

void encode(const profile& p, std::string& out) {
  out.clear();
  out.push_back(kVersion);
  writer w(out);
  w.s(p.id);
  w.s(p.merged_into);
  if (!p.merged_into.empty()) return;
  w.i(p.created_at);
  w.i(p.updated_at);
  w.u(p.ids.size());
  for (const auto& e : p.ids) {
    w.s(e.type), w.s(e.value), w.s(e.encoding), w.s(e.source);
    w.i(e.created_at);
    w.s(e.first_message_id);
  }
  put_traits(w, p.traits);
  w.u(p.groups.size());
  for (const auto& [gid, g] : p.groups) {
    w.s(gid);
    put_traits(w, g.traits);
    w.i(g.ts);
  }
  w.s(p.first_message_id), w.s(p.first_source_id), w.s(p.last_message_id), w.s(p.last_source_id);
  w.u(p.merged_from.size());
  for (const auto& m : p.merged_from) w.s(m);
  put_traits(w, p.computed, kComputedSource);
  w.u(p.trait_states.size());
  for (const auto& [k, st] : p.trait_states) {
    w.s(k);
    w.fingerprint(st.fingerprint);
    w.u(st.buckets.size());
    for (const auto& [start, part] : st.buckets) {
      w.i(start);
      put_partial(w, part);
    }
  }
  w.i(p.timer_due);
  put_traits(w, p.audiences, kAudienceSource);
}

std::optional<profile> decode(std::string_view data) {
  if (!data.empty() && data.front() == '{') {
    auto j = nlohmann::json::parse(data, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return from_json(j);
  }
  if (data.empty() || (data.front() != kVersion && data.front() != kVersion1)) return std::nullopt;
  reader r(data.substr(1), data.front());
  profile p;
  p.id = r.s();
  p.merged_into = r.s();
  if (!p.merged_into.empty()) return r.ok() ? std::optional(std::move(p)) : std::nullopt;
  p.created_at = r.i();
  p.updated_at = r.i();
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n) {
    id_entry e;
    e.type = r.s(), e.value = r.s(), e.encoding = r.s(), e.source = r.s();
    e.created_at = r.i();
    e.first_message_id = r.s();
    p.ids.push_back(std::move(e));
  }
  p.traits = get_traits(r);
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n) {
    std::string gid = r.s();
    group_membership g;
    g.traits = get_traits(r);
    g.ts = r.i();
    p.groups.emplace_hint(p.groups.end(), std::move(gid), std::move(g));
  }
  p.first_message_id = r.s(), p.first_source_id = r.s();
  p.last_message_id = r.s(), p.last_source_id = r.s();
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n) p.merged_from.push_back(r.s());
  p.computed = get_traits(r, kComputedSource);
  for (std::size_t n = r.n(); n > 0 && r.ok(); --n) {
    std::string k = r.s();
    trait_state st;
    st.fingerprint = r.fingerprint();
    for (std::size_t b = r.n(); b > 0 && r.ok(); --b) {
      millis start = r.i();
      st.buckets.emplace_hint(st.buckets.end(), start, get_partial(r));
    }
    p.trait_states.emplace_hint(p.trait_states.end(), std::move(k), std::move(st));
  }
  p.timer_due = r.i();
  p.audiences = get_traits(r, kAudienceSource);
  if (!r.ok() || !r.done()) return std::nullopt;
  return p;
}

}  // namespace tributary::profile
