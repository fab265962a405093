// SqliteEscalationStore: EscalationStore on one SQLite file (WAL, durable
// commits), with the shared outbox and inbox tables. Migrations run in Open().
//
//   ASSIGN_OR_RETURN(auto store, SqliteEscalationStore::Open(".state/escalation.db", clock));
//   EscalationCore core(store.get(), clock, &ids, options);
#ifndef TOCSIN_SERVICES_ESCALATION_SQLITE_STORE_H_
#define TOCSIN_SERVICES_ESCALATION_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/store/database.h"
#include "services/escalation/store.h"

namespace tocsin::escalation {

class SqliteEscalationStore final : public EscalationStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteEscalationStore>> Open(const std::string& path,
                                                                     const Clock* clock);

  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override;
  absl::Status Ping() override;

  // For the outbox relay.
  store::Database* database() { return db_.get(); }

 private:
  class SqliteTx;
  SqliteEscalationStore(std::unique_ptr<store::Database> db, const Clock* clock)
      : db_(std::move(db)), clock_(clock) {}

  std::unique_ptr<store::Database> db_;
  const Clock* clock_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_SQLITE_STORE_H_
