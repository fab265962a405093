#include "services/postmortem/sqlite_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/store/proto_body.h"

namespace tocsin::postmortem {
namespace {

using store::Blob;
using store::Database;
using store::Statement;

using store::AllBodies;
using store::OneBody;

}  // namespace

std::vector<store::Migration> PostmortemMigrations() {
  return {
      {1, "templates, analyses and action items", R"sql(
-- Saved analysis templates (body: tocsin.postmortem.v1.Template).
CREATE TABLE templates (
  name TEXT PRIMARY KEY,
  body BLOB NOT NULL
);
-- Analyses (body: tocsin.postmortem.v1.Analysis without its action items;
-- summary: the same without timeline, people, answers, history and the
-- template's sections, what lists and the metrics across incidents read, so
-- they never load whole timelines). plan and opened (the incident's
-- create_time, microseconds) are what the metrics across incidents select on.
CREATE TABLE analyses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL,
  plan TEXT NOT NULL,
  opened INTEGER NOT NULL,
  state INTEGER NOT NULL,
  body BLOB NOT NULL,
  summary BLOB NOT NULL
);
CREATE INDEX analyses_incident ON analyses(incident_id, seq);
CREATE INDEX analyses_plan ON analyses(plan, opened);
-- The incident's analysis made on incident.resolved: at most one per
-- incident, written in the same transaction as the analysis.
CREATE TABLE automatic_analyses (
  incident_id TEXT PRIMARY KEY,
  analysis_id TEXT NOT NULL
);
-- Action items (body: tocsin.postmortem.v1.ActionItem).
CREATE TABLE action_items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  analysis_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  state INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX action_items_analysis ON action_items(analysis_id, seq);
CREATE INDEX action_items_owner ON action_items(owner, state);
)sql"},
  };
}

class SqlitePostmortemStore::SqliteTx final : public PostmortemStore::Tx {
 public:
  explicit SqliteTx(Database& db) : db_(db) {}

  absl::StatusOr<std::optional<v1::Template>> GetTemplate(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM templates WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    return OneBody<v1::Template>(s, "template");
  }

