#include "libs/store/inbox.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace tocsin::store {
namespace {

constexpr absl::string_view kCreateInbox = R"sql(
CREATE TABLE inbox(
  consumer TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY(consumer, event_id)
);
)sql";

// For PruneInbox.
constexpr absl::string_view kIndexReceived =
    "CREATE INDEX inbox_received_at ON inbox(received_at);";

constexpr absl::string_view kPrune =
    "DELETE FROM inbox WHERE rowid IN (SELECT rowid FROM inbox "
    "WHERE received_at < ?1 LIMIT ?2)";

constexpr absl::string_view kInsert =
    "INSERT INTO inbox(consumer, event_id, received_at) VALUES(?, ?, ?) "
    "ON CONFLICT DO NOTHING";

}  // namespace

std::vector<Migration> InboxMigrations() {
  return {{1100, "inbox", std::string(kCreateInbox)},
          {1101, "inbox_received_at", std::string(kIndexReceived)}};
}

absl::StatusOr<bool> RecordInInbox(Database& db, absl::string_view consumer,
                                   absl::string_view event_id, absl::Time now) {
  if (consumer.empty() || event_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("inbox needs a consumer and an event_id; got consumer \"",
                     consumer, "\", event_id \"", event_id, "\""));
  }
  ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsert));
  RETURN_IF_ERROR(insert.BindAll(consumer, event_id, now));
  ASSIGN_OR_RETURN(int64_t inserted, insert.Run());
  return inserted == 1;
}

absl::StatusOr<int64_t> PruneInbox(Database& db, absl::Time older_than,
                                   int batch_size) {
  return DeleteInBatches(db, kPrune, older_than, batch_size);
}

}  // namespace tocsin::store
