#include "libs/store/database.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/synchronization/notification.h"
#include "libs/status/retry.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::tocsin::testing::StatusIs;

MATCHER_P(IsOkAndHolds, expected,
          "is OK and holds a value that " +
              ::testing::PrintToString(expected)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(expected, *arg, result_listener);
}

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + name;
}

// Runs a one-column query and returns its first row as text.
absl::StatusOr<std::string> QueryText(Database& db, const std::string& sql) {
  std::string value;
  absl::Status status = db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement query, db.Prepare(sql));
    ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return absl::NotFoundError(sql);
    value = query.ColumnText(0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

// PRAGMAs that could change a setting count as writes, so they need a
// Transaction.
absl::StatusOr<std::string> Pragma(Database& db, const std::string& name) {
  std::string value;
  absl::Status status = db.Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement pragma, db.Prepare("PRAGMA " + name));
    ASSIGN_OR_RETURN(bool row, pragma.Step());
    if (!row) return absl::NotFoundError(name);
    value = pragma.ColumnText(0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<int64_t> CountRows(Database& db, const std::string& table) {
  ASSIGN_OR_RETURN(std::string count,
                   QueryText(db, "SELECT COUNT(*) FROM " + table));
  return std::stoll(count);
}

absl::Status Write(Database& db, const std::string& sql) {
  return db.Transaction([&] { return db.Exec(sql); });
}

// Counts what a Database reports.
class CountingObserver : public DatabaseObserver {
 public:
  void OnCommit(absl::Duration took, int bodies) override {
    absl::MutexLock lock(&mu_);
    ++commits_;
    bodies_.push_back(bodies);
    if (took < absl::ZeroDuration()) negative_took_ = true;
  }
  void OnBusy() override {
    absl::MutexLock lock(&mu_);
    ++busy_;
  }
  void OnRollback() override {
    absl::MutexLock lock(&mu_);
    ++rollbacks_;
  }
  int commits() {
    absl::MutexLock lock(&mu_);
    return commits_;
  }
  std::vector<int> bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }
  int busy() {
    absl::MutexLock lock(&mu_);
    return busy_;
  }
  int rollbacks() {
    absl::MutexLock lock(&mu_);
    return rollbacks_;
  }
  bool negative_took() {
    absl::MutexLock lock(&mu_);
    return negative_took_;
  }

 private:
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int> bodies_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  int rollbacks_ ABSL_GUARDED_BY(mu_) = 0;
  bool negative_took_ ABSL_GUARDED_BY(mu_) = false;
};

// Permission bits of path, or -1 when it does not exist.
int Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// Sets the process umask for the scope (the test's files' modes must not
// depend on the umask the test runner happened to have).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(Database, OpensFilesInWalModeWithFullSyncAndForeignKeys) {
  const std::string path = TempPath("pragmas.db");
  std::unique_ptr<Database> db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);"));

  EXPECT_THAT(Pragma(*db, "journal_mode"), IsOkAndHolds(std::string("wal")));
  EXPECT_THAT(Pragma(*db, "synchronous"),
              IsOkAndHolds(std::string("2")));  // FULL
  EXPECT_THAT(Pragma(*db, "foreign_keys"), IsOkAndHolds(std::string("1")));
  // WAL is recorded in the file itself: header bytes 18 and 19 are 2 (WAL).
  std::ifstream file(path, std::ios::binary);
  char header[20] = {};
  ASSERT_TRUE(file.read(header, sizeof(header)));
  EXPECT_EQ(header[18], 2);
  EXPECT_EQ(header[19], 2);
  EXPECT_TRUE(std::ifstream(path + "-wal").good());
}

TEST(Database, PingAnswersAndNeedsNoTransaction) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("ping.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_OK(db->Ping());
}

TEST(Database, OpensInMemoryDatabases) {
  std::unique_ptr<Database> db = OpenOrDie(":memory:");
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);"));
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(1));
}

