#include "services/incidents/sqlite_store.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/store/proto_body.h"
#include "libs/store/dead_letters.h"
#include "libs/store/inbox.h"
#include "libs/store/migrations.h"
#include "libs/store/outbox.h"

namespace tocsin::incidents {
namespace {

using store::Blob;
using store::Database;
using store::Statement;

// The incidents service's schema. Full records are stored as serialized
// protos; the columns beside them are what queries filter and sort on.
std::vector<store::Migration> Migrations() {
  std::vector<store::Migration> m = {
      {1, "initial schema", R"sql(
CREATE TABLE response_plans (
  name TEXT PRIMARY KEY,
  body BLOB NOT NULL
);
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  status INTEGER NOT NULL,
  dedupe_string TEXT NOT NULL,
  response_plan TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  body BLOB NOT NULL
);
-- At most one open incident per dedupe string: the database, not the code,
-- guarantees no duplicate incident.
CREATE UNIQUE INDEX incidents_open_dedupe ON incidents(dedupe_string)
  WHERE status = 1 AND dedupe_string != '';
CREATE INDEX incidents_status ON incidents(status, id);
CREATE TABLE ingested_alarms (
  event_id TEXT PRIMARY KEY,
  response BLOB NOT NULL,
  received INTEGER NOT NULL
);
CREATE TABLE client_tokens (
  token TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id)
);
CREATE TABLE timeline (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  type TEXT NOT NULL,
  source_event_id TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX timeline_incident ON timeline(incident_id, seq);
CREATE UNIQUE INDEX timeline_once ON timeline(incident_id, source_event_id, type)
  WHERE source_event_id != '';
CREATE TABLE unmatched_alarms (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  body BLOB NOT NULL
);
)sql"},
      {2, "full alarms per incident; ingest records pruned by age", R"sql(
-- Every alarm that opened, joined or resolved an incident, as received (its
-- fields are not cut: events and the timeline carry truncated copies).
CREATE TABLE incident_alarms (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  event_id TEXT NOT NULL,
  body BLOB NOT NULL,
  UNIQUE(incident_id, event_id)
);
CREATE INDEX incident_alarms_incident ON incident_alarms(incident_id, seq);
-- Idempotency keys are pruned oldest first (PruneIngestRecords).
CREATE INDEX ingested_alarms_received ON ingested_alarms(received);
)sql"},
  };
  for (const auto& shared : {store::OutboxMigrations(), store::InboxMigrations(),
                             store::DeadLetterMigrations()}) {
    m.insert(m.end(), shared.begin(), shared.end());
  }
  return m;
}

using store::ParseBody;

}  // namespace

