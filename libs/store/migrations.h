// Migrations: versioned schema changes, applied at service start-up.
//
// A service lists its schema as Migrations with strictly increasing versions
// and calls Migrate() before serving. Migrate() records applied versions in
// schema_migrations(version, name, applied_at) and applies, each in its own
// transaction, every listed migration not recorded yet, in list order. It
// refuses to run (FailedPrecondition) when the database holds a migration the
// binary does not know (an older binary on a newer database), when a recorded
// version has a different name in the binary (two migrations claim one
// version), or when the list is not strictly increasing.
//
// Version ranges: 1-999 belong to the service's own tables; 1000 and above
// are reserved for tables shared through libs/store and other libraries:
//   1000-1099  outbox        (outbox.h)
//   1100-1199  inbox         (inbox.h)
//   1200-1299  received_events (libs/event_record)
//   1300-1399  dead_letters  (dead_letters.h)
// Append the shared lists after the service's own, in that order, so the
// whole list stays increasing:
//
//   std::vector<Migration> migrations = {
//       {1, "incidents", "CREATE TABLE incidents(...);"},
//       {2, "incident_title", "ALTER TABLE incidents ADD COLUMN title TEXT;"},
//   };
//   for (const auto& shared : {OutboxMigrations(), InboxMigrations(),
//                              DeadLetterMigrations()}) {
//     migrations.insert(migrations.end(), shared.begin(), shared.end());
//   }
//   RETURN_IF_ERROR(Migrate(*db, migrations, *clock));
//
// A migration, once released, never changes: add a new version instead.
#ifndef TOCSIN_LIBS_STORE_MIGRATIONS_H_
#define TOCSIN_LIBS_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/clock/clock.h"
#include "libs/store/database.h"

namespace tocsin::store {

struct Migration {
  // Positive; strictly increasing through the list.
  int version;
  // Short, stable label, e.g. "incidents"; recorded with the version.
  std::string name;
  // One or more ';'-separated DDL/DML statements.
  std::string sql;
};

// Brings db up to date with migrations; applied_at is taken from clock.
absl::Status Migrate(Database& db, const std::vector<Migration>& migrations,
                     const Clock& clock);

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_MIGRATIONS_H_
