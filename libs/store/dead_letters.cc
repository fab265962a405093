#include "libs/store/dead_letters.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"

namespace tocsin::store {
namespace {

// The id is derived, not stored: "<id_prefix>-<seq>". AUTOINCREMENT keeps
// seq from ever being reused, even after the newest rows are pruned.
constexpr absl::string_view kCreateDeadLetters = R"sql(
CREATE TABLE dead_letters(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id_prefix TEXT NOT NULL,
  source TEXT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  data BLOB NOT NULL,
  error TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  replay_time INTEGER
);
CREATE INDEX dead_letters_waiting ON dead_letters(seq)
  WHERE replay_time IS NULL;
CREATE INDEX dead_letters_replayed ON dead_letters(replay_time)
  WHERE replay_time IS NOT NULL;
)sql";

constexpr absl::string_view kColumns =
    "seq, id_prefix, source, event_id, type, incident_id, subject, data, "
    "error, attempts, create_time, replay_time";

constexpr absl::string_view kInsert =
    "INSERT INTO dead_letters(id_prefix, source, event_id, type, incident_id, "
    "subject, data, error, attempts, create_time) "
    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq";
constexpr absl::string_view kMarkReplayed =
    "UPDATE dead_letters SET replay_time = ? WHERE seq = ?";
constexpr absl::string_view kCountWaiting =
    "SELECT COUNT(*) FROM dead_letters WHERE replay_time IS NULL";
constexpr absl::string_view kPrune =
    "DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM dead_letters "
    "WHERE replay_time < ?1 LIMIT ?2)";

DeadLetterRecord FromRow(const Statement& row) {
  DeadLetterRecord record;
  record.id = absl::StrCat(row.ColumnText(1), "-", row.ColumnInt64(0));
  record.source = row.ColumnText(2);
  record.event_id = row.ColumnText(3);
  record.type = row.ColumnText(4);
  record.incident_id = row.ColumnText(5);
  record.subject = row.ColumnText(6);
  record.data = row.ColumnBlob(7);
  record.error = row.ColumnText(8);
  record.attempts = row.ColumnInt64(9);
  record.create_time = row.ColumnTime(10);
  if (!row.ColumnIsNull(11)) record.replay_time = row.ColumnTime(11);
  return record;
}

// Identifying fields may come from bytes that did not parse: keep them
// valid, bounded and on one line, as they end up in protos and logs.
std::string Field(absl::string_view bytes) {
  return text::UntrustedLine(bytes, text::kMaxFieldBytes);
}

// "<prefix>-<seq>" -> (prefix, seq); nullopt when id has no such form.
std::optional<std::pair<absl::string_view, int64_t>> ParseId(
    absl::string_view id) {
  const size_t dash = id.rfind('-');
  int64_t seq = 0;
  if (dash == absl::string_view::npos || dash == 0 ||
      !absl::SimpleAtoi(id.substr(dash + 1), &seq)) {
    return std::nullopt;
  }
  return std::make_pair(id.substr(0, dash), seq);
}

}  // namespace

std::vector<Migration> DeadLetterMigrations() {
  return {{1300, "dead_letters", std::string(kCreateDeadLetters)}};
}

absl::StatusOr<DeadLetterRecord> AddDeadLetter(Database& db,
                                               absl::string_view id_prefix,
                                               DeadLetterRecord record,
                                               absl::Time now) {
  if (id_prefix.empty() || record.source.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a dead letter needs an id prefix and a source; got prefix \"",
        id_prefix, "\", source \"", record.source, "\""));
  }
  record.source = Field(record.source);
  record.event_id = Field(record.event_id);
  record.type = Field(record.type);
  record.incident_id = Field(record.incident_id);
  record.subject = Field(record.subject);
  record.error = text::Untrusted(record.error, text::kMaxDetailBytes);
  record.create_time = now;
  record.replay_time.reset();
  ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsert));
  RETURN_IF_ERROR(insert.BindAll(
      id_prefix, record.source, record.event_id, record.type,
      record.incident_id, record.subject, Blob{record.data}, record.error,
      record.attempts, now));
  ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return absl::InternalError("INSERT ... RETURNING gave no row");
  record.id = absl::StrCat(id_prefix, "-", insert.ColumnInt64(0));
  RETURN_IF_ERROR(insert.Run().status());
  return record;
}

absl::StatusOr<std::vector<DeadLetterRecord>> ListDeadLetters(
    Database& db, bool include_replayed, int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be at least 1, got ", limit));
  }
  const std::string sql = absl::StrCat(
      "SELECT ", kColumns, " FROM dead_letters",
      include_replayed ? "" : " WHERE replay_time IS NULL",
      " ORDER BY seq DESC LIMIT ?");
  std::vector<DeadLetterRecord> records;
  RETURN_IF_ERROR(db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db.Prepare(sql));
    RETURN_IF_ERROR(select.BindAll(limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      records.push_back(FromRow(select));
    }
  }));
  return records;
}

absl::StatusOr<DeadLetterRecord> GetDeadLetter(Database& db,
                                               absl::string_view id) {
  const absl::Status not_found =
      absl::NotFoundError(absl::StrCat("no dead letter \"", id, "\""));
  const auto parsed = ParseId(id);
  if (!parsed.has_value()) return not_found;
  const absl::string_view prefix = parsed->first;
  const int64_t seq = parsed->second;
  std::optional<DeadLetterRecord> found;
  RETURN_IF_ERROR(db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        db.Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM dead_letters WHERE seq = ? AND "
                                "id_prefix = ?")));
    RETURN_IF_ERROR(select.BindAll(seq, prefix));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) found = FromRow(select);
    return absl::OkStatus();
  }));
  if (!found.has_value()) return not_found;
  return *std::move(found);
}

absl::Status MarkDeadLetterReplayed(Database& db, absl::string_view id,
                                    absl::Time now) {
  ASSIGN_OR_RETURN(DeadLetterRecord record, GetDeadLetter(db, id));
  if (record.replay_time.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dead letter ", id, " was replayed already, at ",
        absl::FormatTime(absl::RFC3339_full, *record.replay_time,
                         absl::UTCTimeZone())));
  }
  ASSIGN_OR_RETURN(Statement mark, db.Prepare(kMarkReplayed));
  RETURN_IF_ERROR(mark.BindAll(now, ParseId(id)->second));
  return mark.Run().status();
}

absl::StatusOr<int64_t> CountDeadLetters(Database& db) {
  int64_t count = 0;
  RETURN_IF_ERROR(db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db.Prepare(kCountWaiting));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) count = select.ColumnInt64(0);
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<int64_t> PruneDeadLetters(Database& db,
                                         absl::Time replayed_before,
                                         int batch_size) {
  return DeleteInBatches(db, kPrune, replayed_before, batch_size);
}

}  // namespace tocsin::store
