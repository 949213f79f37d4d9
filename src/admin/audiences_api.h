#pragma once
//! Admin routes for audiences: `GET /admin/v1/audiences` and `.../{key}/members`.
#include <optional>

#include "tributary/config/config.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/http/message.h"
#include "tributary/profile/profile_store.h"

namespace tributary::admin {

//! Answers the audience routes; nullopt for any other path.
std::optional<http::response> audiences_route(const eventlog::event_log& log,
                                              const profile::profile_reader& profiles,
                                              const config::config& cfg, const http::request& req);

}  // namespace tributary::admin
