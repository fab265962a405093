#include "services/runbook/sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/store/proto_body.h"
#include "libs/store/inbox.h"
#include "libs/store/outbox.h"

namespace tocsin::runbook {
namespace {

using store::Blob;
using store::Database;
using store::Statement;

using store::ParseBody;

bool IsEnded(v1::ExecutionState state) {
  return state == v1::EXECUTION_STATE_SUCCESS || state == v1::EXECUTION_STATE_FAILED ||
         state == v1::EXECUTION_STATE_TIMED_OUT || state == v1::EXECUTION_STATE_CANCELLED;
}

}  // namespace

std::vector<store::Migration> RunbookMigrations() {
  return {
      {1, "runbooks and executions", R"sql(
-- Every saved version of every runbook (body: tocsin.runbook.v1.Runbook).
CREATE TABLE runbooks (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (name, version)
);
-- One row per execution: body is tocsin.runbook.v1.Execution, context the
-- engine's JSON. next_due (microseconds since the epoch) is the durable
-- timer: NULL when only a person's decision moves it, or once it ended.
CREATE TABLE executions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  ended INTEGER NOT NULL,
  next_due INTEGER,
  revision INTEGER NOT NULL,
  client_token TEXT UNIQUE,
  body BLOB NOT NULL,
  context TEXT NOT NULL
);
CREATE INDEX executions_incident ON executions(incident_id, seq);
CREATE INDEX executions_due ON executions(next_due) WHERE next_due IS NOT NULL;
CREATE INDEX executions_unfinished ON executions(ended, seq);
)sql"},
  };
}