TEST(Database, RefusesAnEmptyPath) {
  EXPECT_THAT(Database::Open(DatabaseOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path")));
}

TEST(Database, CommittedTransactionSurvivesReopen) {
  const std::string path = TempPath("reopen.db");
  {
    std::unique_ptr<Database> db = OpenOrDie(path);
    ASSERT_NE(db, nullptr);
    ASSERT_OK(Write(*db, "CREATE TABLE t(x TEXT)"));
    ASSERT_OK(db->Transaction([&]() -> absl::Status {
      ASSIGN_OR_RETURN(Statement insert,
                       db->Prepare("INSERT INTO t VALUES(?)"));
      RETURN_IF_ERROR(insert.BindAll("kept"));
      return insert.Run().status();
    }));
  }
  std::unique_ptr<Database> db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(QueryText(*db, "SELECT x FROM t"),
              IsOkAndHolds(std::string("kept")));
}

TEST(Database, FailedTransactionLeavesNothing) {
  const std::string path = TempPath("rollback.db");
  std::unique_ptr<Database> db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x INTEGER)"));

  absl::Status status = db->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(
        db->Exec("INSERT INTO t VALUES(1); INSERT INTO t VALUES(2);"));
    RETURN_IF_ERROR(db->Exec("CREATE TABLE half_done(y)"));
    return absl::AbortedError("conflict on incident inc-7");
  });

  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted,
                               HasSubstr("conflict on incident inc-7")));
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(0));
  EXPECT_THAT(QueryText(*db,
                        "SELECT COUNT(*) FROM sqlite_master "
                        "WHERE name = 'half_done'"),
              IsOkAndHolds(std::string("0")));
  // Nothing reached the file either.
  db.reset();
  db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(0));
}

TEST(Database, ConstraintViolationsMapToStatusCodes) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("constraints.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db,
                  "CREATE TABLE parent(id TEXT PRIMARY KEY);"
                  "CREATE TABLE child(id TEXT PRIMARY KEY, "
                  "  parent_id TEXT NOT NULL REFERENCES parent(id));"
                  "INSERT INTO parent VALUES('p1');"));

  EXPECT_THAT(Write(*db, "INSERT INTO parent VALUES('p1')"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("UNIQUE constraint failed: parent.id"),
                             HasSubstr("INSERT INTO parent VALUES('p1')"))));
  EXPECT_THAT(Write(*db, "INSERT INTO child VALUES('c1', 'missing')"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("FOREIGN KEY constraint failed")));
  EXPECT_THAT(Write(*db, "INSERT INTO child VALUES('c1', NULL)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("NOT NULL constraint failed")));
  EXPECT_THAT(Write(*db, "INSERT INTO nowhere VALUES(1)"),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("no such table: nowhere"),
                             HasSubstr("INSERT INTO nowhere"))));
  EXPECT_THAT(CountRows(*db, "child"), IsOkAndHolds(0));
}

TEST(Database, WriterHeldUpByAnotherProcessIsUnavailable) {
  const std::string path = TempPath("busy.db");
  std::unique_ptr<Database> first = OpenOrDie(path);
  ASSERT_NE(first, nullptr);
  DatabaseOptions options;
  options.path = path;
  options.busy_timeout = absl::Milliseconds(20);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> second,
                       Database::Open(options));
  ASSERT_OK(Write(*first, "CREATE TABLE t(x)"));

  absl::Status inner;
  ASSERT_OK(first->Transaction([&] {
    inner = Write(*second, "INSERT INTO t VALUES(1)");
    return first->Exec("INSERT INTO t VALUES(2)");
  }));

  EXPECT_THAT(inner, StatusIs(absl::StatusCode::kUnavailable,
                              HasSubstr("database is locked")));
  EXPECT_THAT(CountRows(*second, "t"), IsOkAndHolds(1));
}

TEST(Database, ExclusiveLockOfAnotherConnectionIsUnavailableAndObserved) {
  const std::string path = TempPath("exclusive.db");
  DatabaseOptions options;
  options.path = path;
  options.busy_timeout = absl::Milliseconds(20);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(options));
  CountingObserver observer;
  db->SetObserver(&observer);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x)"));
  // Another process (a backup, a sqlite3 shell) holds the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr),
            SQLITE_OK);

  const absl::Status held = Write(*db, "INSERT INTO t VALUES(1)");

  EXPECT_THAT(held, StatusIs(absl::StatusCode::kUnavailable,
                             HasSubstr("database is locked")));
  EXPECT_TRUE(IsTransient(held));
  EXPECT_EQ(observer.busy(), 1);
  EXPECT_EQ(observer.rollbacks(), 1);
  // Released, the same write goes through.
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  ASSERT_OK(Write(*db, "INSERT INTO t VALUES(1)"));
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(1));
  EXPECT_EQ(observer.busy(), 1);
}

