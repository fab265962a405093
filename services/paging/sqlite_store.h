// SqlitePagingStore: PagingStore on one SQLite file (WAL, durable commits),
// with the shared outbox and inbox tables. Migrations run in Open().
//
//   ASSIGN_OR_RETURN(auto store, SqlitePagingStore::Open(".state/paging.db", clock));
//   relay = OutboxRelay::Start(store->database(), &bus, clock);
#ifndef TOCSIN_SERVICES_PAGING_SQLITE_STORE_H_
#define TOCSIN_SERVICES_PAGING_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/store/database.h"
#include "services/paging/store.h"

namespace tocsin::paging {

class SqlitePagingStore final : public PagingStore {
 public:
  // busy_timeout: how long a statement waits for another connection's lock
  // before it fails with Unavailable.
  static absl::StatusOr<std::unique_ptr<SqlitePagingStore>> Open(
      const std::string& path, const Clock* clock,
      absl::Duration busy_timeout = absl::Seconds(5));

  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Ping() override;

  // For the outbox relay (and tests that look at the outbox).
  store::Database* database() { return db_.get(); }

 private:
  class SqliteTx;
  SqlitePagingStore(std::unique_ptr<store::Database> db, const Clock* clock)
      : db_(std::move(db)), clock_(clock) {}

  std::unique_ptr<store::Database> db_;
  const Clock* clock_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_SQLITE_STORE_H_
