// Outbox: events a service emits, committed with its state change, then
// published by a relay.
//
// The commit point of every Tocsin operation is a database transaction,
// never a bus acknowledgement. A service therefore never publishes directly:
// inside the transaction that changes its state it calls AppendToOutbox(),
// which also signals kOutboxTopic (Database::SignalOnCommit), so the commit
// itself wakes the OutboxRelay; nobody has to tell it. The relay publishes
// unpublished rows in commit (seq) order with EventBus::Publish and marks
// each one published once the bus acknowledged it. A crash between publish
// and mark republishes the same event_id, which the bus de-duplicates
// (Nats-Msg-Id), so every committed event reaches the bus, and nothing from
// a rolled-back transaction ever does.
//
//   RETURN_IF_ERROR(db->Transaction([&]() -> absl::Status {
//     RETURN_IF_ERROR(SaveIncident(*db, incident));
//     return AppendToOutbox(*db, opened_envelope, clock->Now());
//   }));  // committed: the relay is awake
//
// Schema: OutboxMigrations() (versions 1000-1099 are reserved for it; see
// migrations.h). Published rows stay until PruneOutbox() removes them.
//
// One bad row never holds back the others. When Publish fails:
// - transiently (IsTransient: the bus unreachable, a timeout), the relay
//   backs off and retries the same row, so order is kept, for as long as it
//   takes (visible in Stats() and Healthy());
// - permanently (anything else: an event larger than the server's max
//   payload, a row whose bytes do not parse), the row leaves the outbox and
//   becomes a dead letter (source "outbox", see dead_letters.h, which the
//   relay needs: apply DeadLetterMigrations()) in one transaction, with
//   OutboxRelayOptions::on_dead_letter, and the relay goes on with the next
//   row at once. ReplayOutboxDeadLetter() puts it back once the cause is
//   fixed.
// One relay per database file.
#ifndef TOCSIN_LIBS_STORE_OUTBOX_H_
#define TOCSIN_LIBS_STORE_OUTBOX_H_

#include <atomic>
#include <cstdint>
#include <functional>
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
#include "libs/store/dead_letters.h"
#include "libs/store/migrations.h"

namespace tocsin::store {

// The topic AppendToOutbox signals on commit (Database::SignalOnCommit);
// OutboxRelay listens to it.
inline constexpr char kOutboxTopic[] = "outbox";

// The outbox table and its indexes, as versions 1000-1001.
std::vector<Migration> OutboxMigrations();

// Adds envelope to the outbox and signals kOutboxTopic. Call it inside the
// Transaction() that makes the state change the event reports; outside one
// it fails with FailedPrecondition. InvalidArgument for an envelope the bus
// would refuse (bus::ValidateEnvelope: no event_id, malformed type);
// AlreadyExists when event_id is already in the outbox.
absl::Status AppendToOutbox(Database& db, const bus::Envelope& envelope,
                            absl::Time now);

// Deletes rows published before older_than (never a pending one), in
// transactions of at most batch_size rows (see DeleteInBatches); returns how
// many went. Not inside a Transaction().
absl::StatusOr<int64_t> PruneOutbox(Database& db, absl::Time older_than,
                                    int batch_size = 1000);

// Puts the event a dead letter of source "outbox" holds back into the
// outbox, pending, after every row there (a new seq), and marks the dead
// letter replayed, in one transaction of its own; the commit wakes the
// relay. NotFound for an unknown id; FailedPrecondition for a dead letter
// already replayed, from another source, or whose bytes are not an
// envelope; AppendToOutbox's errors otherwise.
absl::Status ReplayOutboxDeadLetter(Database& db, const std::string& id,
                                    absl::Time now);

struct OutboxRelayOptions {
  // Rows read from the database at a time.
  int batch_size = 100;
  // Safety net: how often the relay looks for rows without a commit signal
  // or Notify().
  absl::Duration poll_interval = absl::Milliseconds(200);
  // After a transient failure the relay waits min_backoff, doubling on each
  // further failure up to max_backoff; a success resets it.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  // Dead letters get ids "<dead_letter_prefix>-<n>": use the service name
  // ("paging"), so an id names the service that holds it. Required.
  std::string dead_letter_prefix;
  // Called inside the transaction that sets a refused event aside, with the
  // dead letter as stored, e.g. to append a "system.dead_lettered" notice to
  // the outbox (keep that one small: a notice the bus refuses too becomes a
  // dead letter in turn). An error rolls the whole set-aside back; the relay
  // retries the row after a backoff.
  std::function<absl::Status(Database&, const DeadLetterRecord&)>
      on_dead_letter;
};

// For metrics and readiness.
struct OutboxStats {
  // Rows not yet published, and how long the oldest has waited (by the
  // relay's clock, from its created_at; zero when none is pending).
  int64_t pending = 0;
  absl::Duration oldest_pending_age;
  // Since the relay started: events the bus acknowledged, events set aside
  // as dead letters, Publish calls (or unreadable rows) that failed,
  // transiently or not.
  int64_t published_total = 0;
  int64_t dead_lettered_total = 0;
  int64_t publish_failures_total = 0;
};

class OutboxRelay {
 public:
  // Starts the background thread, which makes a pass after every commit
  // that appended to the outbox (it listens to kOutboxTopic on db), on every
  // Notify(), every poll_interval, and (while failing) after each backoff.
  // The first pass comes after poll_interval or the first commit,
  // whichever is sooner; rows left by a previous run are picked up then.
  // Only commits through db itself wake it: rows committed through another
  // Database object or process wait for the poll. db,
  // bus and clock (which stamps published_at and dead letters, and measures
  // Stats()' ages) must outlive the relay. InvalidArgument for bad options;
  // FailedPrecondition when db lacks the dead_letters table
  // (DeadLetterMigrations()).
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Start(
      Database* db, bus::EventBus* bus, const Clock* clock,
      OutboxRelayOptions options = {});
  // Stop()s.
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Wakes the relay to publish at once. Cheap. It does not cut short the
  // wait after a failure. Commits that append to the outbox wake the relay
  // by themselves; this stays for callers that still call it.
  void Notify();

