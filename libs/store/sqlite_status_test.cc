#include "libs/store/sqlite_status.h"

#include <sqlite3.h>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace tocsin::store {
namespace {

using Code = absl::StatusCode;

// The codes no test can provoke on demand (an I/O error, no memory, a
// vanished file) are checked here; database_test provokes the others.
TEST(StatusCodeForSqlite, ConditionsThatPassByThemselvesAreUnavailable) {
  for (int rc : {SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT,
                 SQLITE_LOCKED, SQLITE_LOCKED_SHAREDCACHE, SQLITE_FULL,
                 SQLITE_IOERR, SQLITE_IOERR_READ, SQLITE_IOERR_WRITE,
                 SQLITE_IOERR_FSYNC, SQLITE_IOERR_SHORT_READ,
                 SQLITE_IOERR_NOMEM, SQLITE_IOERR_LOCK, SQLITE_IOERR_SHMMAP,
                 SQLITE_NOMEM, SQLITE_PROTOCOL, SQLITE_CANTOPEN,
                 SQLITE_CANTOPEN_ISDIR}) {
    EXPECT_EQ(StatusCodeForSqlite(rc), Code::kUnavailable)
        << sqlite3_errstr(rc) << " (" << rc << ")";
  }
}

TEST(StatusCodeForSqlite, UnreadableFilesAreDataLoss) {
  for (int rc : {SQLITE_CORRUPT, SQLITE_CORRUPT_INDEX, SQLITE_CORRUPT_VTAB,
                 SQLITE_NOTADB}) {
    EXPECT_EQ(StatusCodeForSqlite(rc), Code::kDataLoss)
        << sqlite3_errstr(rc) << " (" << rc << ")";
  }
}

TEST(StatusCodeForSqlite, ConstraintsSayWhatIsWrongWithTheInput) {
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_UNIQUE), Code::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_PRIMARYKEY),
            Code::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_FOREIGNKEY),
            Code::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_NOTNULL),
            Code::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlite(SQLITE_CONSTRAINT_CHECK),
            Code::kInvalidArgument);
}

TEST(StatusCodeForSqlite, EverythingElseIsInternal) {
  for (int rc : {SQLITE_ERROR, SQLITE_READONLY, SQLITE_MISUSE, SQLITE_RANGE,
                 SQLITE_SCHEMA, SQLITE_MISMATCH}) {
    EXPECT_EQ(StatusCodeForSqlite(rc), Code::kInternal)
        << sqlite3_errstr(rc) << " (" << rc << ")";
  }
}

TEST(IsSqliteBusy, OnlyBusyAndLocked) {
  EXPECT_TRUE(IsSqliteBusy(SQLITE_BUSY));
  EXPECT_TRUE(IsSqliteBusy(SQLITE_BUSY_RECOVERY));
  EXPECT_TRUE(IsSqliteBusy(SQLITE_LOCKED));
  EXPECT_FALSE(IsSqliteBusy(SQLITE_FULL));
  EXPECT_FALSE(IsSqliteBusy(SQLITE_IOERR_FSYNC));
}

}  // namespace
}  // namespace tocsin::store