  absl::StatusOr<std::vector<v1::Template>> ListTemplates() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM templates ORDER BY name"));
    return AllBodies<v1::Template>(s, "template");
  }

  absl::Status PutTemplate(const v1::Template& t) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("INSERT INTO templates(name, body) VALUES(?, ?) "
                                              "ON CONFLICT(name) DO UPDATE SET body = "
                                              "excluded.body"));
    const std::string body = t.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(t.name(), Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<std::optional<v1::Analysis>> GetAnalysis(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM analyses WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    return OneBody<v1::Analysis>(s, "analysis");
  }

  absl::Status RecordAutomaticAnalysis(const std::string& incident_id,
                                       const std::string& analysis_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("INSERT INTO automatic_analyses(incident_id, "
                                              "analysis_id) VALUES(?, ?)"));
    RETURN_IF_ERROR(s.BindAll(incident_id, analysis_id));
    return s.Run().status();
  }

  absl::Status InsertAnalysis(const v1::Analysis& a) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("INSERT INTO analyses(id, incident_id, plan, opened, state, "
                                 "body, summary) VALUES(?, ?, ?, ?, ?, ?, ?)"));
    const std::string body = Stripped(a).SerializeAsString();
    const std::string summary = Summary(a).SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(a.id(), a.incident_id(), a.incident().response_plan(),
                              FromProtoTime(a.incident().create_time()),
                              static_cast<int64_t>(a.state()), Blob{body}, Blob{summary}));
    return s.Run().status();
  }

  absl::Status UpdateAnalysis(const v1::Analysis& a) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("UPDATE analyses SET plan = ?, opened = ?, "
                                              "state = ?, body = ?, summary = ? WHERE id = ?"));
    const std::string body = Stripped(a).SerializeAsString();
    const std::string summary = Summary(a).SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(a.incident().response_plan(),
                              FromProtoTime(a.incident().create_time()),
                              static_cast<int64_t>(a.state()), Blob{body}, Blob{summary},
                              a.id()));
    ASSIGN_OR_RETURN(int64_t changed, s.Run());
    if (changed != 1) return absl::NotFoundError(absl::StrCat("no analysis ", a.id()));
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> FindAutomaticAnalysis(
      const std::string& incident_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT analysis_id FROM automatic_analyses "
                                              "WHERE incident_id = ?"));
    RETURN_IF_ERROR(s.BindAll(incident_id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.ColumnText(0));
  }

  absl::StatusOr<std::vector<v1::Analysis>> ListAnalyses(const AnalysisFilter& f) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT summary FROM analyses WHERE (?1 = '' OR incident_id = ?1) "
                                 "AND (?2 = '' OR plan = ?2) AND (?3 IS NULL OR opened >= ?3) "
                                 "AND (?4 IS NULL OR opened < ?4) ORDER BY seq DESC LIMIT ?5"));
    RETURN_IF_ERROR(s.BindAll(f.incident_id, f.plan));
    RETURN_IF_ERROR(f.opened_from ? s.Bind(3, *f.opened_from) : s.Bind(3, nullptr));
    RETURN_IF_ERROR(f.opened_to ? s.Bind(4, *f.opened_to) : s.Bind(4, nullptr));
    RETURN_IF_ERROR(s.Bind(5, static_cast<int64_t>(f.limit)));
    return AllBodies<v1::Analysis>(s, "analysis");
  }

  absl::StatusOr<std::vector<std::pair<v1::AnalysisState, int64_t>>> CountAnalysesByState()
      override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT state, COUNT(*) FROM analyses GROUP BY state"));
    std::vector<std::pair<v1::AnalysisState, int64_t>> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.emplace_back(static_cast<v1::AnalysisState>(s.ColumnInt64(0)), s.ColumnInt64(1));
    }
    return out;
  }

  absl::StatusOr<std::optional<v1::ActionItem>> GetActionItem(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM action_items WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    return OneBody<v1::ActionItem>(s, "action item");
  }

  absl::Status InsertActionItem(const v1::ActionItem& item) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("INSERT INTO action_items(id, analysis_id, owner, "
                                              "state, body) VALUES(?, ?, ?, ?, ?)"));
    const std::string body = item.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(item.id(), item.analysis_id(), item.owner(),
                              static_cast<int64_t>(item.state()), Blob{body}));
    return s.Run().status();
  }

  absl::Status UpdateActionItem(const v1::ActionItem& item) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("UPDATE action_items SET owner = ?, state = ?, "
                                              "body = ? WHERE id = ?"));
    const std::string body = item.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(item.owner(), static_cast<int64_t>(item.state()), Blob{body},
                              item.id()));
    ASSIGN_OR_RETURN(int64_t changed, s.Run());
    if (changed != 1) return absl::NotFoundError(absl::StrCat("no action item ", item.id()));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::ActionItem>> ListActionItems(
      const ActionItemFilter& f) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("SELECT body FROM action_items WHERE (?1 = '' OR owner = ?1) "
                                 "AND (?2 = '' OR analysis_id = ?2) AND (?3 = 0 OR state = ?3) "
                                 "ORDER BY seq LIMIT ?4"));
    RETURN_IF_ERROR(s.BindAll(f.owner, f.analysis_id, static_cast<int64_t>(f.state),
                              static_cast<int64_t>(f.limit)));
    return AllBodies<v1::ActionItem>(s, "action item");
  }

 private:
  // Action items live in their own table.
  static v1::Analysis Stripped(const v1::Analysis& a) {
    v1::Analysis copy = a;
    copy.clear_action_items();
    return copy;
  }

  static v1::Analysis Summary(const v1::Analysis& a) {
    v1::Analysis copy = Stripped(a);
    copy.clear_timeline();
    copy.clear_people();
    copy.clear_answers();
    copy.clear_history();
    copy.mutable_template_()->clear_sections();
    return copy;
  }

  Database& db_;
};

absl::Status SqlitePostmortemStore::Write(const std::function<absl::Status(Tx&)>& body) {
  return db_->Transaction([&]() -> absl::Status {
    SqliteTx tx(*db_);
    return body(tx);
  });
}

absl::Status SqlitePostmortemStore::Read(const std::function<absl::Status(Tx&)>& body) {
  return db_->Read([&]() -> absl::Status {
    SqliteTx tx(*db_);
    return body(tx);
  });
}

absl::Status SqlitePostmortemStore::Ping() { return db_->Ping(); }

}  // namespace tocsin::postmortem
