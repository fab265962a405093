#include "libs/event_record/event_record.h"

#include <algorithm>
#include <utility>

#include "libs/status/status_macros.h"
#include "libs/store/dead_letters.h"
#include "libs/store/inbox.h"
#include "libs/store/outbox.h"
#include "libs/store/migrations.h"

namespace tocsin::event_record {
namespace {

using store::Statement;

// received_events sorts by rowid, the order events were recorded in (rows
// are never deleted, so rowids only grow).
std::vector<store::Migration> Migrations(const std::vector<store::Migration>& service) {
  // The outbox and dead letters are the service host's (its announcements of
  // dead letters, and the service's own events).
  std::vector<store::Migration> m = service;
  for (const store::Migration& outbox : store::OutboxMigrations()) m.push_back(outbox);
  for (const store::Migration& inbox : store::InboxMigrations()) m.push_back(inbox);
  m.push_back({1200, "received_events", R"sql(
CREATE TABLE received_events (
  event_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  receive_time INTEGER NOT NULL
);
CREATE INDEX received_events_incident ON received_events(incident_id);
)sql"});
  for (const store::Migration& dl : store::DeadLetterMigrations()) m.push_back(dl);
  return m;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventRecord>> EventRecord::Open(
    const std::string& path, const Clock* clock,
    const std::vector<store::Migration>& service_migrations) {
  store::DatabaseOptions options;
  options.path = path;
  ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::Open(options));
  RETURN_IF_ERROR(store::Migrate(*db, Migrations(service_migrations), *clock));
  return std::unique_ptr<EventRecord>(new EventRecord(std::move(db), clock));
}

absl::StatusOr<bool> EventRecord::Record(const std::string& consumer, const bus::Envelope& event) {
  bool fresh = false;
  RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    ASSIGN_OR_RETURN(fresh, store::RecordInInbox(*db_, consumer, event.event_id(), now));
    if (!fresh) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        Statement insert,
        db_->Prepare("INSERT INTO received_events(event_id, type, incident_id, receive_time) "
                     "VALUES(?, ?, ?, ?)"));
    RETURN_IF_ERROR(insert.BindAll(event.event_id(), event.type(), event.incident_id(), now));
    return insert.Run().status();
  }));
  return fresh;
}

absl::StatusOr<std::vector<ReceivedEvent>> EventRecord::List(const std::string& incident_id) {
  std::vector<ReceivedEvent> events;
  RETURN_IF_ERROR(db_->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement query,
        db_->Prepare("SELECT event_id, type, incident_id, receive_time FROM received_events "
                     "WHERE ?1 = '' OR incident_id = ?1 ORDER BY rowid DESC LIMIT ?2"));
    RETURN_IF_ERROR(query.BindAll(incident_id, kMaxListed));
    while (true) {
      ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      events.push_back(
          {query.ColumnText(0), query.ColumnText(1), query.ColumnText(2), query.ColumnTime(3)});
    }
    return absl::OkStatus();
  }));
  std::reverse(events.begin(), events.end());
  return events;
}

absl::Status EventRecord::Ping() { return db_->Ping(); }

}  // namespace tocsin::event_record
