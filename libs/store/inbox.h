// Inbox: makes event consumers idempotent.
//
// The bus redelivers (after a crash, a lost ack, a nak), so a consumer
// records each event id it applies in the inbox, in the same transaction as
// the state change and the events it emits. A redelivered event finds its id
// and changes nothing; the handler still returns OK so the bus acks it.
//
//   absl::Status OnIncidentOpened(const bus::Envelope& event) {
//     RETURN_IF_ERROR(db->Transaction([&]() -> absl::Status {
//       ASSIGN_OR_RETURN(bool fresh,
//                        RecordInInbox(*db, "escalation-incident-events",
//                                      event.event_id(), clock->Now()));
//       if (!fresh) return absl::OkStatus();
//       RETURN_IF_ERROR(StartEngagement(*db, event));    // the state change
//       return AppendToOutbox(*db, engagement_started, clock->Now());
//     }));
//     relay->Notify();
//     return absl::OkStatus();
//   }
//
// consumer names the consuming purpose (e.g. the durable consumer name), so
// one service can consume the same event for two purposes. Schema:
// InboxMigrations() (versions 1100-1199 are reserved for it; see
// migrations.h). Records stay until PruneInbox() removes them: keep them
// longer than the bus can redeliver (its stream's max age), or a late
// redelivery is applied twice.
#ifndef TOCSIN_LIBS_STORE_INBOX_H_
#define TOCSIN_LIBS_STORE_INBOX_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"

namespace tocsin::store {

// The inbox table and its index by time, as versions 1100-1101.
std::vector<Migration> InboxMigrations();

// Records (consumer, event_id). Returns true the first time (apply the
// event), false if it was recorded before (skip it, but ack). Call it inside
// the consumer's Transaction(); outside one it fails with FailedPrecondition.
// InvalidArgument when consumer or event_id is empty.
absl::StatusOr<bool> RecordInInbox(Database& db, absl::string_view consumer,
                                   absl::string_view event_id, absl::Time now);

// Deletes records made before older_than (by RecordInInbox's now), in
// transactions of at most batch_size rows (see DeleteInBatches); returns how
// many went. Not inside a Transaction().
absl::StatusOr<int64_t> PruneInbox(Database& db, absl::Time older_than,
                                   int batch_size = 1000);

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_INBOX_H_