TEST(Database, FullDiskIsUnavailableAndTheTransactionLeavesNothing) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("full.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x BLOB)"));
  // The file may not grow by more than a page: as good as a full disk.
  ASSERT_OK_AND_ASSIGN(std::string pages, Pragma(*db, "page_count"));
  ASSERT_OK(Pragma(*db, "max_page_count = " +
                            std::to_string(std::stoll(pages) + 1))
                .status());

  const absl::Status full = db->Transaction([&]() -> absl::Status {
    return db->Exec(
        "INSERT INTO t VALUES(zeroblob(100000)); "
        "INSERT INTO t VALUES(zeroblob(100000));");
  });

  EXPECT_THAT(full, StatusIs(absl::StatusCode::kUnavailable,
                             HasSubstr("database or disk is full")));
  EXPECT_TRUE(IsTransient(full));
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(0));
}

TEST(Database, FileThatIsNotADatabaseIsDataLoss) {
  const std::string path = TempPath("not_a_database.db");
  {
    std::ofstream file(path, std::ios::binary);
    file << std::string(8192, 'x');
  }
  DatabaseOptions options;
  options.path = path;

  EXPECT_THAT(Database::Open(options),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("file is not a database")));
}

TEST(Database, NewFilesAreReadableByTheOwnerOnly) {
  ScopedUmask permissive(0);
  const std::string path = TempPath("private.db");
  std::unique_ptr<Database> db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);"));

  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(path + "-wal"), 0600);
  EXPECT_EQ(Mode(path + "-shm"), 0600);
}

TEST(Database, ExistingFilesAreMadePrivateOnOpen) {
  ScopedUmask permissive(0);
  const std::string path = TempPath("loose.db");
  std::unique_ptr<Database> first = OpenOrDie(path);
  ASSERT_NE(first, nullptr);
  ASSERT_OK(Write(*first, "CREATE TABLE t(x); INSERT INTO t VALUES(1);"));
  // As an older Tocsin (or a copy by hand) left them.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    ASSERT_EQ(chmod((path + suffix).c_str(), 0644), 0);
  }

  std::unique_ptr<Database> second = OpenOrDie(path);
  ASSERT_NE(second, nullptr);

  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(path + "-wal"), 0600);
  EXPECT_EQ(Mode(path + "-shm"), 0600);
  EXPECT_THAT(CountRows(*second, "t"), IsOkAndHolds(1));
}

TEST(Database, OpenInAMissingDirectoryNamesThePath) {
  DatabaseOptions options;
  options.path = TempPath("no/such/dir/x.db");
  EXPECT_THAT(Database::Open(options),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no/such/dir/x.db")));
}

TEST(Database, SqlOutsideTransactionOrReadIsRefused) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("outside.db"));
  ASSERT_NE(db, nullptr);

  EXPECT_THAT(db->Exec("CREATE TABLE t(x)"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("outside Database::Transaction or Read")));
  EXPECT_THAT(
      db->Prepare("SELECT 1"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("SELECT 1")));
}

TEST(Database, SqlFromAnotherThreadDuringATransactionIsRefused) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("other_thread.db"));
  ASSERT_NE(db, nullptr);
  absl::Status from_other_thread;
  ASSERT_OK(db->Transaction([&] {
    std::thread other(
        [&] { from_other_thread = db->Exec("CREATE TABLE t(x)"); });
    other.join();
    return absl::OkStatus();
  }));
  EXPECT_THAT(from_other_thread, StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("outside")));
}

TEST(Database, WritesInsideReadAreRefused) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("read_only.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x)"));

  EXPECT_THAT(db->Read([&] { return db->Exec("INSERT INTO t VALUES(1)"); }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("write inside Database::Read")));
  EXPECT_THAT(db->Read([&] { return db->Prepare("DELETE FROM t").status(); }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("DELETE FROM t")));
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(0));
}

TEST(Database, NestedTransactionIsRefused) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("nested.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x)"));

  absl::Status status = db->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES(1)"));
    return db->Transaction([&] { return db->Exec("INSERT INTO t VALUES(2)"); });
  });

  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("inside another Transaction")));
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(0));
}

