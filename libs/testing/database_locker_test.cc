#include "libs/testing/database_locker.h"

#include <sqlite3.h>

#include <string>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::testing {
namespace {

using ::testing::HasSubstr;

// A WAL database like the services' with one table; the connection waits
// at most 100 ms for a lock.
sqlite3* OpenService(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 100);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (x);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  return db;
}

int Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

TEST(DatabaseLocker, WritersAreBusyUntilReleaseWhileReadersRead) {
  const std::string path = MakeTempDir("locker") + "/service.db";
  sqlite3* service = OpenService(path);
  ASSERT_OK_AND_ASSIGN(auto lock, DatabaseLocker::Lock(path));
  EXPECT_TRUE(lock->held());
  EXPECT_EQ(Exec(service, "INSERT INTO t VALUES (1)"), SQLITE_BUSY);
  EXPECT_EQ(Exec(service, "SELECT count(*) FROM t"), SQLITE_OK);
  lock->Release();
  EXPECT_FALSE(lock->held());
  EXPECT_EQ(Exec(service, "INSERT INTO t VALUES (1)"), SQLITE_OK);
  lock->Release();  // idempotent
  sqlite3_close(service);
}

TEST(DatabaseLocker, WaitsForARunningTransactionThenGivesUp) {
  const std::string path = MakeTempDir("locker") + "/service.db";
  sqlite3* service = OpenService(path);
  ASSERT_EQ(Exec(service, "BEGIN IMMEDIATE"), SQLITE_OK);
  EXPECT_THAT(DatabaseLocker::Lock(path, absl::Milliseconds(200)).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot lock")));
  ASSERT_EQ(Exec(service, "COMMIT"), SQLITE_OK);
  EXPECT_OK(DatabaseLocker::Lock(path, absl::Milliseconds(200)));
  sqlite3_close(service);
}

TEST(DatabaseLocker, AMissingFileIsNotFound) {
  EXPECT_THAT(DatabaseLocker::Lock(MakeTempDir("locker") + "/none.db").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none.db")));
}

TEST(DatabaseLocker, DestructionReleases) {
  const std::string path = MakeTempDir("locker") + "/service.db";
  sqlite3* service = OpenService(path);
  {
    ASSERT_OK_AND_ASSIGN(auto lock, DatabaseLocker::Lock(path));
    EXPECT_EQ(Exec(service, "INSERT INTO t VALUES (1)"), SQLITE_BUSY);
  }
  EXPECT_EQ(Exec(service, "INSERT INTO t VALUES (1)"), SQLITE_OK);
  sqlite3_close(service);
}

}  // namespace
}  // namespace tocsin::testing
