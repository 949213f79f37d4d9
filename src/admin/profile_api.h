#pragma once
//! Segment's Profile API paths and shapes over our profile store (admin listener).
#include "tributary/config/config.h"
#include "tributary/http/message.h"
#include "tributary/profile/profile_store.h"

namespace tributary::admin {

//! Pure request → response over committed profile state; called on io threads after auth.
class profile_api {
 public:
  explicit profile_api(const profile::profile_reader& reader) : reader_(reader) {}
  //! `/v1/spaces/{space}/collections/users/profiles/{type}:{value}/{route}`.
  http::response handle(const http::request& req, const config::config& cfg) const;
  //! `GET /admin/v1/profiles?after=ID&limit=N`: live profiles, for dumps and debugging.
  http::response list(const http::request& req) const;

 private:
  http::response traits(const http::request& req, const profile::profile& p) const;
  http::response events(const http::request& req, const profile::profile& p) const;
  http::response external_ids(const http::request& req, const profile::profile& p) const;
  http::response metadata(const profile::profile& p) const;
  const profile::profile_reader& reader_;
};

}  // namespace tributary::admin
