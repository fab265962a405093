#include "services/paging/sqlite_store.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/store/dead_letters.h"
#include "libs/store/inbox.h"
#include "libs/store/migrations.h"
#include "libs/store/outbox.h"

namespace tocsin::paging {
namespace {

using store::Blob;
using store::Database;
using store::Statement;

// The paging service's schema. Pages are stored as serialized protos; the
// columns beside them are what queries filter and sort on.
std::vector<store::Migration> Migrations() {
  std::vector<store::Migration> m = {
      {1, "pages", R"sql(
CREATE TABLE pages (
  id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  -- When the next delivery attempt is due; NULL when none is.
  next_attempt INTEGER,
  create_time INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX pages_due ON pages(state, next_attempt);
CREATE INDEX pages_incident ON pages(incident_id, create_time);
)sql"},
  };
  for (const auto& shared : {store::OutboxMigrations(), store::InboxMigrations(),
                             store::DeadLetterMigrations()}) {
    m.insert(m.end(), shared.begin(), shared.end());
  }
  return m;
}

absl::StatusOr<Page> ParsePage(const std::string& bytes) {
  Page p;
  if (!p.ParseFromString(bytes)) return absl::DataLossError("stored page does not parse");
  return p;
}

// Binds a page's next attempt time, or NULL when it has none.
absl::Status BindNextAttempt(Statement& s, int index, const Page& page) {
  if (!page.has_next_attempt()) return s.Bind(index, nullptr);
  return s.Bind(index, FromProtoTime(page.next_attempt()));
}

}  // namespace

class SqlitePagingStore::SqliteTx final : public PagingStore::Tx {
 public:
  SqliteTx(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<Page>> GetPage(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM pages WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Page>();
    ASSIGN_OR_RETURN(Page page, ParsePage(s.ColumnBlob(0)));
    return std::optional<Page>(std::move(page));
  }

  absl::Status InsertPage(const Page& page) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO pages(id, incident_id, state, next_attempt, create_time, body) "
        "VALUES(?, ?, ?, ?, ?, ?)"));
    std::string body = page.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(page.id(), page.incident_id(), static_cast<int>(page.state())));
    RETURN_IF_ERROR(BindNextAttempt(s, 4, page));
    RETURN_IF_ERROR(s.Bind(5, FromProtoTime(page.create_time())));
    RETURN_IF_ERROR(s.Bind(6, Blob{body}));
    return s.Run().status();
  }

  absl::Status UpdatePage(const Page& page) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE pages SET state = ?, next_attempt = ?, body = ? WHERE id = ?"));
    std::string body = page.SerializeAsString();
    RETURN_IF_ERROR(s.Bind(1, static_cast<int>(page.state())));
    RETURN_IF_ERROR(BindNextAttempt(s, 2, page));
    RETURN_IF_ERROR(s.Bind(3, Blob{body}));
    RETURN_IF_ERROR(s.Bind(4, page.id()));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    if (n != 1) return absl::NotFoundError(absl::StrCat("page \"", page.id(), "\" does not exist"));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Page>> ListPages(const std::string& incident_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT body FROM pages WHERE incident_id = ? ORDER BY create_time, id"));
    RETURN_IF_ERROR(s.BindAll(incident_id));
    std::vector<Page> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(Page page, ParsePage(s.ColumnBlob(0)));
      out.push_back(std::move(page));
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> DuePageIds(absl::Time now, int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT id FROM pages WHERE state = ? AND next_attempt <= ? "
        "ORDER BY next_attempt, id LIMIT ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::PAGE_STATE_PENDING), now, limit));
    std::vector<std::string> ids;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.ColumnText(0));
    }
    return ids;
  }

  absl::StatusOr<bool> RecordInInbox(const std::string& consumer,
                                     const std::string& event_id) override {
    return store::RecordInInbox(db_, consumer, event_id, clock_.Now());
  }

  absl::Status Emit(const Envelope& event) override {
    return store::AppendToOutbox(db_, event, clock_.Now());
  }

 private:
  Database& db_;
  const Clock& clock_;
};

absl::StatusOr<std::unique_ptr<SqlitePagingStore>> SqlitePagingStore::Open(
    const std::string& path, const Clock* clock) {
  store::DatabaseOptions options;
  options.path = path;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(options));
  RETURN_IF_ERROR(store::Migrate(*db, Migrations(), *clock));
  return std::unique_ptr<SqlitePagingStore>(new SqlitePagingStore(std::move(db), clock));
}

absl::Status SqlitePagingStore::Write(const std::function<absl::Status(Tx&)>& body) {
  return db_->Transaction([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqlitePagingStore::Read(const std::function<absl::Status(Tx&)>& body) {
  return db_->Read([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqlitePagingStore::Ping() { return db_->Ping(); }

}  // namespace tocsin::paging
