// Dead letters: what a service set aside because it can never succeed as it
// is, kept with the reason so that processing goes on with the next item and
// an operator can see it and, once the cause is fixed, replay it.
//
// Two sources put rows here: a bus consumer whose handler refused an event
// permanently (source "consumer:<durable name>") and the outbox relay, for an
// event the bus refused permanently (source "outbox", see outbox.h). The
// stored data is the message's raw bytes (the serialised envelope as it was
// received or as it would have been published), so a replay hands over
// exactly what was set aside.
//
//   RETURN_IF_ERROR(db->Transaction([&]() -> absl::Status {
//     ASSIGN_OR_RETURN(DeadLetterRecord added,
//                      AddDeadLetter(*db, "paging", std::move(record), now));
//     return AppendToOutbox(*db, DeadLetteredEvent(added), now);
//   }));
//
// Rows stay until they are replayed and then pruned (PruneDeadLetters); one
// that is never replayed stays, visible in CountDeadLetters(). Schema:
// DeadLetterMigrations() (versions 1300-1399 are reserved for it; see
// migrations.h).
#ifndef TOCSIN_LIBS_STORE_DEAD_LETTERS_H_
#define TOCSIN_LIBS_STORE_DEAD_LETTERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"

namespace tocsin::store {

// The dead_letters table, as version 1300.
std::vector<Migration> DeadLetterMigrations();

struct DeadLetterRecord {
  // "<id_prefix>-<n>", assigned by AddDeadLetter.
  std::string id;
  // What set it aside: "consumer:<durable name>" or "outbox".
  std::string source;
  // The event's id, type and incident, when the bytes parsed as an envelope.
  std::string event_id;
  std::string type;
  std::string incident_id;
  // The bus subject it came from or was bound for.
  std::string subject;
  // Raw bytes as received, or as they would have been published.
  std::string data;
  // Why: the last error (stored as valid UTF-8 of at most
  // text::kMaxDetailBytes).
  std::string error;
  // Tries before it was set aside.
  int64_t attempts = 0;
  absl::Time create_time;
  // Unset until replayed.
  std::optional<absl::Time> replay_time;
};

// The source of dead letters set aside by the outbox relay.
inline constexpr char kOutboxDeadLetterSource[] = "outbox";

// Stores record with id "<id_prefix>-<n>" (n increases through the life of
// the database and is never reused, even after pruning), create_time now
// and no replay_time, and returns it as stored. Call it inside the
// Transaction() that sets the item aside; outside one it fails with
// FailedPrecondition. InvalidArgument for an empty id_prefix or source.
absl::StatusOr<DeadLetterRecord> AddDeadLetter(Database& db,
                                               absl::string_view id_prefix,
                                               DeadLetterRecord record,
                                               absl::Time now);

// At most limit (>= 1, else InvalidArgument) dead letters, newest first;
// those already replayed only with include_replayed.
absl::StatusOr<std::vector<DeadLetterRecord>> ListDeadLetters(
    Database& db, bool include_replayed, int limit);

// NotFound for an unknown id.
absl::StatusOr<DeadLetterRecord> GetDeadLetter(Database& db,
                                               absl::string_view id);

// Sets replay_time to now. Call it inside the Transaction() that replays
// (so a replay and its mark commit together); outside one it fails with
// FailedPrecondition. NotFound for an unknown id, FailedPrecondition for one
// already replayed.
absl::Status MarkDeadLetterReplayed(Database& db, absl::string_view id,
                                    absl::Time now);

// Dead letters not replayed yet.
absl::StatusOr<int64_t> CountDeadLetters(Database& db);

// Deletes dead letters replayed before replayed_before (never one that was
// not replayed), in transactions of at most batch_size rows so a large prune
// never holds the connection for long. Returns how many went.
absl::StatusOr<int64_t> PruneDeadLetters(Database& db,
                                         absl::Time replayed_before,
                                         int batch_size = 1000);

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_DEAD_LETTERS_H_
