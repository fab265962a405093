#include "libs/store/outbox.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"

namespace tocsin::store {
namespace {

constexpr absl::string_view kCreateOutbox = R"sql(
CREATE TABLE outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  envelope BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  published_at INTEGER
);
CREATE INDEX outbox_unpublished ON outbox(seq) WHERE published_at IS NULL;
)sql";

// For PruneOutbox: published rows by time.
constexpr absl::string_view kIndexPublished = R"sql(
CREATE INDEX outbox_published ON outbox(published_at)
  WHERE published_at IS NOT NULL;
)sql";

constexpr absl::string_view kInsert =
    "INSERT INTO outbox(event_id, type, envelope, created_at) "
    "VALUES(?, ?, ?, ?)";
constexpr absl::string_view kSelectPending =
    "SELECT seq, event_id, type, envelope FROM outbox "
    "WHERE published_at IS NULL ORDER BY seq LIMIT ?";
constexpr absl::string_view kMarkPublished =
    "UPDATE outbox SET published_at = ? WHERE seq = ?";
constexpr absl::string_view kDeletePending =
    "DELETE FROM outbox WHERE seq = ? AND published_at IS NULL";
constexpr absl::string_view kCountPending =
    "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL";
constexpr absl::string_view kOldestPending =
    "SELECT created_at FROM outbox WHERE published_at IS NULL "
    "ORDER BY seq LIMIT 1";
constexpr absl::string_view kPrune =
    "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox "
    "WHERE published_at < ?1 LIMIT ?2)";
constexpr absl::string_view kHasDeadLetters =
    "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
    "name = 'dead_letters'";

// A status from outside (the bus's reply) made fit for a log line or a
// readiness answer.
std::string Detail(const absl::Status& status) {
  return text::UntrustedLine(status.ToString(), text::kMaxDetailBytes);
}

}  // namespace

std::vector<Migration> OutboxMigrations() {
  return {{1000, "outbox", std::string(kCreateOutbox)},
          {1001, "outbox_published", std::string(kIndexPublished)}};
}

absl::Status AppendToOutbox(Database& db, const bus::Envelope& envelope,
                            absl::Time now) {
  // Refused here, in the caller's transaction, an envelope the bus would
  // refuse could never leave the outbox but as a dead letter.
  RETURN_IF_ERROR(bus::ValidateEnvelope(envelope));
  std::string bytes;
  if (!envelope.SerializeToString(&bytes)) {
    return absl::InternalError(
        absl::StrCat("cannot serialise envelope ", envelope.event_id()));
  }
  ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsert));
  RETURN_IF_ERROR(
      insert.BindAll(envelope.event_id(), envelope.type(), Blob{bytes}, now));
  RETURN_IF_ERROR(insert.Run().status());
  db.SignalOnCommit(kOutboxTopic);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PruneOutbox(Database& db, absl::Time older_than,
                                    int batch_size) {
  return DeleteInBatches(db, kPrune, older_than, batch_size);
}

absl::Status ReplayOutboxDeadLetter(Database& db, const std::string& id,
                                    absl::Time now) {
  return db.Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(DeadLetterRecord record, GetDeadLetter(db, id));
    if (record.source != kOutboxDeadLetterSource) {
      return absl::FailedPreconditionError(absl::StrCat(
          "dead letter ", id, " was set aside by ", record.source,
          ", not the outbox: replay it through its consumer"));
    }
    if (record.replay_time.has_value()) {
      return MarkDeadLetterReplayed(db, id, now);  // says when
    }
    bus::Envelope envelope;
    if (!envelope.ParseFromString(record.data)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "dead letter ", id, " (event ", record.event_id,
          ") does not hold a valid envelope: replaying it cannot succeed"));
    }
    RETURN_IF_ERROR(AppendToOutbox(db, envelope, now));
    return MarkDeadLetterReplayed(db, id, now);
  });
}

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Start(
    Database* db, bus::EventBus* bus, const Clock* clock,
    OutboxRelayOptions options) {
  if (db == nullptr || bus == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError(
        "OutboxRelay needs a database, a bus and a clock");
  }
  if (options.batch_size < 1 || options.poll_interval <= absl::ZeroDuration() ||
      options.min_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.min_backoff) {
    return absl::InvalidArgumentError(
        absl::StrCat("OutboxRelayOptions: need batch_size >= 1 (got ",
                     options.batch_size, "), poll_interval > 0 (got ",
                     absl::FormatDuration(options.poll_interval),
                     ") and 0 < min_backoff <= max_backoff (got ",
                     absl::FormatDuration(options.min_backoff), ", ",
                     absl::FormatDuration(options.max_backoff), ")"));
  }
  if (options.dead_letter_prefix.empty()) {
    return absl::InvalidArgumentError(
        "OutboxRelayOptions.dead_letter_prefix is empty (use the service "
        "name)");
  }
  // Checked now rather than at the first refused event, which would
  // otherwise hold back every later one.
  bool has_dead_letters = false;
  RETURN_IF_ERROR(db->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db->Prepare(kHasDeadLetters));
    ASSIGN_OR_RETURN(has_dead_letters, select.Step());
    return absl::OkStatus();
  }));
  if (!has_dead_letters) {
    return absl::FailedPreconditionError(
        "OutboxRelay needs the dead_letters table: apply "
        "DeadLetterMigrations() with the service's migrations");
  }
  std::unique_ptr<OutboxRelay> relay(
      new OutboxRelay(db, bus, clock, std::move(options)));
  OutboxRelay* const r = relay.get();
  r->listener_id_.store(
      db->AddCommitListener(kOutboxTopic, [r] { r->Notify(); }));
  {
    absl::MutexLock lock(&r->mu_);
    r->thread_ = std::thread([r] { r->Loop(); });
  }
  return relay;
}

