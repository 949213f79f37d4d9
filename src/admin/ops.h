#pragma once
//! Operations routes and metrics of the admin API: online backups, connection and reload metrics.
#include <string>

#include "tributary/common/metrics.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/http/message.h"
#include "tributary/http/server.h"

namespace tributary::admin {

//! POST /admin/v1/backup {"to": "/abs/new/dir"}: an online RocksDB checkpoint of the running
//! database into `to`, which must not exist yet (its parent must). Answers
//! `{"path", "last_seq", "took_ms"}`; `last_seq` is the highest sequence in the backup.
http::response backup_route(eventlog::event_log& log, const http::request& req);

//! Appends connection, limit, reload and process-fd metrics. `http` and `reloads` may be null.
void render_ops_metrics(std::string& out, const http::server_stats* http,
                        const labeled_counter* reloads);

}  // namespace tributary::admin
