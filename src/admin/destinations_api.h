#pragma once
//! The destinations routes and metrics of the admin API: delivery health, dead letters, redrive,
//! replays.
#include <optional>
#include <string>

#include "delivery/service.h"
#include "tributary/config/config.h"
#include "tributary/http/message.h"

namespace tributary::admin {

//! Answers `GET /admin/v1/destinations`, `GET /admin/v1/destinations/{name}/dlq?limit=N`,
//! `POST /admin/v1/destinations/{name}/dlq/redrive`, `POST /admin/v1/destinations/{name}/replay`
//! (`{"from", "to"}`: `202` with the queued replay's status), `GET .../{name}/replays` and
//! `GET .../{name}/replays/{id}`; nullopt for any other path. Runs on an io thread after
//! authentication.
std::optional<http::response> destinations_route(delivery::service& svc, const config::config& cfg,
                                                 const http::request& req);

//! Appends the `tributary_destination_*` families.
void render_destination_metrics(std::string& out, const delivery::service& svc);

}  // namespace tributary::admin