  // Publishes every pending row now, in order, on the calling thread,
  // setting aside those the bus refuses permanently; returns the first
  // transient failure (rows from it on stay pending), or a failure to set a
  // row aside (that row stays pending). Passes never overlap: this waits for
  // one the background thread has under way. Not inside a
  // Database::Transaction() (it commits each mark itself).
  absl::Status RunOnce();

  // Ends the background thread after the row it is publishing, if any, and
  // stops listening to commits. Rows left stay pending for the next relay.
  // Idempotent.
  void Stop();

  // Rows not yet published.
  absl::StatusOr<int64_t> PendingCount();

  // Pending rows and the oldest one's age from the table, totals since
  // Start().
  absl::StatusOr<OutboxStats> Stats();

  // Readiness: Unavailable "outbox relay stuck: N events pending, the oldest
  // for 5m3s (last error: ...)" when the oldest pending row has waited
  // longer than max_age; the last error is that of the latest failed
  // Publish (or set-aside) since the last successful one, or "none". OK
  // otherwise; the database's error when it cannot be read.
  absl::Status Healthy(absl::Duration max_age);

 private:
  struct PendingRow {
    int64_t seq;
    std::string event_id;
    std::string type;
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
  // Moves row out of the outbox into a dead letter (envelope is null when
  // the row's bytes did not parse), running on_dead_letter.
  absl::Status SetAside(const PendingRow& row, const bus::Envelope* envelope,
                        const absl::Status& error, int64_t attempts);
  // Counts a failed Publish (when counted) and keeps error for Healthy().
  void NoteFailure(const absl::Status& error, bool counted);
  bool StopRequested();
  bool ShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Database* const db_;
  bus::EventBus* const bus_;
  const Clock* const clock_;
  const OutboxRelayOptions options_;

  // Held for a whole publishing pass, so passes never publish a row twice.
  absl::Mutex pass_mu_;
  // Failed tries of the row at the head of the outbox (seq), for a dead
  // letter's attempts.
  int64_t failing_seq_ ABSL_GUARDED_BY(pass_mu_) = 0;
  int64_t failing_tries_ ABSL_GUARDED_BY(pass_mu_) = 0;

  // The commit listener registered on db_ (0 once removed).
  std::atomic<int> listener_id_{0};

  absl::Mutex stats_mu_;
  int64_t published_total_ ABSL_GUARDED_BY(stats_mu_) = 0;
  int64_t dead_lettered_total_ ABSL_GUARDED_BY(stats_mu_) = 0;
  int64_t publish_failures_total_ ABSL_GUARDED_BY(stats_mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(stats_mu_);

  absl::Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_OUTBOX_H_