class SqliteIncidentStore::SqliteTx final : public IncidentStore::Tx {
 public:
  SqliteTx(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<ResponsePlan>> GetPlan(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM response_plans WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<ResponsePlan>();
    ASSIGN_OR_RETURN(auto plan, ParseBody<ResponsePlan>(s.ColumnBlob(0), "response plan"));
    return std::optional<ResponsePlan>(std::move(plan));
  }

  absl::StatusOr<std::vector<ResponsePlan>> ListPlans() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM response_plans ORDER BY name"));
    std::vector<ResponsePlan> plans;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(auto plan, ParseBody<ResponsePlan>(s.ColumnBlob(0), "response plan"));
      plans.push_back(std::move(plan));
    }
    return plans;
  }

  absl::Status InsertPlan(const ResponsePlan& plan) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("INSERT INTO response_plans(name, body) VALUES(?, ?)"));
    std::string body = plan.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(plan.name(), Blob{body}));
    return s.Run().status();
  }

  absl::Status UpdatePlan(const ResponsePlan& plan) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("UPDATE response_plans SET body = ? WHERE name = ?"));
    std::string body = plan.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(Blob{body}, plan.name()));
    return s.Run().status();
  }

  absl::StatusOr<bool> DeletePlan(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("DELETE FROM response_plans WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n > 0;
  }

  absl::StatusOr<std::optional<IngestRecord>> GetIngestRecord(
      const std::string& event_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT response, received FROM ingested_alarms WHERE event_id = ?"));
    RETURN_IF_ERROR(s.BindAll(event_id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<IngestRecord>();
    ASSIGN_OR_RETURN(auto response,
                     ParseBody<v1::IngestAlarmResponse>(s.ColumnBlob(0), "ingest record"));
    return std::optional<IngestRecord>(IngestRecord{event_id, response, s.ColumnTime(1)});
  }

  absl::Status PutIngestRecord(const IngestRecord& record) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO ingested_alarms(event_id, response, received) VALUES(?, ?, ?)"));
    std::string body = record.response.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(record.event_id, Blob{body}, record.received));
    return s.Run().status();
  }

  absl::StatusOr<int64_t> DeleteIngestRecordsBefore(absl::Time older_than, int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "DELETE FROM ingested_alarms WHERE event_id IN "
        "(SELECT event_id FROM ingested_alarms WHERE received < ? ORDER BY received LIMIT ?)"));
    RETURN_IF_ERROR(s.BindAll(older_than, limit));
    return s.Run();
  }

  absl::StatusOr<int64_t> CountIncidents(v1::IncidentStatus status) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT COUNT(*) FROM incidents WHERE status = ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(status)));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::InternalError("COUNT(*) returned no row");
    return s.ColumnInt64(0);
  }

  absl::StatusOr<std::optional<Incident>> GetIncident(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM incidents WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    return OneIncident(s);
  }

  absl::StatusOr<std::optional<Incident>> FindOpenIncident(
      const std::string& dedupe_string) override {
    if (dedupe_string.empty()) return std::optional<Incident>();
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM incidents WHERE status = 1 AND dedupe_string = ?"));
    RETURN_IF_ERROR(s.BindAll(dedupe_string));
    return OneIncident(s);
  }

  absl::Status InsertIncident(const Incident& incident) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO incidents(id, status, dedupe_string, response_plan, create_time, body) "
        "VALUES(?, ?, ?, ?, ?, ?)"));
    std::string body = incident.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(incident.id(), static_cast<int>(incident.status()),
                              incident.dedupe_string(), incident.response_plan(),
                              FromProtoTime(incident.create_time()), Blob{body}));
    return s.Run().status();
  }

  absl::Status UpdateIncident(const Incident& incident) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE incidents SET status = ?, body = ? WHERE id = ?"));
    std::string body = incident.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(incident.status()), Blob{body}, incident.id()));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    if (n != 1) {
      return absl::NotFoundError(absl::StrCat("incident \"", incident.id(), "\" does not exist"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Incident>> ListIncidents(const IncidentFilter& f) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM incidents WHERE (?1 = 0 OR status = ?1) "
        "AND (?2 = '' OR response_plan = ?2) AND create_time >= ?3 "
        "AND (?4 = '' OR id < ?4) ORDER BY id DESC LIMIT ?5"));
    int64_t after = f.created_after == absl::InfinitePast()
                        ? std::numeric_limits<int64_t>::min()
                        : store::ToDbMicros(f.created_after);
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(f.status), f.response_plan, after, f.before_id,
                              f.limit));
    std::vector<Incident> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(auto incident, ParseBody<Incident>(s.ColumnBlob(0), "incident"));
      out.push_back(std::move(incident));
    }
    return out;
  }

  absl::StatusOr<std::optional<std::string>> GetClientToken(const std::string& token) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT incident_id FROM client_tokens WHERE token = ?"));
    RETURN_IF_ERROR(s.BindAll(token));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.ColumnText(0));
  }

  absl::Status PutClientToken(const std::string& token, const std::string& incident_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO client_tokens(token, incident_id) VALUES(?, ?)"));
    RETURN_IF_ERROR(s.BindAll(token, incident_id));
    return s.Run().status();
  }

  absl::StatusOr<std::optional<TimelineEvent>> FindTimelineEvent(
      const std::string& incident_id, const std::string& source_event_id,
      const std::string& type) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM timeline WHERE incident_id = ? AND source_event_id = ? AND type = ?"));
    RETURN_IF_ERROR(s.BindAll(incident_id, source_event_id, type));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<TimelineEvent>();
    ASSIGN_OR_RETURN(auto e, ParseBody<TimelineEvent>(s.ColumnBlob(0), "timeline event"));
    return std::optional<TimelineEvent>(std::move(e));
  }

  absl::Status InsertTimelineEvent(const TimelineEvent& event) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO timeline(id, incident_id, type, source_event_id, body) "
        "VALUES(?, ?, ?, ?, ?)"));
    std::string body = event.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(event.id(), event.incident_id(), event.type(),
                              event.source_event_id(), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<TimelinePage> ListTimeline(const std::string& incident_id, int64_t after,
                                            int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT seq, body FROM timeline WHERE incident_id = ? AND seq > ? "
        "ORDER BY seq LIMIT ?"));
    RETURN_IF_ERROR(s.BindAll(incident_id, after, limit));
    TimelinePage page;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      page.next_after = s.ColumnInt64(0);
      ASSIGN_OR_RETURN(auto e, ParseBody<TimelineEvent>(s.ColumnBlob(1), "timeline event"));
      page.events.push_back(std::move(e));
    }
    return page;
  }

  absl::Status InsertUnmatched(const UnmatchedAlarm& alarm) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO unmatched_alarms(event_id, body) VALUES(?, ?) "
        "ON CONFLICT(event_id) DO NOTHING"));
    std::string body = alarm.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(alarm.alarm().event_id(), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<Page<UnmatchedAlarm>> ListUnmatched(int64_t before, int limit,
                                                     size_t max_bytes) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT seq, body FROM unmatched_alarms WHERE (?1 = 0 OR seq < ?1) "
        "ORDER BY seq DESC LIMIT ?2"));
    RETURN_IF_ERROR(s.BindAll(before, limit));
    return ReadPage<UnmatchedAlarm>(s, limit, max_bytes, "unmatched alarm");
  }

  absl::Status InsertIncidentAlarm(const v1::IncidentAlarm& alarm) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO incident_alarms(incident_id, event_id, body) VALUES(?, ?, ?) "
        "ON CONFLICT(incident_id, event_id) DO NOTHING"));
    std::string body = alarm.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(alarm.incident_id(), alarm.alarm().event_id(), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<Page<v1::IncidentAlarm>> ListIncidentAlarms(const std::string& incident_id,
                                                             int64_t after, int limit,
                                                             size_t max_bytes) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT seq, body FROM incident_alarms WHERE incident_id = ? AND seq > ? "
        "ORDER BY seq LIMIT ?"));
    RETURN_IF_ERROR(s.BindAll(incident_id, after, limit));
    return ReadPage<v1::IncidentAlarm>(s, limit, max_bytes, "incident alarm");
  }

  absl::Status Emit(const Envelope& event) override {
    return store::AppendToOutbox(db_, event, clock_.Now());
  }

 private:
  absl::StatusOr<std::optional<Incident>> OneIncident(Statement& s) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Incident>();
    ASSIGN_OR_RETURN(auto incident, ParseBody<Incident>(s.ColumnBlob(0), "incident"));
    return std::optional<Incident>(std::move(incident));
  }

  // Reads (seq, body) rows: at most `limit`, and no row that would take the
  // bodies past max_bytes (but always the first).
  template <typename Proto>
  absl::StatusOr<Page<Proto>> ReadPage(Statement& s, int limit, size_t max_bytes,
                                       absl::string_view what) {
    Page<Proto> page;
    size_t bytes = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      std::string body = s.ColumnBlob(1);
      if (!page.rows.empty() && bytes + body.size() > max_bytes) {
        page.more = true;
        break;
      }
      bytes += body.size();
      ASSIGN_OR_RETURN(auto item, ParseBody<Proto>(body, what));
      page.rows.emplace_back(s.ColumnInt64(0), std::move(item));
      if (static_cast<int>(page.rows.size()) >= limit) {
        page.more = true;
        break;
      }
    }
    return page;
  }

  Database& db_;
  const Clock& clock_;
};

absl::StatusOr<std::unique_ptr<SqliteIncidentStore>> SqliteIncidentStore::Open(
    const std::string& path, const Clock* clock) {
  store::DatabaseOptions options;
  options.path = path;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(options));
  RETURN_IF_ERROR(store::Migrate(*db, Migrations(), *clock));
  return std::unique_ptr<SqliteIncidentStore>(new SqliteIncidentStore(std::move(db), clock));
}

absl::Status SqliteIncidentStore::Write(const std::function<absl::Status(Tx&)>& body) {
  return db_->Transaction([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteIncidentStore::Read(const std::function<absl::Status(Tx&)>& body) {
  return db_->Read([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteIncidentStore::Ping() { return db_->Ping(); }

}  // namespace tocsin::incidents
