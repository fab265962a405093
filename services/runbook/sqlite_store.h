// SqliteRunbookStore: RunbookStore on the service's SQLite file.
//
// The file is shared with the service's record of received events
// (libs/event_record): open it with
//   EventRecord::Open(path, clock, RunbookMigrations())
// and build the store on record->database(). Runbooks, executions (their API
// view and the engine's context) are stored whole (serialized proto, JSON);
// the columns beside them are what queries filter, sort and compare-and-set
// on. Thread-safety: as store::Database (any thread; bodies serialized).
#ifndef TOCSIN_SERVICES_RUNBOOK_SQLITE_STORE_H_
#define TOCSIN_SERVICES_RUNBOOK_SQLITE_STORE_H_

#include <functional>
#include <vector>

#include "libs/clock/clock.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"
#include "services/runbook/store.h"

namespace tocsin::runbook {

// The runbook service's own tables (versions 1-999).
std::vector<store::Migration> RunbookMigrations();

class SqliteRunbookStore final : public RunbookStore {
 public:
  // db must be migrated with RunbookMigrations() and the shared outbox and
  // inbox migrations; it outlives the store.
  SqliteRunbookStore(store::Database* db, const Clock* clock) : db_(db), clock_(clock) {}

  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Ping() override;

 private:
  class SqliteTx;
  store::Database* const db_;
  const Clock* const clock_;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_SQLITE_STORE_H_
