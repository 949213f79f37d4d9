#include "tributary/profile/profile_store.h"

#include <rocksdb/db.h>

#include "profile/keys.h"

namespace tributary::profile {

std::optional<profile> profile_reader::get(const std::string& profile_id) const {
  std::string id = profile_id, v;
  for (int hops = 0; hops < 64; ++hops) {
    if (!s_.db->Get({}, s_.profiles, id, &v).ok()) return std::nullopt;
    auto p = decode(v);
    if (!p) return std::nullopt;
    if (p->merged_into.empty()) return p;
    id = p->merged_into;
  }
  return std::nullopt;
}

std::optional<profile> profile_reader::find(const std::string& type,
                                            const std::string& value) const {
  std::string pid;
  if (!s_.db->Get({}, s_.ids, type + ":" + value, &pid).ok()) return std::nullopt;
  return get(pid);
}

std::vector<history_item> profile_reader::history(const std::string& profile_id, millis start,
                                                  millis end, bool ascending, std::size_t limit,
                                                  const std::string& after) const {
  std::vector<history_item> out;
  if (profile_id.size() != kProfileIdLength) return out;
  std::string lo = history_key(profile_id, start, 0);
  std::string hi = history_key(profile_id, end, ~0ULL);
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.history));
  auto in_range = [&] {
    auto k = it->key().ToStringView();
    return it->Valid() && k.substr(0, kProfileIdLength) == profile_id &&
           k >= std::string_view(lo) && k <= std::string_view(hi);
  };
  if (ascending) {
    it->Seek(after.empty() ? lo : after);
    if (!after.empty() && it->Valid() && it->key().ToStringView() == after) it->Next();
  } else {
    it->SeekForPrev(after.empty() ? hi : after);
    if (!after.empty() && it->Valid() && it->key().ToStringView() == after) it->Prev();
  }
  for (; it->Valid() && in_range() && out.size() < limit; ascending ? it->Next() : it->Prev()) {
    auto k = it->key().ToStringView();
    auto v = it->value().ToStringView();
    auto sep = v.find('\x1f');
    if (sep == std::string_view::npos) continue;
    out.push_back({std::string(k), history_time(k), history_seq(k), std::string(v.substr(0, sep)),
                   std::string(v.substr(sep + 1))});
  }
  return out;
}

std::vector<profile> profile_reader::list(const std::string& after_id, std::size_t limit) const {
  std::vector<profile> out;
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator({}, s_.profiles));
  it->Seek(after_id);
  if (it->Valid() && it->key().ToStringView() == after_id) it->Next();
  for (; it->Valid() && out.size() < limit; it->Next()) {
    auto p = decode(it->value().ToStringView());
    if (p && p->merged_into.empty()) out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace tributary::profile
