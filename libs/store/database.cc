#include "libs/store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/status/status_macros.h"
#include "libs/store/sqlite_status.h"

namespace tocsin::store {
namespace {

// Idle statements kept per SQL text; more than this many alive at once for
// the same SQL means nested use, which is rare enough not to cache.
constexpr size_t kMaxCachedPerSql = 4;

// The one place SQLite result codes become absl::Status (codes from
// StatusCodeForSqlite); observer, if any, hears of busy and locked errors.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view sql,
                         DatabaseObserver* observer = nullptr) {
  if (observer != nullptr && IsSqliteBusy(rc)) observer->OnBusy();
  std::string message = absl::StrCat(
      "sqlite: ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
      " (code ", rc, ") in: ", absl::StripAsciiWhitespace(sql));
  return absl::Status(StatusCodeForSqlite(rc), message);
}

// Runs every statement of sql to completion, after check(statement, text).
absl::Status RunScript(
    sqlite3* db, absl::string_view sql,
    const std::function<absl::Status(sqlite3_stmt*, absl::string_view)>&
        check,
    DatabaseObserver* observer) {
  const char* next = sql.data();
  const char* const end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db, next, static_cast<int>(end - next), &stmt,
                                &tail);
    if (rc != SQLITE_OK) {
      return SqliteError(db, rc, absl::string_view(next, end - next),
                         observer);
    }
    const absl::string_view text(next, tail - next);
    next = tail;
    if (stmt == nullptr) continue;  // only whitespace or a comment
    absl::Cleanup finalize = [stmt] { sqlite3_finalize(stmt); };
    RETURN_IF_ERROR(check(stmt, text));
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return SqliteError(db, rc, text, observer);
  }
  return absl::OkStatus();
}

absl::Status RunScript(sqlite3* db, absl::string_view sql,
                       DatabaseObserver* observer) {
  return RunScript(
      db, sql,
      [](sqlite3_stmt*, absl::string_view) { return absl::OkStatus(); },
      observer);
}

// Runs a PRAGMA and returns the first column of its first row ("" if none).
absl::StatusOr<std::string> Pragma(sqlite3* db, absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()),
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, sql);
  absl::Cleanup finalize = [stmt] { sqlite3_finalize(stmt); };
  std::string value;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (value.empty() && sqlite3_column_text(stmt, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
  }
  if (rc != SQLITE_DONE) return SqliteError(db, rc, sql);
  return value;
}

// Creates path with mode 0600 when it does not exist; otherwise removes group
// and other permissions from it and from its -wal and -shm files (SQLite
// creates those with the database file's mode, but keeps existing ones as
// they are). A file owned by someone else (EPERM) keeps its mode.
absl::Status PrepareFile(const std::string& path) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return absl::OkStatus();
  }
  if (errno != EEXIST) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("cannot create database file ", path));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = absl::StrCat(path, suffix);
    struct stat st;
    if (stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT && *suffix != '\0') continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot stat ", file));
    }
    if ((st.st_mode & 077) == 0) continue;
    if (chmod(file.c_str(), st.st_mode & 0700) != 0 && errno != EPERM) {
      return absl::ErrnoToStatus(
          errno, absl::StrCat("cannot make ", file, " private (mode 0600)"));
    }
  }
  return absl::OkStatus();
}

// A monotonic reading for durations reported to the observer.
absl::Duration Elapsed(std::chrono::steady_clock::time_point since) {
  return absl::FromChrono(std::chrono::steady_clock::now() - since);
}

}  // namespace

int64_t ToDbMicros(absl::Time time) { return absl::ToUnixMicros(time); }

absl::Time FromDbMicros(int64_t micros) { return absl::FromUnixMicros(micros); }

// ---------------------------------------------------------------- Statement

Statement::Statement(Database* db, std::string sql, sqlite3_stmt* stmt)
    : db_(db), sql_(std::move(sql)), stmt_(stmt) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      sql_(std::move(other.sql_)),
      stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    sql_ = std::move(other.sql_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  db_->ReturnToCache(std::move(sql_), std::exchange(stmt_, nullptr));
}

absl::Status Statement::CheckBind(int rc, int index) const {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return SqliteError(sqlite3_db_handle(stmt_), rc,
                     absl::StrCat(sql_, " [binding parameter ", index, "]"));
}

