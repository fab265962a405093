// SqlitePostmortemStore: PostmortemStore on the service's SQLite file.
//
// The file is shared with the service's record of received events
// (libs/event_record): open it with
//   EventRecord::Open(path, clock, PostmortemMigrations())
// and build the store on record->database(). Templates, analyses and action
// items are stored whole (serialized proto); the columns beside them are what
// queries filter and sort on. Thread-safety: as store::Database (any thread;
// bodies serialized).
#ifndef TOCSIN_SERVICES_POSTMORTEM_SQLITE_STORE_H_
#define TOCSIN_SERVICES_POSTMORTEM_SQLITE_STORE_H_

#include <functional>
#include <vector>

#include "libs/store/database.h"
#include "libs/store/migrations.h"
#include "services/postmortem/store.h"

namespace tocsin::postmortem {

// The postmortem service's own tables (versions 1-999).
std::vector<store::Migration> PostmortemMigrations();

class SqlitePostmortemStore final : public PostmortemStore {
 public:
  // db must be migrated with PostmortemMigrations(); it outlives the store.
  explicit SqlitePostmortemStore(store::Database* db) : db_(db) {}

  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Ping() override;

 private:
  class SqliteTx;
  store::Database* const db_;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_SQLITE_STORE_H_