TEST(Database, ReadInsideTransactionSeesItsWritesButCannotWrite) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("read_in_tx.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x)"));

  int64_t seen = -1;
  absl::Status nested_write;
  ASSERT_OK(db->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES(1)"));
    ASSIGN_OR_RETURN(seen, CountRows(*db, "t"));
    nested_write =
        db->Read([&] { return db->Exec("INSERT INTO t VALUES(2)"); });
    // Back in the transaction, writing works again.
    return db->Exec("INSERT INTO t VALUES(3)");
  }));

  EXPECT_EQ(seen, 1);
  EXPECT_THAT(nested_write, StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("INSERT INTO t VALUES(2)")));
  EXPECT_THAT(QueryText(*db, "SELECT group_concat(x) FROM t"),
              IsOkAndHolds(std::string("1,3")));
}

TEST(Database, BodyThatEndsTheTransactionItselfIsAnError) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("self_commit.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->Transaction([&] { return db->Exec("COMMIT"); }),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("ended the transaction itself")));
  ASSERT_OK(Write(*db, "CREATE TABLE still_usable(x)"));
}

TEST(Database, ConcurrentWritersAllCommit) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("concurrent.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db,
                  "CREATE TABLE counter(n INTEGER NOT NULL);"
                  "INSERT INTO counter VALUES(0);"
                  "CREATE TABLE log(writer INTEGER, i INTEGER);"));
  constexpr int kWriters = 6;
  constexpr int kEach = 40;

  std::vector<std::thread> threads;
  std::vector<absl::Status> failures(kWriters + 1);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach && failures[w].ok(); ++i) {
        // Read-modify-write: lost updates would show in the final count.
        failures[w] = db->Transaction([&]() -> absl::Status {
          ASSIGN_OR_RETURN(Statement read,
                           db->Prepare("SELECT n FROM counter"));
          ASSIGN_OR_RETURN(bool row, read.Step());
          if (!row) return absl::InternalError("no counter");
          const int64_t n = read.ColumnInt64(0);
          ASSIGN_OR_RETURN(Statement update,
                           db->Prepare("UPDATE counter SET n = ?"));
          RETURN_IF_ERROR(update.BindAll(n + 1));
          RETURN_IF_ERROR(update.Run().status());
          ASSIGN_OR_RETURN(Statement log,
                           db->Prepare("INSERT INTO log VALUES(?, ?)"));
          RETURN_IF_ERROR(log.BindAll(w, i));
          return log.Run().status();
        });
      }
    });
  }
  // A reader alongside the writers.
  threads.emplace_back([&] {
    for (int i = 0; i < kEach && failures[kWriters].ok(); ++i) {
      failures[kWriters] = CountRows(*db, "log").status();
    }
  });
  for (std::thread& t : threads) t.join();

  for (const absl::Status& failure : failures) EXPECT_OK(failure);
  EXPECT_THAT(QueryText(*db, "SELECT n FROM counter"),
              IsOkAndHolds(std::to_string(kWriters * kEach)));
  EXPECT_THAT(CountRows(*db, "log"), IsOkAndHolds(kWriters * kEach));
}

TEST(Database, WritersQueuedDuringACommitShareOneAndAFailureStaysItsOwn) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("group.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(v TEXT NOT NULL UNIQUE);"));
  absl::Notification first_inside, release_first;
  absl::Status first, second, third, fourth;
  // The first writer holds the connection until three more are queued.
  std::thread a([&] {
    first = db->Transaction([&]() -> absl::Status {
      first_inside.Notify();
      release_first.WaitForNotification();
      return db->Exec("INSERT INTO t VALUES('a')");
    });
  });
  first_inside.WaitForNotification();
  std::thread b([&] { second = Write(*db, "INSERT INTO t VALUES('b')"); });
  ASSERT_OK(tocsin::testing::WaitFor([&] { return db->waiting_writers() == 1; },
                                     absl::Seconds(10)));
  // Writes, then fails: inside the group its write must be undone alone.
  std::thread c([&] {
    third = db->Transaction([&]() -> absl::Status {
      RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES('c')"));
      return absl::AbortedError("changed my mind");
    });
  });
  ASSERT_OK(tocsin::testing::WaitFor([&] { return db->waiting_writers() == 2; },
                                     absl::Seconds(10)));
  std::thread d([&] { fourth = Write(*db, "INSERT INTO t VALUES('d')"); });
  ASSERT_OK(tocsin::testing::WaitFor([&] { return db->waiting_writers() == 3; },
                                     absl::Seconds(10)));
  release_first.Notify();
  for (std::thread* t : {&a, &b, &c, &d}) t->join();
  EXPECT_OK(first);
  EXPECT_OK(second);
  EXPECT_THAT(third, StatusIs(absl::StatusCode::kAborted, HasSubstr("changed my mind")));
  EXPECT_OK(fourth);
  EXPECT_THAT(QueryText(*db, "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY v)"),
              IsOkAndHolds("a,b,d"));
}

