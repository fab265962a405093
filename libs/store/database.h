// Database: one service's SQLite file, opened for durable, serialised use.
//
// Each Tocsin service owns one database file. Open() configures it the way
// every service needs: WAL journal, synchronous=FULL (a committed transaction
// survives a power cut: it is the commit point of every Tocsin operation),
// foreign keys on, and a busy timeout towards other processes. The file is
// created with mode 0600, and an existing one (with its -wal and -shm files)
// is tightened to 0600, since it holds contacts' addresses and tokens; SQLite
// gives the -wal and -shm files it creates the database file's mode. A file
// the process does not own (chmod fails with EPERM) keeps its mode: whoever
// owns it chose it.
//
// Concurrency model: one connection guarded by one mutex. All SQL runs inside
// a body passed to Transaction() (BEGIN IMMEDIATE ... COMMIT) or Read()
// (a read-only snapshot); both take the mutex, so writers in the process are
// serialised and reads are safe from any thread (e.g. gRPC handlers).
// FailedPrecondition answers Exec(), Prepare() or Statement::Step() called
// outside such a body (or from a thread other than the body's), a write
// inside Read() (SQLite counts a PRAGMA that could change a setting as a
// write), and a Transaction() nested in another body. Read() inside a
// Transaction() runs its body in that transaction, so read helpers compose
// with write paths. Keep bodies short and free of network calls: they hold
// the only connection.
//
//   DatabaseOptions options;
//   options.path = "/var/lib/tocsin/paging.db";
//   ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(options));
//   RETURN_IF_ERROR(db->Transaction([&]() -> absl::Status {
//     ASSIGN_OR_RETURN(Statement insert, db->Prepare(
//         "INSERT INTO pages(id, sent_at) VALUES(?, ?)"));
//     RETURN_IF_ERROR(insert.BindAll(page_id, clock->Now()));
//     return insert.Run().status();
//   }));
//
// Commit signals: a body calls SignalOnCommit(topic) (AppendToOutbox does,
// with kOutboxTopic), and once the transaction is durable the listeners
// registered for that topic run, so whoever waits for new rows (the outbox
// relay) learns of them without the writer telling it.
//
// SQLite result codes become absl codes, so that retry loops tell transient
// from permanent (libs/status/retry.h):
//   UNIQUE or PRIMARY KEY violation      AlreadyExists
//   FOREIGN KEY violation                FailedPrecondition
//   NOT NULL / CHECK violation           InvalidArgument
//   BUSY, LOCKED (another writer), FULL (disk full), IOERR (any extended
//   code), NOMEM, PROTOCOL, CANTOPEN (the file vanished or the directory is
//   unreachable mid-run)                 Unavailable: retry, it may pass
//   CORRUPT, NOTADB                      DataLoss
//   anything else                        Internal
// Messages carry SQLite's text and the statement.
//
// Times are stored as INTEGER microseconds since the Unix epoch
// (ToDbMicros / FromDbMicros, Statement::Bind(int, absl::Time), ColumnTime).
#ifndef TOCSIN_LIBS_STORE_DATABASE_H_
#define TOCSIN_LIBS_STORE_DATABASE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tocsin::store {

// The storage unit of absl::Time columns: microseconds since the Unix epoch.
int64_t ToDbMicros(absl::Time time);
absl::Time FromDbMicros(int64_t micros);

// Binary data for Statement::Bind, to tell it apart from text.
struct Blob {
  absl::string_view bytes;
};

struct DatabaseOptions {
  // A file path, or ":memory:" for a private in-memory database (tests).
  std::string path;
  // How long a statement waits for another process's lock before it fails
  // with Unavailable.
  absl::Duration busy_timeout = absl::Seconds(5);
};

class Database;

// What a Database reports for metrics (commit latency, busy retries,
// rollbacks); libs/store knows nothing of the metrics library. Callbacks run
// on the thread that did the work, some with the connection held: keep them
// cheap (increment a counter) and never call back into the Database.
struct DatabaseObserver {
  virtual ~DatabaseObserver() = default;
  // A write transaction committed durably: took is the time from BEGIN to
  // the end of COMMIT (bodies included, measured with a monotonic clock),
  // bodies how many Transaction() bodies' changes it carried (more than one
  // with group commit).
  virtual void OnCommit(absl::Duration took, int bodies) {}
  // A statement, BEGIN or COMMIT failed with SQLITE_BUSY or SQLITE_LOCKED
  // (after the busy timeout); the caller sees Unavailable.
  virtual void OnBusy() {}
  // A Transaction() body's changes were rolled back: it failed, or the
  // commit that was to carry them failed. Once per body.
  virtual void OnRollback() {}
};