OutboxRelay::OutboxRelay(Database* db, bus::EventBus* bus, const Clock* clock,
                         OutboxRelayOptions options)
    : db_(db), bus_(bus), clock_(clock), options_(std::move(options)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Notify() {
  absl::MutexLock lock(&mu_);
  notified_ = true;
}

void OutboxRelay::Stop() {
  // Before taking mu_: a listener running now holds the database's listener
  // lock and waits for mu_ in Notify().
  if (const int id = listener_id_.exchange(0); id != 0) {
    db_->RemoveCommitListener(id);
  }
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

bool OutboxRelay::ShouldWake() const { return notified_ || stop_; }

bool OutboxRelay::StopRequested() {
  absl::MutexLock lock(&mu_);
  return stop_;
}

absl::Status OutboxRelay::RunOnce() {
  return PublishPending(/*stop_when_asked=*/false);
}

void OutboxRelay::Loop() {
  absl::Duration backoff = options_.min_backoff;
  absl::Duration wait = options_.poll_interval;
  bool failing = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (failing) {
        mu_.AwaitWithTimeout(absl::Condition(&stop_), wait);
      } else {
        mu_.AwaitWithTimeout(absl::Condition(this, &OutboxRelay::ShouldWake),
                             wait);
      }
      if (stop_) return;
      notified_ = false;
    }
    const absl::Status status = PublishPending(/*stop_when_asked=*/true);
    failing = !status.ok();
    if (failing) {
      log::Warn("outbox relay: publishing failed; retrying",
                {{"error", Detail(status)},
                 {"retry_in", absl::FormatDuration(backoff)}});
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      wait = options_.poll_interval;
      backoff = options_.min_backoff;
    }
  }
}

void OutboxRelay::NoteFailure(const absl::Status& error, bool counted) {
  absl::MutexLock lock(&stats_mu_);
  if (counted) ++publish_failures_total_;
  last_error_ = Detail(error);
}

absl::Status OutboxRelay::PublishPending(bool stop_when_asked) {
  absl::MutexLock pass(&pass_mu_);
  while (true) {
    ASSIGN_OR_RETURN(std::vector<PendingRow> rows, ReadPending());
    if (rows.empty()) return absl::OkStatus();
    // Rows are marked in one transaction per batch (one commit, not one per
    // event); whatever was published is marked even when the batch stops
    // early. A crash before the mark republishes, which the bus de-duplicates.
    std::vector<int64_t> published_seqs;
    absl::Status status = absl::OkStatus();
    for (const PendingRow& row : rows) {
      if (stop_when_asked && StopRequested()) break;
      bus::Envelope envelope;
      const bool parsed = envelope.ParseFromString(row.envelope);
      absl::Status published;
      if (!parsed) {
        published = absl::DataLossError(
            absl::StrCat("outbox row ", row.seq, " (event ", row.event_id,
                         ") does not hold a valid envelope"));
      } else {
        const absl::Status reply = bus_->Publish(envelope);
        if (!reply.ok()) {
          published = absl::Status(
              reply.code(), absl::StrCat("publishing outbox event ",
                                         row.event_id, ": ", reply.message()));
        }
      }
      if (published.ok()) {
        published_seqs.push_back(row.seq);
        absl::MutexLock lock(&stats_mu_);
        ++published_total_;
        last_error_.clear();
        continue;
      }
      NoteFailure(published, /*counted=*/true);
      if (failing_seq_ != row.seq) {
        failing_seq_ = row.seq;
        failing_tries_ = 0;
      }
      ++failing_tries_;
      if (IsTransient(published)) {
        // Retried later, in order: nothing after it goes first.
        status = published;
        break;
      }
      // Permanent: retrying cannot help, so the row is set aside and the
      // pass goes on. What was published before it is marked first, so a
      // failing set-aside repeats no publish.
      RETURN_IF_ERROR(MarkPublished(published_seqs));
      published_seqs.clear();
      const absl::Status set_aside = SetAside(
          row, parsed ? &envelope : nullptr, published, failing_tries_);
      if (!set_aside.ok()) {
        status = absl::Status(
            set_aside.code(),
            absl::StrCat("cannot set aside outbox event ", row.event_id,
                         " (", published.ToString(),
                         "): ", set_aside.message()));
        NoteFailure(status, /*counted=*/false);
        break;
      }
    }
    RETURN_IF_ERROR(MarkPublished(published_seqs));
    if (!status.ok()) return status;
    if (stop_when_asked && StopRequested()) return absl::OkStatus();
  }
}