TEST(Database, CommitListenersRunAfterACommitThatSignalledTheirTopic) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("signals.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x)"));
  int outbox = 0, other = 0;
  db->AddCommitListener("outbox", [&] { ++outbox; });
  db->AddCommitListener("other", [&] { ++other; });

  // Signalled twice in one commit: the listener runs once, before
  // Transaction() returns.
  ASSERT_OK(db->Transaction([&]() -> absl::Status {
    db->SignalOnCommit("outbox");
    RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES(1)"));
    db->SignalOnCommit("outbox");
    return absl::OkStatus();
  }));
  EXPECT_EQ(outbox, 1);
  EXPECT_EQ(other, 0);

  // A rolled-back transaction signals nothing.
  EXPECT_THAT(db->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES(2)"));
    db->SignalOnCommit("outbox");
    return absl::AbortedError("conflict");
  }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("conflict")));
  EXPECT_EQ(outbox, 1);

  // Outside a Transaction() body a signal is ignored.
  db->SignalOnCommit("outbox");
  ASSERT_OK(db->Read([&] {
    db->SignalOnCommit("outbox");
    return absl::OkStatus();
  }));
  ASSERT_OK(Write(*db, "INSERT INTO t VALUES(3)"));
  EXPECT_EQ(outbox, 1);
}

TEST(Database, RemovedCommitListenerNeverRunsAgain) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("remove_listener.db"));
  ASSERT_NE(db, nullptr);
  int calls = 0;
  const int id = db->AddCommitListener("outbox", [&] { ++calls; });
  auto signal = [&] {
    return db->Transaction([&] {
      db->SignalOnCommit("outbox");
      return absl::OkStatus();
    });
  };
  ASSERT_OK(signal());

  db->RemoveCommitListener(id);
  db->RemoveCommitListener(id);  // unknown ids are ignored
  ASSERT_OK(signal());

  EXPECT_EQ(calls, 1);
}

TEST(Database, GroupCommitSignalsOnlyForTheBodiesItCommitted) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("group_signals.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(v TEXT NOT NULL);"));
  CountingObserver observer;
  db->SetObserver(&observer);
  std::atomic<int> a_calls{0}, b_calls{0}, c_calls{0};
  db->AddCommitListener("a", [&] { ++a_calls; });
  db->AddCommitListener("b", [&] { ++b_calls; });
  db->AddCommitListener("c", [&] { ++c_calls; });
  absl::Notification first_inside, release_first;
  absl::Status first, second, third;
  std::thread holder([&] {
    first = db->Transaction([&]() -> absl::Status {
      first_inside.Notify();
      release_first.WaitForNotification();
      return db->Exec("INSERT INTO t VALUES('first')");
    });
  });
  first_inside.WaitForNotification();
  // Two writers queue behind it and share the next commit; one fails.
  std::thread b([&] {
    second = db->Transaction([&]() -> absl::Status {
      db->SignalOnCommit("b");
      return db->Exec("INSERT INTO t VALUES('b')");
    });
  });
  ASSERT_OK(tocsin::testing::WaitFor([&] { return db->waiting_writers() == 1; },
                                     absl::Seconds(10)));
  std::thread c([&] {
    third = db->Transaction([&]() -> absl::Status {
      db->SignalOnCommit("c");
      RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES('c')"));
      return absl::AbortedError("changed my mind");
    });
  });
  ASSERT_OK(tocsin::testing::WaitFor([&] { return db->waiting_writers() == 2; },
                                     absl::Seconds(10)));
  release_first.Notify();
  for (std::thread* t : {&holder, &b, &c}) t->join();

  EXPECT_OK(first);
  EXPECT_OK(second);
  EXPECT_THAT(third, StatusIs(absl::StatusCode::kAborted, HasSubstr("changed my mind")));
  EXPECT_EQ(a_calls.load(), 0);
  EXPECT_EQ(b_calls.load(), 1);
  EXPECT_EQ(c_calls.load(), 0);
  // One commit for the holder, one for the group of two (one rolled back).
  EXPECT_THAT(observer.bodies(), ElementsAre(1, 1));
  EXPECT_EQ(observer.rollbacks(), 1);
  EXPECT_FALSE(observer.negative_took());
}

