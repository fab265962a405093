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
#include "services/paging/chat_sqlite_store.h"

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
      {2, "ack_code_failures", R"sql(
-- One row per wrong accept code, by where it came from (a client address,
-- a gRPC peer), so the limit holds across restarts and replicas.
CREATE TABLE ack_code_failures (
  source TEXT NOT NULL,
  time INTEGER NOT NULL
);
CREATE INDEX ack_code_failures_source ON ack_code_failures(source, time);
CREATE INDEX ack_code_failures_time ON ack_code_failures(time);
)sql"},
      {3, "pages_destination", R"sql(
-- The SMS or voice number a page goes to, for replies and key presses that
-- come back from it (NULL for other channels and older pages).
ALTER TABLE pages ADD COLUMN destination TEXT;
CREATE INDEX pages_destination ON pages(destination, create_time);
)sql"},
      {4, "page_sends", R"sql(
-- One row per SMS or voice message claimed for sending (an attempt), by
-- destination number, so the per-destination rate limits hold across
-- restarts. A failed attempt's row is removed again.
CREATE TABLE page_sends (
  kind TEXT NOT NULL,
  destination TEXT NOT NULL,
  page_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  time INTEGER NOT NULL
);
CREATE INDEX page_sends_destination ON page_sends(kind, destination, time);
CREATE INDEX page_sends_page ON page_sends(page_id, attempt);
CREATE INDEX page_sends_time ON page_sends(time);
)sql"},
  };
  // The chat tables (versions 100-199) share the database.
  for (const store::Migration& chat : ChatMigrations()) m.push_back(chat);
  for (const auto& shared : {store::OutboxMigrations(), store::InboxMigrations(),
                             store::DeadLetterMigrations()}) {
    m.insert(m.end(), shared.begin(), shared.end());
  }
  return m;
}

// The number an SMS or voice page goes to; "" for other channels.
std::string Destination(const Page& page) {
  if (page.channel().has_sms()) return page.channel().sms().number();
  if (page.channel().has_voice()) return page.channel().voice().number();
  return "";
}

constexpr char kRowColumns[] = "id, incident_id, state, create_time, body";