absl::Status OutboxRelay::SetAside(const PendingRow& row,
                                   const bus::Envelope* envelope,
                                   const absl::Status& error,
                                   int64_t attempts) {
  DeadLetterRecord record;
  record.source = kOutboxDeadLetterSource;
  record.event_id = row.event_id;
  record.type = envelope != nullptr ? envelope->type() : row.type;
  record.incident_id = envelope != nullptr ? envelope->incident_id() : "";
  record.subject = bus::SubjectFor(record.type);
  record.data = row.envelope;
  record.error = error.ToString();
  record.attempts = attempts;
  DeadLetterRecord added;
  bool moved = false;
  RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement remove, db_->Prepare(kDeletePending));
    RETURN_IF_ERROR(remove.BindAll(row.seq));
    ASSIGN_OR_RETURN(int64_t removed, remove.Run());
    moved = removed == 1;
    if (!moved) return absl::OkStatus();  // pruned or taken meanwhile
    ASSIGN_OR_RETURN(added, AddDeadLetter(*db_, options_.dead_letter_prefix,
                                          record, clock_->Now()));
    if (options_.on_dead_letter) {
      RETURN_IF_ERROR(options_.on_dead_letter(*db_, added));
    }
    return absl::OkStatus();
  }));
  if (!moved) return absl::OkStatus();
  {
    absl::MutexLock lock(&stats_mu_);
    ++dead_lettered_total_;
  }
  log::Warn("outbox relay: an event can never be published as it is; set "
            "aside as a dead letter, going on with the next",
            {{"dead_letter_id", added.id},
             {"event_id", added.event_id},
             {"incident_id", added.incident_id},
             {"error", added.error}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxRelay::PendingRow>>
OutboxRelay::ReadPending() {
  std::vector<PendingRow> rows;
  RETURN_IF_ERROR(db_->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db_->Prepare(kSelectPending));
    RETURN_IF_ERROR(select.BindAll(options_.batch_size));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      rows.push_back({select.ColumnInt64(0), select.ColumnText(1),
                      select.ColumnText(2), select.ColumnBlob(3)});
    }
  }));
  return rows;
}

absl::Status OutboxRelay::MarkPublished(const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return absl::OkStatus();
  return db_->Transaction([&]() -> absl::Status {
    const absl::Time now = clock_->Now();
    for (int64_t seq : seqs) {
      ASSIGN_OR_RETURN(Statement mark, db_->Prepare(kMarkPublished));
      RETURN_IF_ERROR(mark.BindAll(now, seq));
      RETURN_IF_ERROR(mark.Run().status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> OutboxRelay::PendingCount() {
  ASSIGN_OR_RETURN(OutboxStats stats, Stats());
  return stats.pending;
}

absl::StatusOr<OutboxStats> OutboxRelay::Stats() {
  OutboxStats stats;
  std::optional<absl::Time> oldest;
  RETURN_IF_ERROR(db_->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement count, db_->Prepare(kCountPending));
    ASSIGN_OR_RETURN(bool row, count.Step());
    if (row) stats.pending = count.ColumnInt64(0);
    ASSIGN_OR_RETURN(Statement head, db_->Prepare(kOldestPending));
    ASSIGN_OR_RETURN(row, head.Step());
    if (row) oldest = head.ColumnTime(0);
    return absl::OkStatus();
  }));
  stats.oldest_pending_age =
      oldest.has_value()
          ? std::max(absl::ZeroDuration(), clock_->Now() - *oldest)
          : absl::ZeroDuration();
  absl::MutexLock lock(&stats_mu_);
  stats.published_total = published_total_;
  stats.dead_lettered_total = dead_lettered_total_;
  stats.publish_failures_total = publish_failures_total_;
  return stats;
}

absl::Status OutboxRelay::Healthy(absl::Duration max_age) {
  ASSIGN_OR_RETURN(OutboxStats stats, Stats());
  if (stats.pending == 0 || stats.oldest_pending_age <= max_age) {
    return absl::OkStatus();
  }
  std::string last_error;
  {
    absl::MutexLock lock(&stats_mu_);
    last_error = last_error_.empty() ? "none" : last_error_;
  }
  return absl::UnavailableError(absl::StrCat(
      "outbox relay stuck: ", stats.pending,
      stats.pending == 1 ? " event" : " events", " pending, the oldest for ",
      absl::FormatDuration(
          absl::Trunc(stats.oldest_pending_age, absl::Seconds(1))),
      " (last error: ", last_error, ")"));
}

}  // namespace tocsin::store