TEST(Database, ObserverHearsOfCommitsAndRollbacks) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("observed.db"));
  ASSERT_NE(db, nullptr);
  CountingObserver observer;
  db->SetObserver(&observer);

  ASSERT_OK(Write(*db, "CREATE TABLE t(x)"));
  ASSERT_OK(Write(*db, "INSERT INTO t VALUES(1)"));
  EXPECT_THAT(Write(*db, "INSERT INTO nowhere VALUES(1)"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no such table")));
  ASSERT_OK(CountRows(*db, "t").status());  // reads are not commits

  EXPECT_EQ(observer.commits(), 2);
  EXPECT_EQ(observer.rollbacks(), 1);
  EXPECT_EQ(observer.busy(), 0);
}

TEST(Database, DeleteInBatchesRemovesOnlyMatchingRowsOneBatchPerCommit) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("batches.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db,
                  "CREATE TABLE t(at INTEGER NOT NULL);"
                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                  "FROM n WHERE i < 2600) INSERT INTO t SELECT i FROM n;"));
  CountingObserver observer;
  db->SetObserver(&observer);
  constexpr absl::string_view kDelete =
      "DELETE FROM t WHERE rowid IN "
      "(SELECT rowid FROM t WHERE at < ?1 LIMIT ?2)";

  // Times are microseconds: rows 1..2500 are before 2501us.
  ASSERT_OK_AND_ASSIGN(
      int64_t deleted,
      DeleteInBatches(*db, kDelete, FromDbMicros(2501), /*batch_size=*/1000));

  EXPECT_EQ(deleted, 2500);
  EXPECT_THAT(CountRows(*db, "t"), IsOkAndHolds(100));
  EXPECT_THAT(QueryText(*db, "SELECT MIN(at) FROM t"),
              IsOkAndHolds(std::string("2501")));
  // 1000 + 1000 + 500: three short transactions, not one long one.
  EXPECT_THAT(observer.bodies(), ElementsAre(1, 1, 1));
  EXPECT_THAT(DeleteInBatches(*db, kDelete, FromDbMicros(2501), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_size")));
}

TEST(Database, TableSizesCountsEveryTableButSqlitesOwn) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("sizes.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db,
                  "CREATE TABLE pages(id INTEGER PRIMARY KEY AUTOINCREMENT);"
                  "CREATE TABLE \"odd \"\"name\"(x);"
                  "INSERT INTO pages DEFAULT VALUES;"
                  "INSERT INTO pages DEFAULT VALUES;"));

  EXPECT_THAT(TableSizes(*db),
              IsOkAndHolds(ElementsAre(Pair("odd \"name", 0), Pair("pages", 2))));
}

