#pragma once
//! Feeding test events through the Tracking API's normalization into a real event log.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <future>
#include <string>

#include "ingest/normalize.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::test_support {

//! Normalizes `msg` as the Tracking API does (received at `received_at`) and appends it as its
//! own group commit from `source`. Fails the current test on any error.
inline void append_normalized(eventlog::event_log& log, const std::string& msg, millis received_at,
                              const std::string& source = "s") {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(msg).get(root), simdjson::SUCCESS) << msg;
  ingest::normalize_input in;
  in.received_at = received_at;
  auto n = ingest::normalize(root, std::nullopt, in);
  ASSERT_TRUE(n.ok()) << msg << ": " << n.err().message;
  std::promise<eventlog::append_outcome> done;
  eventlog::append_request req;
  req.source = source;
  req.received_at = received_at;
  req.items.push_back({source + "\x1f" + n.value().message_id, n.value().json});
  req.done = [&done](eventlog::append_outcome o) { done.set_value(std::move(o)); };
  log.submit(std::move(req));
  auto fut = done.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(fut.get().status, eventlog::append_status::ok);
}

}  // namespace tributary::test_support
