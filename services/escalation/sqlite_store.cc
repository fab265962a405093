#include "services/escalation/sqlite_store.h"

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

namespace tocsin::escalation {
namespace {

using store::Blob;
using store::Database;
using store::Statement;

// The escalation service's schema. Full records are stored as serialized
// protos; the columns beside them are what queries filter, sort and
// compare-and-set on.
std::vector<store::Migration> Migrations() {
  std::vector<store::Migration> m = {
      {1, "initial schema", R"sql(
CREATE TABLE contacts (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
-- One row per engaged contact and incident. next_due (microseconds since the
-- epoch) is the durable stage timer: NULL once no further stage is due.
CREATE TABLE engagements (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  next_due INTEGER,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX engagements_due ON engagements(state, next_due);
CREATE INDEX engagements_incident ON engagements(incident_id, seq);
-- Incidents as the incidents service reported them (opened, resolved).
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  status INTEGER NOT NULL,
  body BLOB NOT NULL
);
)sql"},
      {2, "on-call", R"sql(
-- Engagement trees: an escalation plan's or schedule's targets are
-- engagements of their own, under the engagement that started them.
ALTER TABLE engagements ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE engagements ADD COLUMN root_id TEXT NOT NULL DEFAULT '';
UPDATE engagements SET root_id = id;
CREATE INDEX engagements_parent ON engagements(parent_id, seq);
CREATE INDEX engagements_root ON engagements(root_id, seq);
CREATE TABLE rotations (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE rotation_overrides (
  rotation TEXT NOT NULL REFERENCES rotations(name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (rotation, name)
);
CREATE INDEX rotation_overrides_time ON rotation_overrides(rotation, start_time);
-- iCalendar feeds behind a secret token (only its SHA-256 is kept).
CREATE TABLE calendar_feeds (
  token_sha256 TEXT PRIMARY KEY,
  rotation TEXT NOT NULL,
  contact TEXT NOT NULL,
  create_time INTEGER NOT NULL
);
)sql"},
  };
  for (const auto& shared : {store::OutboxMigrations(), store::InboxMigrations(),
                             store::DeadLetterMigrations()}) {
    m.insert(m.end(), shared.begin(), shared.end());
  }
  return m;
}

using store::AllBodies;
using store::OneBody;
using store::ParseBody;

// Binds an engagement's next_due (NULL when unset) to parameter `index`.
absl::Status BindNextDue(Statement& s, int index, const Engagement& e) {
  if (!e.has_next_due()) return s.Bind(index, nullptr);
  return s.Bind(index, FromProtoTime(e.next_due()));
}

}  // namespace

class SqliteEscalationStore::SqliteTx final : public EscalationStore::Tx {
 public:
  SqliteTx(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<Contact>> GetContact(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM contacts WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    return OneBody<Contact>(s, "contact");
  }

  absl::StatusOr<std::vector<Contact>> ListContacts() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM contacts ORDER BY name"));
    return AllBodies<Contact>(s, "contact");
  }

  absl::Status InsertContact(const Contact& contact) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO contacts(name, version, body) VALUES(?, ?, ?)"));
    std::string body = contact.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(contact.name(), contact.version(), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<bool> UpdateContact(const Contact& contact, int64_t expected_version) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE contacts SET version = ?, body = ? WHERE name = ? AND version = ?"));
    std::string body = contact.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(contact.version(), Blob{body}, contact.name(), expected_version));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n == 1;
  }

  absl::StatusOr<bool> DeleteContact(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("DELETE FROM contacts WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n > 0;
  }

  absl::StatusOr<std::optional<Rotation>> GetRotation(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM rotations WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    return OneBody<Rotation>(s, "rotation");
  }

  absl::StatusOr<std::vector<Rotation>> ListRotations() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM rotations ORDER BY name"));
    return AllBodies<Rotation>(s, "rotation");
  }

  absl::Status InsertRotation(const Rotation& rotation) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO rotations(name, version, body) VALUES(?, ?, ?)"));
    std::string body = rotation.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(rotation.name(), rotation.version(), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<bool> UpdateRotation(const Rotation& rotation,
                                      int64_t expected_version) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE rotations SET version = ?, body = ? WHERE name = ? AND version = ?"));
    std::string body = rotation.SerializeAsString();
    RETURN_IF_ERROR(
        s.BindAll(rotation.version(), Blob{body}, rotation.name(), expected_version));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n == 1;
  }

  absl::StatusOr<bool> DeleteRotation(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("DELETE FROM rotations WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n > 0;
  }

  absl::StatusOr<std::vector<RotationOverride>> ListOverrides(
      const std::string& rotation) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM rotation_overrides WHERE rotation = ? ORDER BY start_time, name"));
    RETURN_IF_ERROR(s.BindAll(rotation));
    return AllBodies<RotationOverride>(s, "rotation override");
  }

  absl::Status InsertOverride(const RotationOverride& o) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO rotation_overrides(rotation, name, start_time, end_time, body) "
        "VALUES(?, ?, ?, ?, ?)"));
    std::string body = o.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(o.rotation(), o.name(), FromProtoTime(o.start()),
                              FromProtoTime(o.end()), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<bool> DeleteOverride(const std::string& rotation,
                                      const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "DELETE FROM rotation_overrides WHERE rotation = ? AND name = ?"));
    RETURN_IF_ERROR(s.BindAll(rotation, name));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n > 0;
  }