TEST(Database, WritersThroughTwoConnectionsToOneFileAllCommit) {
  const std::string path = TempPath("two_connections.db");
  std::unique_ptr<Database> a = OpenOrDie(path);
  std::unique_ptr<Database> b = OpenOrDie(path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_OK(
      Write(*a, "CREATE TABLE counter(n); INSERT INTO counter VALUES(0);"));
  constexpr int kEach = 50;

  auto increment = [&](Database* db, absl::Status* failure) {
    for (int i = 0; i < kEach && failure->ok(); ++i) {
      *failure = db->Transaction([&]() -> absl::Status {
        ASSIGN_OR_RETURN(Statement read, db->Prepare("SELECT n FROM counter"));
        ASSIGN_OR_RETURN(bool row, read.Step());
        if (!row) return absl::InternalError("no counter");
        ASSIGN_OR_RETURN(Statement update,
                         db->Prepare("UPDATE counter SET n = ?"));
        RETURN_IF_ERROR(update.BindAll(read.ColumnInt64(0) + 1));
        return update.Run().status();
      });
    }
  };
  absl::Status failure_a, failure_b;
  std::thread ta(increment, a.get(), &failure_a);
  std::thread tb(increment, b.get(), &failure_b);
  ta.join();
  tb.join();

  EXPECT_OK(failure_a);
  EXPECT_OK(failure_b);
  EXPECT_THAT(QueryText(*a, "SELECT n FROM counter"),
              IsOkAndHolds(std::to_string(2 * kEach)));
}

TEST(Database, BindsAndReadsEveryType) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("types.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db,
                  "CREATE TABLE t(i INTEGER, d REAL, s TEXT, e TEXT, "
                  "b BLOB, n TEXT, at INTEGER, flag INTEGER)"));
  const std::string blob(
      "\0\x01\xff"
      "bytes",
      8);
  const absl::Time at = absl::FromUnixMicros(1767225600123456);

  ASSERT_OK(db->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement insert,
        db->Prepare("INSERT INTO t VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(insert.BindAll(INT64_MAX, 2.5, "héllo", absl::string_view(),
                                   Blob{blob}, nullptr, at, true));
    return insert.Run().status();
  }));

  ASSERT_OK(db->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db->Prepare("SELECT * FROM t"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(select.ColumnInt64(0), INT64_MAX);
    EXPECT_EQ(select.ColumnDouble(1), 2.5);
    EXPECT_EQ(select.ColumnText(2), "héllo");
    EXPECT_FALSE(select.ColumnIsNull(3));  // '' is not NULL
    EXPECT_EQ(select.ColumnText(3), "");
    EXPECT_EQ(select.ColumnBlob(4), blob);
    EXPECT_TRUE(select.ColumnIsNull(5));
    EXPECT_EQ(select.ColumnTime(6), at);
    EXPECT_EQ(select.ColumnInt64(6), 1767225600123456);  // microseconds
    EXPECT_EQ(select.ColumnInt64(7), 1);
    ASSIGN_OR_RETURN(row, select.Step());
    EXPECT_FALSE(row);
    return absl::OkStatus();
  }));
}

TEST(Database, TimeHelpersUseMicrosecondsSinceEpoch) {
  EXPECT_EQ(ToDbMicros(absl::FromUnixSeconds(2)), 2000000);
  EXPECT_EQ(FromDbMicros(1500), absl::UnixEpoch() + absl::Microseconds(1500));
}

TEST(Database, StatementsAreReusableAndMayBeAliveTogether) {
  std::unique_ptr<Database> db = OpenOrDie(TempPath("reuse.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Write(*db, "CREATE TABLE t(x INTEGER)"));

  ASSERT_OK(db->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement insert, db->Prepare("INSERT INTO t VALUES(?)"));
    for (int x = 1; x <= 3; ++x) {
      RETURN_IF_ERROR(insert.BindAll(x));
      ASSIGN_OR_RETURN(int64_t changed, insert.Run());
      EXPECT_EQ(changed, 1);
      insert.Reset();
    }
    return absl::OkStatus();
  }));

  // The same SQL prepared twice, iterated nested: a 3x3 cross product.
  int pairs = 0;
  ASSERT_OK(db->Read([&]() -> absl::Status {
    constexpr absl::string_view kAll = "SELECT x FROM t ORDER BY x";
    ASSIGN_OR_RETURN(Statement outer, db->Prepare(kAll));
    while (true) {
      ASSIGN_OR_RETURN(bool row, outer.Step());
      if (!row) return absl::OkStatus();
      ASSIGN_OR_RETURN(Statement inner, db->Prepare(kAll));
      while (true) {
        ASSIGN_OR_RETURN(bool inner_row, inner.Step());
        if (!inner_row) break;
        ++pairs;
      }
    }
  }));
  EXPECT_EQ(pairs, 9);
}

TEST(Database, PrepareTakesExactlyOneStatement) {
  std::unique_ptr<Database> db = OpenOrDie(":memory:");
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(
      db->Read([&] { return db->Prepare("SELECT 1; SELECT 2").status(); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("use Exec")));
  EXPECT_THAT(db->Read([&] { return db->Prepare("SELEC 1").status(); }),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("syntax error"), HasSubstr("SELEC 1"))));
}

}  // namespace
}  // namespace tocsin::store