absl::Status Statement::BindInt64(int index, int64_t value) {
  return CheckBind(sqlite3_bind_int64(stmt_, index, value), index);
}

absl::Status Statement::Bind(int index, double value) {
  return CheckBind(sqlite3_bind_double(stmt_, index, value), index);
}

absl::Status Statement::Bind(int index, absl::string_view text) {
  // A null pointer would bind NULL; an empty string_view means ''.
  const char* data = text.data() != nullptr ? text.data() : "";
  return CheckBind(sqlite3_bind_text64(stmt_, index, data, text.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8),
                   index);
}

absl::Status Statement::Bind(int index, Blob blob) {
  const char* data = blob.bytes.data() != nullptr ? blob.bytes.data() : "";
  return CheckBind(sqlite3_bind_blob64(stmt_, index, data, blob.bytes.size(),
                                       SQLITE_TRANSIENT),
                   index);
}

absl::Status Statement::Bind(int index, std::nullptr_t) {
  return CheckBind(sqlite3_bind_null(stmt_, index), index);
}

absl::Status Statement::Bind(int index, absl::Time time) {
  return BindInt64(index, ToDbMicros(time));
}

absl::StatusOr<bool> Statement::Step() {
  if (!db_->HeldByThisThread()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Statement used outside its Database::Transaction or Read: ", sql_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(sqlite3_db_handle(stmt_), rc, sql_, db_->observer());
}

absl::StatusOr<int64_t> Statement::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  if (sqlite3_stmt_readonly(stmt_)) return 0;
  return sqlite3_changes64(sqlite3_db_handle(stmt_));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(stmt_, column));
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return "";
  return std::string(static_cast<const char*>(blob),
                     sqlite3_column_bytes(stmt_, column));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::Time Statement::ColumnTime(int column) const {
  return FromDbMicros(ColumnInt64(column));
}

// ----------------------------------------------------------------- Database

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const DatabaseOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("DatabaseOptions.path is empty");
  }
  if (options.path != ":memory:" && !absl::StartsWith(options.path, "file:")) {
    RETURN_IF_ERROR(PrepareFile(options.path));
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      options.path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status =
        SqliteError(raw, rc, absl::StrCat("open ", options.path));
    sqlite3_close(raw);
    return status;
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(
      raw, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));

  ASSIGN_OR_RETURN(std::string journal_mode,
                   Pragma(raw, "PRAGMA journal_mode = WAL"));
  if (journal_mode != "wal" && options.path != ":memory:") {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot use WAL journal for ", options.path,
                     ": journal_mode is ", journal_mode));
  }
  RETURN_IF_ERROR(Pragma(raw, "PRAGMA synchronous = FULL").status());
  RETURN_IF_ERROR(Pragma(raw, "PRAGMA foreign_keys = ON").status());
  return db;
}

Database::Database(sqlite3* db) : db_(db) {}

Database::~Database() {
  {
    absl::MutexLock lock(&cache_mu_);
    for (auto& [sql, stmts] : cache_) {
      for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
    }
    cache_.clear();
  }
  sqlite3_close_v2(db_);
}

bool Database::HeldByThisThread() const {
  return owner_.load() == std::this_thread::get_id();
}

absl::Status Database::CheckUsable(absl::string_view sql) const {
  if (HeldByThisThread()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("SQL outside Database::Transaction or Read: ",
                   absl::StripAsciiWhitespace(sql)));
}

absl::Status Database::CheckWritable(sqlite3_stmt* stmt,
                                     absl::string_view sql) const {
  if (mode_ != Mode::kRead || sqlite3_stmt_readonly(stmt)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("write inside Database::Read (use Transaction): ",
                   absl::StripAsciiWhitespace(sql)));
}

absl::Status Database::RunLocked(Mode mode, absl::string_view begin_sql,
                                 const std::function<absl::Status()>& body,
                                 absl::Duration* held) {
  absl::MutexLock lock(&mu_);
  owner_.store(std::this_thread::get_id());
  mode_ = mode;
  absl::Cleanup release = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    mode_ = Mode::kNone;
    owner_.store(std::thread::id());
  };

  const auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(RunScript(db_, begin_sql, observer()));
  absl::Status status = body();
  if (status.ok() && sqlite3_get_autocommit(db_)) {
    return absl::InternalError(
        "a Database::Transaction or Read body ended the transaction itself");
  }
  if (status.ok()) {
    status = RunScript(db_, "COMMIT", observer());
    if (status.ok()) {
      if (held != nullptr) *held = Elapsed(start);
      return status;
    }
  }
  if (!sqlite3_get_autocommit(db_)) {
    absl::Status rollback = RunScript(db_, "ROLLBACK", observer());
    if (!rollback.ok()) {
      return absl::Status(
          status.code(),
          absl::StrCat(status.message(),
                       "; then ROLLBACK failed: ", rollback.message()));
    }
  }
  return status;
}