// A prepared statement, valid only inside the Transaction() or Read() body
// that prepared it; destroy it before the body returns. Parameters are
// numbered from 1 (as SQLite's "?"), result columns from 0.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  // Returns the statement to its Database's cache.
  ~Statement();

  // Any integer type (and bool, as 0/1) binds as INTEGER.
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  absl::Status Bind(int index, T value) {
    return BindInt64(index, static_cast<int64_t>(value));
  }
  absl::Status Bind(int index, double value);
  absl::Status Bind(int index, absl::string_view text);
  absl::Status Bind(int index, Blob blob);
  absl::Status Bind(int index, std::nullptr_t);
  // Stored as ToDbMicros(time).
  absl::Status Bind(int index, absl::Time time);

  // Binds args to parameters 1, 2, ... in order.
  template <typename... Args>
  absl::Status BindAll(const Args&... args) {
    absl::Status status;
    int index = 0;
    auto bind_next = [&](const auto& arg) {
      if (status.ok()) status = Bind(++index, arg);
    };
    (bind_next(args), ...);
    return status;
  }

  // Advances to the next row: true when a row is available through the
  // Column* accessors, false when the statement has finished.
  absl::StatusOr<bool> Step();
  // Steps until the statement finishes; returns how many rows an INSERT,
  // UPDATE or DELETE changed (0 for a query).
  absl::StatusOr<int64_t> Run();
  // Makes the statement ready to run again, with all parameters unbound.
  void Reset();

  // Accessors for the current row (after Step() returned true).
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;
  absl::Time ColumnTime(int column) const;

 private:
  friend class Database;
  Statement(Database* db, std::string sql, sqlite3_stmt* stmt);
  absl::Status BindInt64(int index, int64_t value);
  absl::Status CheckBind(int rc, int index) const;
  void Release();

  Database* db_;
  std::string sql_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs body between BEGIN IMMEDIATE and COMMIT, holding the connection.
  // If body returns an error, its changes are rolled back and that error is
  // returned; if COMMIT fails, the error is returned. FailedPrecondition when
  // called inside another Transaction() or Read() body.
  //
  // Group commit: bodies that arrive from other threads while a transaction
  // is committing run together in the next one, each inside its own
  // SAVEPOINT (a failing body rolls back only its own changes), so one
  // durable commit serves them all. Bodies run one after another in arrival
  // order, possibly on another caller's thread; Transaction() returns once
  // the commit that holds this body's changes is durable.
  absl::Status Transaction(const std::function<absl::Status()>& body);

  // Readiness: the database answers a query.
  absl::Status Ping();

  // Writers queued for the next group commit (for metrics and tests).
  int waiting_writers();

  // Runs body in a read-only snapshot, holding the connection. Statements
  // that write fail with FailedPrecondition. Inside a Transaction() body on
  // the same thread, runs body within that transaction.
  absl::Status Read(const std::function<absl::Status()>& body);

  // Runs one or more ';'-separated statements without parameters or
  // results (DDL). Only inside a Transaction() or Read() body.
  absl::Status Exec(absl::string_view sql);

  // Prepares a single statement, reusing a cached one for the same SQL.
  // Only inside a Transaction() or Read() body.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);

  // Asks for topic's commit listeners to run once the transaction this body
  // belongs to has committed (with group commit: after the group's commit);
  // never when the body fails or the commit fails. Several signals of one
  // topic in a commit run its listeners once. Only inside a Transaction()
  // body; elsewhere (outside any body, or inside a Read() of its own) it
  // does nothing.
  void SignalOnCommit(absl::string_view topic);

  // Registers listener for topic; returns its id for RemoveCommitListener.
  // Listeners run on the committing thread after the commit is durable,
  // outside the connection's lock, before the Transaction() calls whose
  // bodies signalled return. They must be cheap (wake a thread) and must not
  // use this Database nor add or remove listeners. Thread-safe.
  int AddCommitListener(std::string topic, std::function<void()> listener);
  // Unregisters a listener; once this returns it is not running and never
  // runs again. Unknown ids are ignored.
  void RemoveCommitListener(int id);

  // Sets (or, with nullptr, clears) the observer; not owned, must outlive
  // the Database or be cleared. Set it before the Database is used.
  void SetObserver(DatabaseObserver* observer);

 private:
  enum class Mode { kNone, kRead, kWrite };

  explicit Database(sqlite3* db);
  bool HeldByThisThread() const;
  absl::Status CheckUsable(absl::string_view sql) const;
  // Only after CheckUsable() passed, i.e. on the thread holding mu_.
  absl::Status CheckWritable(sqlite3_stmt* stmt, absl::string_view sql) const
      ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // Runs body with the mutex held and mode_ set, between begin_sql and
  // COMMIT (ROLLBACK on error). When it commits and held is not null, *held
  // is the time from BEGIN to the end of COMMIT.
  absl::Status RunLocked(Mode mode, absl::string_view begin_sql,
                         const std::function<absl::Status()>& body,
                         absl::Duration* held = nullptr);
  // Runs one Transaction() body collecting its SignalOnCommit topics into
  // topics (only kept when it succeeds).
  absl::Status RunBody(const std::function<absl::Status()>& body,
                       std::vector<std::string>& topics)
      ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // Runs topics' listeners (each listener once).
  void RunListeners(const std::vector<std::string>& topics);
  DatabaseObserver* observer() const { return observer_.load(); }
  void ReturnToCache(std::string sql, sqlite3_stmt* stmt);

  friend class Statement;

  sqlite3* const db_;
  absl::Mutex mu_;
  // The thread holding mu_, so misuse from another thread is an error
  // rather than a data race.
  std::atomic<std::thread::id> owner_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kNone;
  // Where SignalOnCommit records topics while a Transaction() body runs.
  std::vector<std::string>* signals_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::atomic<DatabaseObserver*> observer_{nullptr};

  // Group commit: writers waiting for the next transaction, and whether a
  // thread is currently running one for them.
  struct PendingWrite {
    const std::function<absl::Status()>* body;
    absl::Status result;
    bool done = false;
  };
  // Runs the group's bodies in one transaction and sets each one's result;
  // returns the topics signalled by the bodies it committed.
  std::vector<std::string> RunGroup(const std::vector<PendingWrite*>& group);
  absl::Mutex queue_mu_;
  std::vector<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;

  absl::Mutex cache_mu_;
  // Idle prepared statements by SQL text.
  absl::flat_hash_map<std::string, std::vector<sqlite3_stmt*>> cache_
      ABSL_GUARDED_BY(cache_mu_);

  // Held while listeners run, so RemoveCommitListener waits for them.
  absl::Mutex listeners_mu_;
  struct Listener {
    std::string topic;
    std::function<void()> run;
  };
  absl::flat_hash_map<int, Listener> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  int next_listener_id_ ABSL_GUARDED_BY(listeners_mu_) = 1;
};

// For retention: runs delete_sql, a DELETE of at most ?2 rows selected by
// the cutoff ?1, e.g.
//   DELETE FROM inbox WHERE rowid IN
//       (SELECT rowid FROM inbox WHERE received_at < ?1 LIMIT ?2)
// in a Transaction() of its own, again until one deletes fewer than
// batch_size rows, so a large prune never holds the connection for long and
// writers get their turn between batches. Returns how many rows went.
// InvalidArgument for batch_size < 1. Not inside a Transaction() or Read().
absl::StatusOr<int64_t> DeleteInBatches(Database& db,
                                        absl::string_view delete_sql,
                                        absl::Time cutoff, int batch_size);

// Rows in every table of db (SQLite's own excepted), by table name, for a
// table-size gauge. Counting costs a scan of each table's smallest index
// (milliseconds for a hundred thousand rows) with the connection held for
// reading: fine once per metrics scrape for tables kept bounded by pruning,
// too slow to call per request.
absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TableSizes(
    Database& db);

}  // namespace tocsin::store

#endif  // TOCSIN_LIBS_STORE_DATABASE_H_
