#include "libs/store/migrations.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/status/status_matchers.h"
#include "libs/store/database.h"

namespace tocsin::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::tocsin::testing::StatusIs;

const std::vector<Migration> kV1 = {
    {1, "contacts", "CREATE TABLE contacts(id TEXT PRIMARY KEY);"},
};
const std::vector<Migration> kV2 = {
    kV1[0],
    // DML too: applying it twice would insert two rows.
    {2, "default_contact",
     "ALTER TABLE contacts ADD COLUMN name TEXT;"
     "INSERT INTO contacts(id, name) VALUES('oncall', 'On call');"},
};

std::unique_ptr<Database> Open(const std::string& name) {
  DatabaseOptions options;
  options.path = ::testing::TempDir() + name;
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(db).value() : nullptr;
}

// (version, applied_at) of every recorded migration, in version order.
std::vector<std::pair<int, absl::Time>> Recorded(Database& db) {
  std::vector<std::pair<int, absl::Time>> recorded;
  EXPECT_OK(db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        db.Prepare("SELECT version, applied_at FROM schema_migrations "
                   "ORDER BY version"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      recorded.emplace_back(select.ColumnInt64(0), select.ColumnTime(1));
    }
  }));
  return recorded;
}

int64_t Count(Database& db, const std::string& sql) {
  int64_t count = -1;
  EXPECT_OK(db.Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement select, db.Prepare(sql));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) count = select.ColumnInt64(0);
    return absl::OkStatus();
  }));
  return count;
}

TEST(Migrate, AppliesEachMigrationOnceAcrossReopens) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  {
    std::unique_ptr<Database> db = Open("apply_once.db");
    ASSERT_NE(db, nullptr);
    ASSERT_OK(Migrate(*db, kV1, clock));
    clock.Advance(absl::Minutes(1));
    ASSERT_OK(Migrate(*db, kV2, clock));
    clock.Advance(absl::Minutes(1));
    ASSERT_OK(Migrate(*db, kV2, clock));
  }
  std::unique_ptr<Database> db = Open("apply_once.db");
  ASSERT_NE(db, nullptr);
  clock.Advance(absl::Minutes(1));
  ASSERT_OK(Migrate(*db, kV2, clock));

  EXPECT_THAT(Recorded(*db), ElementsAre(Pair(1, absl::FromUnixSeconds(1000)),
                                         Pair(2, absl::FromUnixSeconds(1060))));
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM contacts WHERE name = 'On call'"),
            1);
}

TEST(Migrate, RefusesADatabaseNewerThanTheBinary) {
  FakeClock clock;
  std::unique_ptr<Database> db = Open("downgrade.db");
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Migrate(*db, kV2, clock));

  EXPECT_THAT(
      Migrate(*db, kV1, clock),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("schema migration 2"), HasSubstr("newest is 1"),
                     HasSubstr("downgrade"))));
  EXPECT_THAT(Migrate(*db, {}, clock),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema migration 2")));
}

TEST(Migrate, RefusesAListThatIsNotStrictlyIncreasing) {
  FakeClock clock;
  std::unique_ptr<Database> db = Open("unordered.db");
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> unordered = {
      {1, "a", "CREATE TABLE a(x);"},
      {3, "c", "CREATE TABLE c(x);"},
      {3, "d", "CREATE TABLE d(x);"},
  };

  EXPECT_THAT(Migrate(*db, unordered, clock),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("3 (d) follows 3")));
  // Nothing was applied.
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'"),
            0);
}

TEST(Migrate, RefusesTwoMigrationsClaimingOneVersion) {
  FakeClock clock;
  std::unique_ptr<Database> db = Open("renamed.db");
  ASSERT_NE(db, nullptr);
  ASSERT_OK(Migrate(*db, kV1, clock));

  EXPECT_THAT(
      Migrate(*db, {{1, "escalations", "CREATE TABLE e(x);"}}, clock),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("\"contacts\""), HasSubstr("\"escalations\""))));
}

TEST(Migrate, FailedMigrationLeavesNoTraceAndKeepsEarlierOnes) {
  FakeClock clock;
  std::unique_ptr<Database> db = Open("failed.db");
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> broken = {
      kV1[0],
      {2, "broken", "CREATE TABLE half(x); INSERT INTO nowhere VALUES(1);"},
  };

  EXPECT_THAT(Migrate(*db, broken, clock),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("schema migration 2 (broken)"),
                             HasSubstr("no such table: nowhere"))));
  EXPECT_THAT(Recorded(*db), ElementsAre(Pair(1, clock.Now())));
  EXPECT_EQ(
      Count(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'"), 0);

  // Fixed in the next build, it applies.
  ASSERT_OK(Migrate(*db, kV2, clock));
  EXPECT_EQ(Recorded(*db).size(), 2u);
}

TEST(Migrate, AppliesALowerVersionAddedAfterHigherOnes) {
  // A service's own migration 2 released after the shared tables (1000+)
  // were applied still runs.
  FakeClock clock;
  std::unique_ptr<Database> db = Open("interleaved.db");
  ASSERT_NE(db, nullptr);
  const Migration shared = {1000, "shared", "CREATE TABLE shared(x);"};
  ASSERT_OK(Migrate(*db, {kV1[0], shared}, clock));

  ASSERT_OK(Migrate(*db, {kV2[0], kV2[1], shared}, clock));

  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM contacts"), 1);
  EXPECT_EQ(Recorded(*db).size(), 3u);
}

}  // namespace
}  // namespace tocsin::store