absl::Status Database::RunBody(const std::function<absl::Status()>& body,
                               std::vector<std::string>& topics) {
  std::vector<std::string> mine;
  signals_ = &mine;
  absl::Status status = body();
  signals_ = nullptr;
  if (status.ok()) {
    for (std::string& topic : mine) {
      if (std::find(topics.begin(), topics.end(), topic) == topics.end()) {
        topics.push_back(std::move(topic));
      }
    }
  }
  return status;
}

void Database::SignalOnCommit(absl::string_view topic) {
  if (!HeldByThisThread()) return;
  mu_.AssertHeld();
  if (signals_ == nullptr) return;
  if (std::find(signals_->begin(), signals_->end(), topic) == signals_->end()) {
    signals_->emplace_back(topic);
  }
}

int Database::AddCommitListener(std::string topic,
                                std::function<void()> listener) {
  absl::MutexLock lock(&listeners_mu_);
  const int id = next_listener_id_++;
  listeners_[id] = Listener{std::move(topic), std::move(listener)};
  return id;
}

void Database::RemoveCommitListener(int id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

void Database::RunListeners(const std::vector<std::string>& topics) {
  if (topics.empty()) return;
  absl::MutexLock lock(&listeners_mu_);
  for (const auto& [id, listener] : listeners_) {
    if (std::find(topics.begin(), topics.end(), listener.topic) !=
        topics.end()) {
      listener.run();
    }
  }
}

void Database::SetObserver(DatabaseObserver* observer) {
  observer_.store(observer);
}

absl::Status Database::Transaction(const std::function<absl::Status()>& body) {
  if (HeldByThisThread()) {
    return absl::FailedPreconditionError(
        "Database::Transaction inside another Transaction or Read");
  }
  PendingWrite self{&body};
  std::vector<PendingWrite*> group;
  {
    absl::MutexLock l(&queue_mu_);
    queue_.push_back(&self);
    // Wait until another thread committed this body, or nobody is committing
    // and this thread leads the next group.
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
      return self.done || !leader_active_;
    };
    queue_mu_.Await(absl::Condition(&ready));
    if (self.done) return self.result;
    leader_active_ = true;
    group.swap(queue_);  // holds this body, and whoever queued before it
  }
  // Listeners run before any body's Transaction() returns, so a writer that
  // signalled knows its listeners have run once it is back.
  RunListeners(RunGroup(group));
  absl::MutexLock l(&queue_mu_);
  for (PendingWrite* w : group) w->done = true;
  leader_active_ = false;
  return self.result;
}

absl::Status Database::Ping() {
  return Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement s, Prepare("SELECT 1"));
    return s.Step().status();
  });
}

int Database::waiting_writers() {
  absl::MutexLock l(&queue_mu_);
  return static_cast<int>(queue_.size());
}

