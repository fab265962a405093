// SqliteChatStore: ChatStore on the paging service's SQLite database (the
// same file and connection as SqlitePagingStore; its tables come with the
// paging schema, ChatMigrations()).
#ifndef TOCSIN_SERVICES_PAGING_CHAT_SQLITE_STORE_H_
#define TOCSIN_SERVICES_PAGING_CHAT_SQLITE_STORE_H_

#include <vector>

#include "libs/clock/clock.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"
#include "services/paging/chat_store.h"

namespace tocsin::paging {

// The chat tables: migration versions 100-199 of the paging schema.
std::vector<store::Migration> ChatMigrations();

class SqliteChatStore final : public ChatStore {
 public:
  // db must be migrated with ChatMigrations() (SqlitePagingStore::Open does)
  // and outlive the store.
  SqliteChatStore(store::Database* db, const Clock* clock) : db_(db), clock_(clock) {}

  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override;

 private:
  class SqliteTx;
  store::Database* const db_;
  const Clock* const clock_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_SQLITE_STORE_H_
