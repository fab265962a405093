// EventRecord: the events a service has received, each recorded once.
//
// The runbook and postmortem services keep, for now, only this record of the
// incident events they consume, so the bus wiring can be checked end to end
// (see recording_service.h). It lives in the service's own SQLite file:
//
//   ASSIGN_OR_RETURN(std::unique_ptr<EventRecord> record,
//                    EventRecord::Open(".state/runbook.db", clock));
//   ASSIGN_OR_RETURN(bool fresh, record->Record("runbook-incidents", event));
//   ASSIGN_OR_RETURN(std::vector<ReceivedEvent> events, record->List("inc-1"));
//
// Record() writes the consumer's inbox row and the received event in one
// transaction, so an event redelivered to the same consumer is recorded once.
// Schema: the inbox (version 1100, libs/store/inbox.h) and received_events
// (version 1200; like the outbox and inbox, a table shared through a library
// takes versions of 1000 and above, so the service's own stay free).
#ifndef TOCSIN_LIBS_EVENT_RECORD_EVENT_RECORD_H_
#define TOCSIN_LIBS_EVENT_RECORD_EVENT_RECORD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/proto/time.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"

namespace tocsin::event_record {

// One recorded event, as the services' ListReceivedEvents answers show it.
struct ReceivedEvent {
  std::string event_id;
  std::string type;
  std::string incident_id;
  absl::Time receive_time;
};

// The most events List() returns: the newest ones.
inline constexpr int kMaxListed = 1000;

class EventRecord {
 public:
  // Opens (creating if needed) the SQLite file at path and migrates it.
  // receive_time of recorded events is read from clock. A service that keeps
  // its own tables in the same file passes their migrations (versions 1-999),
  // applied first; its store then works on database().
  static absl::StatusOr<std::unique_ptr<EventRecord>> Open(
      const std::string& path, const Clock* clock,
      const std::vector<store::Migration>& service_migrations = {});

  // Records event (its id, type and incident id) for consumer, unless
  // consumer recorded it before. true when newly recorded, false for a
  // repeat (nothing changes). InvalidArgument for an empty consumer or event
  // id.
  absl::StatusOr<bool> Record(const std::string& consumer, const bus::Envelope& event);

  // The events of incident_id (all incidents when empty), oldest first; at
  // most kMaxListed, the newest ones.
  absl::StatusOr<std::vector<ReceivedEvent>> List(const std::string& incident_id);

  // Readiness: the database answers.
  absl::Status Ping();

  // The database, for the service host (outbox relay, dead letters).
  store::Database* database() { return db_.get(); }

 private:
  EventRecord(std::unique_ptr<store::Database> db, const Clock* clock)
      : db_(std::move(db)), clock_(clock) {}

  const std::unique_ptr<store::Database> db_;
  const Clock* const clock_;
};

// Answers a ListReceivedEvents call: appends the events of incident_id to
// response, which may be any service's ListReceivedEventsResponse (they
// share the ReceivedEvent fields).
template <typename Response>
absl::Status ListReceivedEvents(EventRecord& record, const std::string& incident_id,
                                Response* response) {
  absl::StatusOr<std::vector<ReceivedEvent>> events = record.List(incident_id);
  if (!events.ok()) return events.status();
  for (const ReceivedEvent& e : *events) {
    auto* out = response->add_events();
    out->set_event_id(e.event_id);
    out->set_type(e.type);
    out->set_incident_id(e.incident_id);
    *out->mutable_receive_time() = ToProtoTime(e.receive_time);
  }
  return absl::OkStatus();
}

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_EVENT_RECORD_H_
