#include "admin/profile_api.h"

#include <nlohmann/json.hpp>

#include <set>

#include "tributary/common/codec.h"
#include "tributary/common/time.h"

namespace tributary::admin {
namespace {

using http::response;
using nlohmann::json;

response error(int status, const char* code, const std::string& message) {
  return response{status,
                  "application/json",
                  {},
                  json{{"error", {{"code", code}, {"message", message}}}}.dump()};
}
response ok(const json& j) {
  return response{200, "application/json", {}, j.dump()};
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// `limit` within [1, max]; false when it is not a number in range.
bool read_limit(const http::request& req, std::size_t def, std::size_t max, std::size_t& out) {
  std::string v = req.param("limit");
  if (v.empty()) {
    out = def;
    return true;
  }
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size() || n < 1 || n > static_cast<long long>(max)) return false;
    out = static_cast<std::size_t>(n);
    return true;
  } catch (...) {
    return false;
  }
}

json cursor(const http::request& req, bool has_more, const std::string& next) {
  return {{"url", req.path}, {"has_more", has_more}, {"next", has_more ? next : ""}};
}

// The event as the Profile API shows it: snake_case ids, with the profile it belongs to.
json event_view(const profile::history_item& h, const std::string& profile_id) {
  json ev = json::parse(h.json, nullptr, false);
  if (!ev.is_object()) ev = json::object();
  json ids = json::array();
  auto add = [&](const char* field, const char* type) {
    if (ev.contains(field) && ev[field].is_string())
      ids.push_back(
          {{"collection", "users"}, {"type", type}, {"id", ev[field]}, {"encoding", "none"}});
  };
  add("userId", "user_id");
  add("anonymousId", "anonymous_id");
  json out = {{"external_ids", ids},
              {"context", ev.value("context", json::object())},
              {"type", ev.value("type", "")},
              {"message_id", ev.value("messageId", "")},
              {"source_id", h.source},
              {"timestamp", format_iso8601(h.ts)},
              {"properties", ev.value("properties", json::object())},
              {"related", {{"users", profile_id}}}};
  std::string type = ev.value("type", "");
  if (type == "track") out["event"] = ev.value("event", "");
  if (type == "page" || type == "screen") {
    out["event"] = type == "page" ? "Page Viewed" : "Screen Viewed";
    if (ev.contains("name")) out["name"] = ev["name"];
  }
  if (type == "identify" || type == "group") out["traits"] = ev.value("traits", json::object());
  if (type == "group") out["group_id"] = ev.value("groupId", json());
  return out;
}

std::string event_name(const json& view) {
  return view.value("event", view.value("type", ""));
}

}  // namespace

response profile_api::handle(const http::request& req, const config::config& cfg) const {
  if (req.method != "GET" && req.method != "HEAD")
    return error(405, "invalid_request_error", "use GET");
  auto parts = split(req.path, '/');
  // v1 spaces {space} collections {collection} profiles {id} {route}
  if (parts.size() != 8 || parts[1] != "spaces" || parts[3] != "collections" ||
      parts[5] != "profiles")
    return error(404, "not_found", "no such Profile API path");
  if (http::url_decode(parts[2], false) != cfg.admin.space)
    return error(404, "not_found", "Space was not found.");
  if (parts[4] != "users")
    return error(400, "validation_error", "only the `users` collection is supported");
  std::string id = http::url_decode(parts[6], false);
  auto colon = id.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == id.size())
    return error(400, "validation_error", "the profile id must be written `<id_type>:<value>`");
  std::optional<profile::profile> p =
      id.substr(0, colon) == "segment_id" || id.substr(0, colon) == "profile_id"
          ? reader_.get(id.substr(colon + 1))
          : reader_.find(id.substr(0, colon), id.substr(colon + 1));
  if (!p) return error(404, "not_found", "Profile was not found.");
  const std::string& route = parts[7];
  if (route == "traits") return traits(req, *p);
  if (route == "events") return events(req, *p);
  if (route == "external_ids") return external_ids(req, *p);
  if (route == "metadata") return metadata(*p);
  return error(404, "not_found", "no such Profile API route");
}

response profile_api::traits(const http::request& req, const profile::profile& p) const {
  std::size_t limit;
  if (!read_limit(req, 10, 200, limit))
    return error(400, "validation_error", "`limit` must be between 1 and 200");
  std::string cls = req.param("class");
  if (!cls.empty() && cls != "audience" && cls != "computed_trait")
    return error(400, "validation_error", "`class` must be `audience` or `computed_trait`");
  std::set<std::string> include;
  for (const auto& k : split(req.param("include"), ',')) include.insert(k);
  bool verbose = req.param("verbose") == "true";
  std::string after = req.param("next");
  json traits = json::object();
  bool has_more = false;
  std::string last;
  // Without `class`: custom traits, then computed traits and audiences (true while a member)
  // over them: a computed trait and a custom trait of the same key are one key on the profile. Implicit history terms of
  // audience expressions (keys starting "__") are internal.
  std::map<std::string, const profile::trait_value*> view;
  if (cls.empty())
    for (const auto& [k, t] : p.traits) view[k] = &t;
  if (cls.empty() || cls == "computed_trait")
    for (const auto& [k, t] : p.computed)
      if (!k.starts_with("__")) view[k] = &t;
  if (cls.empty() || cls == "audience")
    for (const auto& [k, t] : p.audiences) view[k] = &t;
  for (auto it = after.empty() ? view.begin() : view.upper_bound(after); it != view.end(); ++it) {
    if (!include.empty() && !include.count(it->first)) continue;
    if (traits.size() == limit) {
      has_more = true;
      break;
    }
    const auto& t = *it->second;
    traits[it->first] = verbose ? json{{"value", t.value},
                                       {"source_id", t.source},
                                       {"updated_at", format_iso8601(t.ts)}}
                                : t.value;
    last = it->first;
  }
  return ok({{"traits", traits}, {"cursor", cursor(req, has_more, last)}});
}

