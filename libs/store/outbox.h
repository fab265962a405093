// Outbox: events a service emits, committed with its state change, then
// published by a relay.
//
// The commit point of every Tocsin operation is a database transaction,
// never a bus acknowledgement. A service therefore never publishes directly:
// inside the transaction that changes its state it calls AppendToOutbox(),
// and after the commit it calls relay->Notify(). The OutboxRelay publishes
// unpublished rows in commit (seq) order with EventBus::Publish and marks
// each one published once the bus acknowledged it. A crash between publish
// and mark republishes the same event_id, which the bus de-duplicates
// (Nats-Msg-Id), so every committed event reaches the bus, and nothing from
// a rolled-back transaction ever does.
//
//   RETURN_IF_ERROR(db->Transaction([&]() -> absl::Status {
//     RETURN_IF_ERROR(SaveIncident(*db, incident));
//     return AppendToOutbox(*db, opened_envelope, clock->Now());
//   }));
//   relay->Notify();
//
// Schema: OutboxMigrations() (versions 1000-1099 are reserved for it; see
// migrations.h). Published rows stay until PruneOutbox() removes them.
//
// The relay never skips a row: an event the bus keeps refusing holds back
// the ones after it (visible in PendingCount() and the warning log) rather
// than reordering them. One relay per database file.
#ifndef TOCSIN_LIBS_STORE_OUTBOX_H_
#define TOCSIN_LIBS_STORE_OUTBOX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"

namespace tocsin::store {

// The outbox table and its index, as version 1000.
std::vector<Migration> OutboxMigrations();

// Adds envelope to the outbox. Call it inside the Transaction() that makes
// the state change the event reports; outside one it fails with
// FailedPrecondition. InvalidArgument for an envelope the bus would refuse
// (bus::ValidateEnvelope: no event_id, malformed type); AlreadyExists when
// event_id is already in the outbox.
absl::Status AppendToOutbox(Database& db, const bus::Envelope& envelope,
                            absl::Time now);

// Deletes rows published before older_than, in its own transaction.
absl::Status PruneOutbox(Database& db, absl::Time older_than);

struct OutboxRelayOptions {
  // Rows read from the database at a time.
  int batch_size = 100;
  // Safety net: how often the relay looks for rows without a Notify().
  absl::Duration poll_interval = absl::Milliseconds(200);
  // After a failure the relay waits min_backoff, doubling on each further
  // failure up to max_backoff; a success resets it.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
};

class OutboxRelay {
 public:
  // Starts the background thread, which makes a pass on every Notify(),
  // every poll_interval, and (while failing) after each backoff. The first
  // pass comes after poll_interval or the first Notify(), whichever is
  // sooner; rows left by a previous run are picked up then. db, bus and
  // clock (which stamps published_at) must outlive the relay.
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Start(
      Database* db, bus::EventBus* bus, const Clock* clock,
      OutboxRelayOptions options = {});
  // Stop()s.
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Wakes the relay to publish at once; call it after committing a
  // transaction that appended to the outbox. Cheap. It does not cut short
  // the wait after a failure.
  void Notify();

  // Publishes every pending row now, in order, on the calling thread;
  // returns the first failure (rows from it on stay pending). Passes never
  // overlap: this waits for one the background thread has under way. Not
  // inside a Database::Transaction() (it commits each mark itself).
  absl::Status RunOnce();

  // Ends the background thread after the row it is publishing, if any.
  // Rows left stay pending for the next relay. Idempotent.
  void Stop();

  // Rows not yet published.
  absl::StatusOr<int64_t> PendingCount();

 private:
  struct PendingRow {
    int64_t seq;
    std::string event_id;
    std::string envelope;
  };

  OutboxRelay(Database* db, bus::EventBus* bus, const Clock* clock,
              OutboxRelayOptions options);
  void Loop();
  // Publishes pending rows until none are left, or until Stop() when
  // stop_when_asked.
  absl::Status PublishPending(bool stop_when_asked);
  absl::StatusOr<std::vector<PendingRow>> ReadPending();
  absl::Status MarkPublished(const std::vector<int64_t>& seqs);
  bool StopRequested();
  bool ShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Database* const db_;
  bus::EventBus* const bus_;
  const Clock* const clock_;
  const OutboxRelayOptions options_;

  // Held for a whole publishing pass, so passes never publish a row twice.
  absl::Mutex pass_mu_;

  absl::Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_OUTBOX_H_