// A row selected with kRowColumns.
PageRow ReadRow(const Statement& s) {
  PageRow row;
  row.id = s.ColumnText(0);
  row.incident_id = s.ColumnText(1);
  row.state = static_cast<v1::PageState>(s.ColumnInt64(2));
  row.create_time = s.ColumnTime(3);
  Page page;
  if (page.ParseFromString(s.ColumnBlob(4))) {
    page.set_state(row.state);
    row.page = std::move(page);
  } else {
    row.page = absl::DataLossError(absl::StrCat("stored page \"", row.id, "\" of incident \"",
                                                row.incident_id, "\" does not parse"));
  }
  return row;
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
    ASSIGN_OR_RETURN(std::optional<PageRow> row, GetPageRow(id));
    if (!row.has_value()) return std::optional<Page>();
    if (!row->page.ok()) return row->page.status();
    return std::optional<Page>(*std::move(row->page));
  }

  absl::StatusOr<std::optional<PageRow>> GetPageRow(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare(absl::StrCat("SELECT ", kRowColumns, " FROM pages WHERE id = ?")));
    RETURN_IF_ERROR(s.BindAll(id));
    ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return std::optional<PageRow>();
    return std::optional<PageRow>(ReadRow(s));
  }

  absl::Status InsertPage(const Page& page) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO pages(id, incident_id, state, next_attempt, create_time, body, "
        "destination) VALUES(?, ?, ?, ?, ?, ?, NULLIF(?, ''))"));
    std::string body = page.SerializeAsString();
    RETURN_IF_ERROR(s.BindAll(page.id(), page.incident_id(), static_cast<int>(page.state())));
    RETURN_IF_ERROR(BindNextAttempt(s, 4, page));
    RETURN_IF_ERROR(s.Bind(5, FromProtoTime(page.create_time())));
    RETURN_IF_ERROR(s.Bind(6, Blob{body}));
    RETURN_IF_ERROR(s.Bind(7, Destination(page)));
    return s.Run().status();
  }

  absl::Status UpdatePage(const Page& page) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE pages SET state = ?, next_attempt = ?, body = ?, "
        "destination = NULLIF(?, '') WHERE id = ?"));
    std::string body = page.SerializeAsString();
    RETURN_IF_ERROR(s.Bind(1, static_cast<int>(page.state())));
    RETURN_IF_ERROR(BindNextAttempt(s, 2, page));
    RETURN_IF_ERROR(s.Bind(3, Blob{body}));
    RETURN_IF_ERROR(s.Bind(4, Destination(page)));
    RETURN_IF_ERROR(s.Bind(5, page.id()));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    if (n != 1) return NotFound(page.id());
    return absl::OkStatus();
  }

  absl::Status SetPageStateColumn(const std::string& id, v1::PageState state) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE pages SET state = ?, next_attempt = NULL WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(state), id));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    if (n != 1) return NotFound(id);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<PageRow>> ListPages(const std::string& incident_id) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare(absl::StrCat("SELECT ", kRowColumns,
                                              " FROM pages WHERE incident_id = ? "
                                              "ORDER BY create_time, id")));
    RETURN_IF_ERROR(s.BindAll(incident_id));
    std::vector<PageRow> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRow(s));
    }
    return out;
  }

  absl::StatusOr<std::vector<PageRow>> ListPagesTo(const std::string& number, absl::Time since,
                                                   int limit) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare(absl::StrCat("SELECT ", kRowColumns,
                                              " FROM pages WHERE destination = ? AND "
                                              "create_time >= ? "
                                              "ORDER BY create_time DESC, id DESC LIMIT ?")));
    RETURN_IF_ERROR(s.BindAll(number, since, limit));
    std::vector<PageRow> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRow(s));
    }
    return out;
  }

  absl::StatusOr<std::vector<PageRow>> ListPendingPagesTo(const std::string& number,
                                                          int limit) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare(absl::StrCat("SELECT ", kRowColumns,
                                              " FROM pages WHERE destination = ? AND state = ? "
                                              "ORDER BY create_time, id LIMIT ?")));
    RETURN_IF_ERROR(s.BindAll(number, static_cast<int>(v1::PAGE_STATE_PENDING), limit));
    std::vector<PageRow> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRow(s));
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

  absl::StatusOr<int64_t> CountPages(v1::PageState state) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT COUNT(*) FROM pages WHERE state = ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(state)));
    ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.ColumnInt64(0) : 0;
  }

  absl::Status RecordWrongCode(const std::string& source, absl::Time time) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("INSERT INTO ack_code_failures(source, time) VALUES(?, ?)"));
    RETURN_IF_ERROR(s.BindAll(source, time));
    return s.Run().status();
  }

  absl::StatusOr<std::vector<absl::Time>> WrongCodesSince(const std::string& source,
                                                          absl::Time since) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT time FROM ack_code_failures WHERE source = ? AND time > ? ORDER BY time"));
    RETURN_IF_ERROR(s.BindAll(source, since));
    std::vector<absl::Time> times;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      times.push_back(s.ColumnTime(0));
    }
    return times;
  }

  absl::Status PruneWrongCodes(absl::Time before) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("DELETE FROM ack_code_failures WHERE time <= ?"));
    RETURN_IF_ERROR(s.BindAll(before));
    return s.Run().status();
  }

  absl::Status RecordSend(const std::string& kind, const std::string& destination,
                          const std::string& page_id, int attempt, absl::Time time) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO page_sends(kind, destination, page_id, attempt, time) "
        "VALUES(?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(s.BindAll(kind, destination, page_id, attempt, time));
    return s.Run().status();
  }

  absl::Status ForgetSend(const std::string& page_id, int attempt) override {
    ASSIGN_OR_RETURN(Statement s,
                     db_.Prepare("DELETE FROM page_sends WHERE page_id = ? AND attempt = ?"));
    RETURN_IF_ERROR(s.BindAll(page_id, attempt));
    return s.Run().status();
  }

  absl::StatusOr<std::vector<absl::Time>> SendsSince(const std::string& kind,
                                                     const std::string& destination,
                                                     absl::Time since) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT time FROM page_sends WHERE kind = ? AND destination = ? AND time > ? "
        "ORDER BY time"));
    RETURN_IF_ERROR(s.BindAll(kind, destination, since));
    std::vector<absl::Time> times;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      times.push_back(s.ColumnTime(0));
    }
    return times;
  }

  absl::StatusOr<int64_t> PruneSends(absl::Time before) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("DELETE FROM page_sends WHERE time <= ?"));
    RETURN_IF_ERROR(s.BindAll(before));
    return s.Run();
  }

  absl::StatusOr<bool> RecordInInbox(const std::string& consumer,
                                     const std::string& event_id) override {
    return store::RecordInInbox(db_, consumer, event_id, clock_.Now());
  }

  absl::Status Emit(const Envelope& event) override {
    return store::AppendToOutbox(db_, event, clock_.Now());
  }

 private:
  static absl::Status NotFound(const std::string& id) {
    return absl::NotFoundError(absl::StrCat("page \"", id, "\" does not exist"));
  }

  Database& db_;
  const Clock& clock_;
};

absl::StatusOr<std::unique_ptr<SqlitePagingStore>> SqlitePagingStore::Open(
    const std::string& path, const Clock* clock, absl::Duration busy_timeout) {
  store::DatabaseOptions options;
  options.path = path;
  options.busy_timeout = busy_timeout;
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
