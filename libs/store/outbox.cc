#include "libs/store/outbox.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

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

constexpr absl::string_view kInsert =
    "INSERT INTO outbox(event_id, type, envelope, created_at) "
    "VALUES(?, ?, ?, ?)";
constexpr absl::string_view kSelectPending =
    "SELECT seq, event_id, envelope FROM outbox WHERE published_at IS NULL "
    "ORDER BY seq LIMIT ?";
constexpr absl::string_view kMarkPublished =
    "UPDATE outbox SET published_at = ? WHERE seq = ?";
constexpr absl::string_view kCountPending =
    "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL";
constexpr absl::string_view kPrune =
    "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?";

}  // namespace

std::vector<Migration> OutboxMigrations() {
  return {{1000, "outbox", std::string(kCreateOutbox)}};
}

absl::Status AppendToOutbox(Database& db, const bus::Envelope& envelope,
                            absl::Time now) {
  // Refused here, in the caller's transaction, an envelope the bus would
  // refuse could never leave the outbox and would hold back every later row.
  RETURN_IF_ERROR(bus::ValidateEnvelope(envelope));
  std::string bytes;
  if (!envelope.SerializeToString(&bytes)) {
    return absl::InternalError(
        absl::StrCat("cannot serialise envelope ", envelope.event_id()));
  }
  ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsert));
  RETURN_IF_ERROR(
      insert.BindAll(envelope.event_id(), envelope.type(), Blob{bytes}, now));
  return insert.Run().status();
}

absl::Status PruneOutbox(Database& db, absl::Time older_than) {
  return db.Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement prune, db.Prepare(kPrune));
    RETURN_IF_ERROR(prune.BindAll(older_than));
    return prune.Run().status();
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
  std::unique_ptr<OutboxRelay> relay(new OutboxRelay(db, bus, clock, options));
  {
    absl::MutexLock lock(&relay->mu_);
    relay->thread_ = std::thread([r = relay.get()] { r->Loop(); });
  }
  return relay;
}

OutboxRelay::OutboxRelay(Database* db, bus::EventBus* bus, const Clock* clock,
                         OutboxRelayOptions options)
    : db_(db), bus_(bus), clock_(clock), options_(options) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Notify() {
  absl::MutexLock lock(&mu_);
  notified_ = true;
}

void OutboxRelay::Stop() {
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
      spdlog::warn("outbox relay: {}; retrying in {}", status.ToString(),
                   absl::FormatDuration(backoff));
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      wait = options_.poll_interval;
      backoff = options_.min_backoff;
    }
  }
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
      if (!envelope.ParseFromString(row.envelope)) {
        status = absl::DataLossError(
            absl::StrCat("outbox row ", row.seq, " (event ", row.event_id,
                         ") does not hold a valid envelope"));
        break;
      }
      const absl::Status published = bus_->Publish(envelope);
      if (!published.ok()) {
        status = absl::Status(
            published.code(),
            absl::StrCat("publishing outbox event ", row.event_id, ": ",
                         published.message()));
        break;
      }
      published_seqs.push_back(row.seq);
    }
    RETURN_IF_ERROR(MarkPublished(published_seqs));
    if (!status.ok()) return status;
    if (stop_when_asked && StopRequested()) return absl::OkStatus();
  }
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
      rows.push_back(
          {select.ColumnInt64(0), select.ColumnText(1), select.ColumnBlob(2)});
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
  int64_t count = 0;
  RETURN_IF_ERROR(db_->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db_->Prepare(kCountPending));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) count = select.ColumnInt64(0);
    return absl::OkStatus();
  }));
  return count;
}

}  // namespace tocsin::store
