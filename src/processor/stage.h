#pragma once
//! Stages that run inside the processor after each event's profile update, writing their state
//! into the processor's batch so it commits atomically with the profile changes and the cursor.
#include <nlohmann/json.hpp>

#include "tributary/config/config.h"
#include "tributary/eventlog/event_log.h"
#include "tributary/profile/profile.h"

namespace rocksdb {
class WriteBatch;
}

namespace tributary::processor {

//! What a stage sees of one event. `profile` is the profile after this event, or nullptr when
//! the event carried no usable identifier.
struct event_context {
  const eventlog::log_record& record;
  const nlohmann::json& event;
  const profile::profile* profile;
  const config::config& cfg;
  millis now = 0;  //!< the processor's clock for this batch
};

class stage {
 public:
  virtual ~stage() = default;
  //! Called for every event in log order; adds rows to `batch` (committed with the cursor).
  virtual void on_event(const event_context& ctx, rocksdb::WriteBatch& batch) = 0;
  //! Called when the events seen since the last call form a batch handed to the writer. The
  //! processor goes on with the next batch while this one is written, so on_event may run again
  //! before committed().
  virtual void sealed() {}
  //! Called once the last sealed batch was written (e.g. to wake workers that read it).
  virtual void committed() {}
  //! Called when a batch failed to commit: forget anything cached since the last commit
  //! (sealed or not; the processor replays both).
  virtual void aborted() {}
};

}  // namespace tributary::processor