class SqliteRunbookStore::SqliteTx final : public RunbookStore::Tx {
 public:
  SqliteTx(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<v1::Runbook>> GetRunbook(const std::string& name,
                                                        int64_t version) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT body, (SELECT MAX(version) FROM runbooks WHERE name = ?1) "
                                 "FROM runbooks WHERE name = ?1 AND (?2 = 0 OR version = ?2) "
                                 "ORDER BY version DESC LIMIT 1"));
    RETURN_IF_ERROR(s.BindAll(name, version));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<v1::Runbook>();
    ASSIGN_OR_RETURN(v1::Runbook r, ParseBody<v1::Runbook>(s.ColumnBlob(0), "runbook"));
    r.set_latest_version(s.ColumnInt64(1));
    return std::optional<v1::Runbook>(std::move(r));
  }

  absl::StatusOr<std::vector<v1::Runbook>> ListRunbooks() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM runbooks r WHERE version = "
                                              "(SELECT MAX(version) FROM runbooks WHERE name = "
                                              "r.name) ORDER BY name"));
    std::vector<v1::Runbook> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(v1::Runbook r, ParseBody<v1::Runbook>(s.ColumnBlob(0), "runbook"));
      r.set_latest_version(r.version());
      out.push_back(std::move(r));
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::Runbook>> ListRunbookVersions(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT body FROM runbooks WHERE name = ? ORDER BY version"));
    RETURN_IF_ERROR(s.BindAll(name));
    std::vector<v1::Runbook> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(v1::Runbook r, ParseBody<v1::Runbook>(s.ColumnBlob(0), "runbook"));
      out.push_back(std::move(r));
    }
    for (v1::Runbook& r : out) r.set_latest_version(out.back().version());
    return out;
  }

  absl::Status InsertRunbook(const v1::Runbook& runbook) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("INSERT INTO runbooks(name, version, create_time, "
                                              "body) VALUES(?, ?, ?, ?)"));
    const std::string body = runbook.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(runbook.name(), runbook.version(),
                              FromProtoTime(runbook.create_time()), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<std::optional<ExecutionRow>> GetExecution(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body, context, next_due, revision FROM "
                                              "executions WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<ExecutionRow>();
    ExecutionRow r;
    ASSIGN_OR_RETURN(r.execution, ParseBody<v1::Execution>(s.ColumnBlob(0), "execution"));
    r.context = nlohmann::json::parse(s.ColumnText(1), nullptr, /*allow_exceptions=*/false);
    if (r.context.is_discarded() || !r.context.is_object()) {
      return absl::DataLossError(absl::StrCat("stored context of execution ", id,
                                              " does not parse"));
    }
    if (!s.ColumnIsNull(2)) r.next_due = s.ColumnTime(2);
    r.revision = s.ColumnInt64(3);
    return std::optional<ExecutionRow>(std::move(r));
  }

  absl::StatusOr<std::optional<std::string>> FindExecutionByToken(
      const std::string& client_token) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT id FROM executions WHERE client_token = ?"));
    RETURN_IF_ERROR(s.BindAll(client_token));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.ColumnText(0));
  }

  absl::Status InsertExecution(const ExecutionRow& row, const std::string& client_token) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("INSERT INTO executions(id, incident_id, state, ended, next_due, "
                                 "revision, client_token, body, context) "
                                 "VALUES(?, ?, ?, ?, ?, 1, ?, ?, ?)"));
    const v1::Execution& e = row.execution;
    const std::string body = e.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(e.id(), e.incident_id(), static_cast<int64_t>(e.state()),
                              IsEnded(e.state()) ? 1 : 0));
    RETURN_IF_ERROR(BindDue(s, 5, row.next_due));
    if (client_token.empty()) {
      RETURN_IF_ERROR(s.Bind(6, nullptr));
    } else {
      RETURN_IF_ERROR(s.Bind(6, absl::string_view(client_token)));
    }
    RETURN_IF_ERROR(s.Bind(7, Blob{body}));
    const std::string context = row.context.dump();
    RETURN_IF_ERROR(s.Bind(8, absl::string_view(context)));
    return s.Run().status();
  }

  absl::StatusOr<bool> UpdateExecution(const ExecutionRow& row) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("UPDATE executions SET state = ?, ended = ?, next_due = ?, "
                                 "revision = revision + 1, body = ?, context = ? "
                                 "WHERE id = ? AND revision = ?"));
    const v1::Execution& e = row.execution;
    const std::string body = e.SerializeAsString();
    const std::string context = row.context.dump();
    RETURN_IF_ERROR(s.BindAll(static_cast<int64_t>(e.state()), IsEnded(e.state()) ? 1 : 0));
    RETURN_IF_ERROR(BindDue(s, 3, row.next_due));
    RETURN_IF_ERROR(s.Bind(4, Blob{body}));
    RETURN_IF_ERROR(s.Bind(5, absl::string_view(context)));
    RETURN_IF_ERROR(s.Bind(6, absl::string_view(e.id())));
    RETURN_IF_ERROR(s.Bind(7, row.revision));
    ASSIGN_OR_RETURN(int64_t changed, s.Run());
    return changed == 1;
  }

  absl::StatusOr<std::vector<v1::Execution>> ListExecutions(const std::string& incident_id,
                                                            int limit) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT body FROM executions WHERE ?1 = '' OR incident_id = ?1 "
                                 "ORDER BY seq DESC LIMIT ?2"));
    RETURN_IF_ERROR(s.BindAll(incident_id, limit));
    std::vector<v1::Execution> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(v1::Execution e, ParseBody<v1::Execution>(s.ColumnBlob(0), "execution"));
      out.push_back(std::move(e));
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> DueExecutions(absl::Time now, int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT id FROM executions WHERE next_due IS NOT "
                                              "NULL AND next_due <= ? ORDER BY next_due LIMIT ?"));
    RETURN_IF_ERROR(s.BindAll(now, limit));
    return Ids(s);
  }

  absl::StatusOr<std::vector<std::string>> UnfinishedExecutions() override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT id FROM executions WHERE ended = 0 ORDER BY seq"));
    return Ids(s);
  }

  absl::StatusOr<std::vector<std::pair<v1::ExecutionState, int64_t>>> CountExecutionsByState()
      override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT state, COUNT(*) FROM executions GROUP BY state"));
    std::vector<std::pair<v1::ExecutionState, int64_t>> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.emplace_back(static_cast<v1::ExecutionState>(s.ColumnInt64(0)), s.ColumnInt64(1));
    }
    return out;
  }

  absl::StatusOr<bool> RecordInInbox(absl::string_view consumer,
                                     absl::string_view event_id) override {
    return store::RecordInInbox(db_, consumer, event_id, clock_.Now());
  }

  absl::Status Emit(const events::v1::Envelope& event) override {
    return store::AppendToOutbox(db_, event, clock_.Now());
  }

 private:
  static absl::Status BindDue(Statement& s, int index, const std::optional<absl::Time>& due) {
    if (!due.has_value()) return s.Bind(index, nullptr);
    return s.Bind(index, *due);
  }

  static absl::StatusOr<std::vector<std::string>> Ids(Statement& s) {
    std::vector<std::string> ids;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.ColumnText(0));
    }
    return ids;
  }

  Database& db_;
  const Clock& clock_;
};

absl::Status SqliteRunbookStore::Write(const std::function<absl::Status(Tx&)>& body) {
  return db_->Transaction([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteRunbookStore::Read(const std::function<absl::Status(Tx&)>& body) {
  return db_->Read([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteRunbookStore::Ping() { return db_->Ping(); }

}  // namespace tocsin::runbook