response profile_api::events(const http::request& req, const profile::profile& p) const {
  std::size_t limit;
  if (!read_limit(req, 10, 100, limit))
    return error(400, "validation_error", "`limit` must be between 1 and 100");
  millis start = std::numeric_limits<millis>::min() / 2,
         end = std::numeric_limits<millis>::max() / 2;
  for (auto [name, target] : {std::pair{"start", &start}, std::pair{"end", &end}}) {
    std::string v = req.param(name);
    if (v.empty()) continue;
    auto t = parse_iso8601(v);
    if (!t)
      return error(400, "validation_error", std::string("`") + name + "` must be an ISO-8601 time");
    *target = *t;
  }
  std::string sort = req.param("sort", "desc");
  if (sort != "asc" && sort != "desc")
    return error(400, "validation_error", "`sort` must be `asc` or `desc`");
  std::set<std::string> include, exclude;
  for (const auto& k : split(req.param("include"), ',')) include.insert(k);
  for (const auto& k : split(req.param("exclude"), ',')) exclude.insert(k);
  std::string after;
  if (std::string next = req.param("next"); !next.empty()) {
    auto decoded = base64_decode(next);
    if (!decoded) return error(400, "validation_error", "`next` is not a cursor from this API");
    after = *decoded;
  }
  json data = json::array();
  bool has_more = false;
  std::string last;
  // Read in pages until `limit` matching events (plus one, to know whether there are more).
  while (!has_more) {
    auto page = reader_.history(p.id, start, end, sort == "asc", 200, after);
    if (page.empty()) break;
    for (const auto& h : page) {
      after = h.key;
      json view = event_view(h, p.id);
      std::string name = event_name(view);
      if ((!include.empty() && !include.count(name)) || exclude.count(name)) continue;
      if (data.size() == limit) {
        has_more = true;
        break;
      }
      data.push_back(std::move(view));
      last = h.key;
    }
    if (page.size() < 200) break;
  }
  return ok({{"data", data}, {"cursor", cursor(req, has_more, base64_encode(last))}});
}

response profile_api::external_ids(const http::request& req, const profile::profile& p) const {
  std::size_t limit;
  if (!read_limit(req, 25, 100, limit))
    return error(400, "validation_error", "`limit` must be between 1 and 100");
  std::set<std::string> include;
  for (const auto& k : split(req.param("include"), ',')) include.insert(k);
  std::size_t offset = 0;
  if (std::string next = req.param("next"); !next.empty()) {
    try {
      offset = std::stoull(next);
    } catch (...) {
      return error(400, "validation_error", "`next` is not a cursor from this API");
    }
  }
  json data = json::array();
  std::size_t i = 0, matched = 0;
  bool has_more = false;
  for (; i < p.ids.size(); ++i) {
    const auto& e = p.ids[i];
    if (!include.empty() && !include.count(e.type)) continue;
    if (matched++ < offset) continue;
    if (data.size() == limit) {
      has_more = true;
      break;
    }
    data.push_back({{"source_id", e.source},
                    {"collection", "users"},
                    {"id", e.value},
                    {"type", e.type},
                    {"created_at", format_iso8601(e.created_at)},
                    {"encoding", e.encoding},
                    {"first_message_id", e.first_message_id}});
  }
  return ok(
      {{"data", data}, {"cursor", cursor(req, has_more, std::to_string(offset + data.size()))}});
}

response profile_api::metadata(const profile::profile& p) const {
  return ok({{"metadata",
              {{"created_at", format_iso8601(p.created_at)},
               {"updated_at", format_iso8601(p.updated_at)},
               {"expires_at", nullptr},
               {"first_message_id", p.first_message_id},
               {"first_source_id", p.first_source_id},
               {"last_message_id", p.last_message_id},
               {"last_source_id", p.last_source_id}}}});
}

response profile_api::list(const http::request& req) const {
  std::size_t limit;
  if (!read_limit(req, 100, 1000, limit))
    return error(400, "validation_error", "`limit` must be between 1 and 1000");
  auto profiles = reader_.list(req.param("after"), limit);
  json out = json::array();
  for (const auto& p : profiles) {
    json j = profile::to_json(p);
    json traits = json::object();
    for (const auto& [k, t] : p.traits) traits[k] = t.value;
    j["traits"] = traits;
    out.push_back(std::move(j));
  }
  std::string next = profiles.empty() ? "" : profiles.back().id;
  return ok({{"profiles", out}, {"next", next}, {"has_more", profiles.size() == limit}});
}

}  // namespace tributary::admin