std::vector<std::string> Database::RunGroup(
    const std::vector<PendingWrite*>& group) {
  DatabaseObserver* const watcher = observer();
  std::vector<std::string> topics;
  absl::Duration held;
  if (group.size() == 1) {
    // The common, uncontended case: exactly the single-body semantics.
    group[0]->result = RunLocked(
        Mode::kWrite, "BEGIN IMMEDIATE",
        [&] { return RunBody(*group[0]->body, topics); }, &held);
    if (!group[0]->result.ok()) {
      if (watcher != nullptr) watcher->OnRollback();
      return {};
    }
    if (watcher != nullptr) watcher->OnCommit(held, 1);
    return topics;
  }
  int committed = 0;
  bool every_body_failed = false;
  absl::Status status = RunLocked(Mode::kWrite, "BEGIN IMMEDIATE", [&]() -> absl::Status {
    for (PendingWrite* w : group) {
      RETURN_IF_ERROR(RunScript(db_, "SAVEPOINT tocsin_group_write", observer()));
      w->result = RunBody(*w->body, topics);
      if (sqlite3_get_autocommit(db_)) {
        return absl::InternalError(
            "a Database::Transaction body ended the transaction itself");
      }
      if (w->result.ok()) {
        ++committed;
      } else {
        RETURN_IF_ERROR(RunScript(db_, "ROLLBACK TO tocsin_group_write", observer()));
      }
      RETURN_IF_ERROR(RunScript(db_, "RELEASE tocsin_group_write", observer()));
    }
    // Nothing to commit when every body failed: roll back (their errors stand).
    every_body_failed = committed == 0;
    return every_body_failed ? absl::CancelledError("every body failed") : absl::OkStatus();
  }, &held);
  if (!status.ok()) {
    // A failed BEGIN or COMMIT fails every body whose changes it carried
    // (when every body failed, their own errors stand).
    for (PendingWrite* w : group) {
      if (w->result.ok() && !every_body_failed) w->result = status;
      if (watcher != nullptr) watcher->OnRollback();
    }
    return {};
  }
  if (watcher != nullptr) {
    watcher->OnCommit(held, committed);
    for (int i = committed; i < static_cast<int>(group.size()); ++i) {
      watcher->OnRollback();
    }
  }
  return topics;
}

absl::Status Database::Read(const std::function<absl::Status()>& body) {
  if (!HeldByThisThread()) return RunLocked(Mode::kRead, "BEGIN", body);
  // Nested in a body on this thread: read-only for the duration of body.
  mu_.AssertHeld();
  const Mode outer = mode_;
  mode_ = Mode::kRead;
  absl::Status status = body();
  mode_ = outer;
  return status;
}

absl::Status Database::Exec(absl::string_view sql) {
  RETURN_IF_ERROR(CheckUsable(sql));
  return RunScript(
      db_, sql,
      [this](sqlite3_stmt* stmt, absl::string_view text) {
        return CheckWritable(stmt, text);
      },
      observer());
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  RETURN_IF_ERROR(CheckUsable(sql));
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && !it->second.empty()) {
      stmt = it->second.back();
      it->second.pop_back();
    }
  }
  if (stmt == nullptr) {
    const char* tail = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size() + 1),
                           SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, sql, observer());
    if (stmt == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no SQL statement in \"", sql, "\""));
    }
    if (!absl::StripAsciiWhitespace(tail).empty()) {
      sqlite3_finalize(stmt);
      return absl::InvalidArgumentError(absl::StrCat(
          "Database::Prepare takes one statement (use Exec for scripts): ",
          sql));
    }
  }
  Statement statement(this, std::move(key), stmt);
  RETURN_IF_ERROR(CheckWritable(stmt, sql));
  return statement;
}

void Database::ReturnToCache(std::string sql, sqlite3_stmt* stmt) {
  absl::MutexLock lock(&cache_mu_);
  std::vector<sqlite3_stmt*>& idle = cache_[std::move(sql)];
  if (idle.size() < kMaxCachedPerSql) {
    idle.push_back(stmt);
  } else {
    sqlite3_finalize(stmt);
  }
}

absl::StatusOr<int64_t> DeleteInBatches(Database& db,
                                        absl::string_view delete_sql,
                                        absl::Time cutoff, int batch_size) {
  if (batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size must be at least 1, got ", batch_size));
  }
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(db.Transaction([&]() -> absl::Status {
      ASSIGN_OR_RETURN(Statement remove, db.Prepare(delete_sql));
      RETURN_IF_ERROR(remove.BindAll(cutoff, batch_size));
      ASSIGN_OR_RETURN(deleted, remove.Run());
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < batch_size) return total;
  }
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TableSizes(
    Database& db) {
  std::vector<std::pair<std::string, int64_t>> sizes;
  RETURN_IF_ERROR(db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement tables,
        db.Prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                   "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, tables.Step());
      if (!row) break;
      sizes.emplace_back(tables.ColumnText(0), 0);
    }
    for (auto& [name, rows] : sizes) {
      // A table name cannot be a parameter; quote it as an identifier.
      ASSIGN_OR_RETURN(
          Statement count,
          db.Prepare(absl::StrCat(
              "SELECT COUNT(*) FROM \"",
              absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"")));
      ASSIGN_OR_RETURN(bool row, count.Step());
      if (row) rows = count.ColumnInt64(0);
    }
    return absl::OkStatus();
  }));
  return sizes;
}

}  // namespace tocsin::store
