#include "admin/audiences_api.h"

#include <rocksdb/db.h>

#include "admin/json_response.h"
#include "tributary/common/bytes.h"
#include "tributary/common/time.h"

namespace tributary::admin {
namespace {

constexpr std::string_view kBase = "/admin/v1/audiences";

std::string prefix_of(const std::string& key) {
  std::string p = key;
  p.push_back('\0');
  return p;
}

// Size by counting member rows: linear in the audience's size.
std::size_t size_of(const eventlog::event_log& log, const std::string& key) {
  const auto& s = log.state();
  std::unique_ptr<rocksdb::Iterator> it(s.db->NewIterator({}, s.audiences));
  std::string prefix = prefix_of(key);
  std::size_t n = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
  return n;
}

nlohmann::json last_change(const eventlog::event_log& log, const std::string& key) {
  const auto& s = log.state();
  std::string v;
  if (s.db->Get({}, s.meta, "audience/changed/" + key, &v).ok()) return v;
  return nullptr;
}

http::response members(const eventlog::event_log& log, const profile::profile_reader& profiles,
                       const std::string& key, const http::request& req) {
  std::size_t limit = 100;
  if (std::string l = req.param("limit"); !l.empty()) {
    try {
      limit = std::stoul(l);
    } catch (...) {
      limit = 0;
    }
    if (limit < 1 || limit > 1000)
      return json_error(400, "validation_error", "`limit` must be between 1 and 1000");
  }
  std::string prefix = prefix_of(key);
  std::string from = prefix;
  // The cursor is the last profile id of the previous page.
  if (std::string c = req.param("cursor"); !c.empty()) from = prefix + c + '\0';
  const auto& s = log.state();
  std::unique_ptr<rocksdb::Iterator> it(s.db->NewIterator({}, s.audiences));
  nlohmann::json out = nlohmann::json::array();
  std::string last;
  bool more = false;
  for (it->Seek(from); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (out.size() == limit) {
      more = true;
      break;
    }
    std::string pid = it->key().ToString().substr(prefix.size());
    nlohmann::json m = {{"profile_id", pid}};
    auto v = it->value().ToStringView();
    if (v.size() == 8) m["entered_at"] = format_iso8601(static_cast<millis>(get_be64(v)));
    if (auto p = profiles.get(pid)) {
      nlohmann::json ids = nlohmann::json::object();
      for (const auto& e : p->ids) ids[e.type].push_back(e.value);
      m["external_ids"] = std::move(ids);
    }
    out.push_back(std::move(m));
    last = pid;
  }
  return json_ok({{"audience", key},
                  {"members", std::move(out)},
                  {"cursor", more ? nlohmann::json(last) : nlohmann::json()}});
}

}  // namespace

std::optional<http::response> audiences_route(const eventlog::event_log& log,
                                              const profile::profile_reader& profiles,
                                              const config::config& cfg, const http::request& req) {
  std::string_view path = req.path;
  if (!path.starts_with(kBase)) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD")
    return json_error(405, "method_not_allowed", "use GET or HEAD");
  if (path == kBase) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& a : cfg.audiences)
      list.push_back({{"key", a.key},
                      {"name", a.name},
                      {"where", a.where},
                      {"size", size_of(log, a.key)},
                      {"last_change", last_change(log, a.key)}});
    return json_ok({{"audiences", std::move(list)}});
  }
  std::string_view rest = path.substr(kBase.size());
  if (rest.starts_with("/") && rest.ends_with("/members")) {
    std::string key(rest.substr(1, rest.size() - 1 - std::string_view("/members").size()));
    bool known = std::any_of(cfg.audiences.begin(), cfg.audiences.end(),
                             [&](const config::audience& a) { return a.key == key; });
    if (!known) return json_error(404, "not_found", "no audience '" + key + "'");
    return members(log, profiles, key, req);
  }
  return json_error(404, "not_found", "no such audience endpoint");
}

}  // namespace tributary::admin