  absl::Status InsertCalendarFeed(absl::string_view token_sha256,
                                  const CalendarFeedRow& feed) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO calendar_feeds(token_sha256, rotation, contact, create_time) "
        "VALUES(?, ?, ?, ?)"));
    RETURN_IF_ERROR(s.BindAll(token_sha256, feed.rotation, feed.contact, feed.create_time));
    return s.Run().status();
  }

  absl::StatusOr<std::optional<CalendarFeedRow>> GetCalendarFeed(
      absl::string_view token_sha256) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT rotation, contact, create_time FROM calendar_feeds WHERE token_sha256 = ?"));
    RETURN_IF_ERROR(s.BindAll(token_sha256));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<CalendarFeedRow>();
    return std::optional<CalendarFeedRow>(
        CalendarFeedRow{s.ColumnText(0), s.ColumnText(1), s.ColumnTime(2)});
  }

  absl::StatusOr<std::vector<Engagement>> ListChildEngagements(
      const std::string& parent_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM engagements WHERE parent_id = ? ORDER BY seq"));
    RETURN_IF_ERROR(s.BindAll(parent_id));
    return AllBodies<Engagement>(s, "engagement");
  }

  absl::StatusOr<std::vector<Engagement>> ListEngagementTree(const std::string& root_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM engagements WHERE root_id = ? ORDER BY seq"));
    RETURN_IF_ERROR(s.BindAll(root_id));
    return AllBodies<Engagement>(s, "engagement");
  }

  absl::StatusOr<std::optional<Engagement>> GetEngagement(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM engagements WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    return OneBody<Engagement>(s, "engagement");
  }

  absl::StatusOr<std::vector<Engagement>> ListEngagements(
      const std::string& incident_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body, id, state FROM engagements WHERE incident_id = ? ORDER BY seq"));
    RETURN_IF_ERROR(s.BindAll(incident_id));
    // One unreadable row must not hide the incident's other engagements: it
    // is shown by its columns, saying so.
    std::vector<Engagement> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      absl::StatusOr<Engagement> e = ParseBody<Engagement>(s.ColumnBlob(0), "engagement");
      if (!e.ok()) {
        Engagement unreadable;
        unreadable.set_id(s.ColumnText(1));
        unreadable.set_incident_id(incident_id);
        unreadable.set_state(static_cast<v1::EngagementState>(s.ColumnInt64(2)));
        unreadable.set_stop_reason("the stored engagement is unreadable (set aside)");
        out.push_back(std::move(unreadable));
        continue;
      }
      out.push_back(*std::move(e));
    }
    return out;
  }

  absl::StatusOr<std::optional<std::string>> StopEngagementColumns(
      const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE engagements SET state = ?, next_due = NULL, version = version + 1 "
        "WHERE id = ? RETURNING incident_id"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::ENGAGEMENT_STATE_STOPPED), id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    std::string incident_id = s.ColumnText(0);
    ASSIGN_OR_RETURN(bool more, s.Step());
    (void)more;
    return std::optional<std::string>(std::move(incident_id));
  }

  absl::StatusOr<std::vector<Engagement>> ListActiveEngagements() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM engagements WHERE state = ? ORDER BY seq"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::ENGAGEMENT_STATE_ACTIVE)));
    return AllBodies<Engagement>(s, "engagement");
  }

  absl::StatusOr<int64_t> CountActiveEngagements() override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT COUNT(*) FROM engagements WHERE state = ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::ENGAGEMENT_STATE_ACTIVE)));
    ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.ColumnInt64(0) : 0;
  }

  absl::StatusOr<std::vector<std::string>> DueEngagements(absl::Time now, int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT id FROM engagements WHERE state IN (?, ?) AND next_due <= ? "
        "ORDER BY next_due, seq LIMIT ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::ENGAGEMENT_STATE_ACTIVE),
                              static_cast<int>(v1::ENGAGEMENT_STATE_ACKNOWLEDGED), now, limit));
    std::vector<std::string> ids;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.ColumnText(0));
    }
    return ids;
  }

  absl::StatusOr<std::vector<std::string>> StalledEngagements(int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT e.id FROM engagements e WHERE e.state = ?1 AND e.next_due IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM engagements c WHERE c.parent_id = e.id AND c.state = ?1) "
        "ORDER BY e.seq LIMIT ?2"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::ENGAGEMENT_STATE_ACTIVE), limit));
    std::vector<std::string> ids;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.ColumnText(0));
    }
    return ids;
  }

  absl::Status InsertEngagement(const Engagement& e) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO engagements(id, incident_id, state, version, body, next_due, parent_id, "
        "root_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    std::string body = e.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(e.id(), e.incident_id(), static_cast<int>(e.state()),
                              e.version(), Blob{body}));
    RETURN_IF_ERROR(BindNextDue(s, 6, e));
    RETURN_IF_ERROR(s.Bind(7, e.parent_id()));
    RETURN_IF_ERROR(s.Bind(8, e.root_id().empty() ? e.id() : e.root_id()));
    return s.Run().status();
  }

  absl::StatusOr<bool> UpdateEngagement(const Engagement& e, int64_t expected_version) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE engagements SET state = ?, version = ?, body = ?, next_due = ? "
        "WHERE id = ? AND version = ?"));
    std::string body = e.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(e.state()), e.version(), Blob{body}));
    RETURN_IF_ERROR(BindNextDue(s, 4, e));
    RETURN_IF_ERROR(s.Bind(5, e.id()));
    RETURN_IF_ERROR(s.Bind(6, expected_version));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    return n == 1;
  }

  absl::StatusOr<std::optional<Incident>> GetIncident(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM incidents WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    return OneBody<Incident>(s, "incident");
  }

  absl::Status PutIncident(const Incident& incident) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO incidents(id, status, body) VALUES(?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET status = excluded.status, body = excluded.body"));
    std::string body = incident.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(incident.id(), static_cast<int>(incident.status()), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<bool> RecordInInbox(absl::string_view consumer,
                                     absl::string_view event_id) override {
    return store::RecordInInbox(db_, consumer, event_id, clock_.Now());
  }

  absl::Status Emit(const Envelope& event) override {
    return store::AppendToOutbox(db_, event, clock_.Now());
  }

 private:
  Database& db_;
  const Clock& clock_;
};

absl::StatusOr<std::unique_ptr<SqliteEscalationStore>> SqliteEscalationStore::Open(
    const std::string& path, const Clock* clock) {
  store::DatabaseOptions options;
  options.path = path;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(options));
  RETURN_IF_ERROR(store::Migrate(*db, Migrations(), *clock));
  return std::unique_ptr<SqliteEscalationStore>(
      new SqliteEscalationStore(std::move(db), clock));
}

absl::Status SqliteEscalationStore::Write(const std::function<absl::Status(Tx&)>& body) {
  return db_->Transaction([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteEscalationStore::Read(const std::function<absl::Status(Tx&)>& body) {
  return db_->Read([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteEscalationStore::Ping() { return db_->Ping(); }

}  // namespace tocsin::escalation
