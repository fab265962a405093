#include "libs/store/inbox.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/status/status_matchers.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"

namespace tocsin::store {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() +
            ".db";
    Reopen();
  }

  void Reopen() {
    db_.reset();
    DatabaseOptions options;
    options.path = path_;
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(options));
    ASSERT_OK(Migrate(*db_, InboxMigrations(), clock_));
  }

  // Records the event in its own transaction, as a consumer's handler does.
  absl::StatusOr<bool> Record(const std::string& consumer,
                              const std::string& event_id) {
    bool fresh = false;
    absl::Status status = db_->Transaction([&]() -> absl::Status {
      ASSIGN_OR_RETURN(fresh,
                       RecordInInbox(*db_, consumer, event_id, clock_.Now()));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return fresh;
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(InboxTest, FirstDeliveryIsFreshAndRedeliveriesAreNot) {
  ASSERT_OK_AND_ASSIGN(bool first, Record("escalation", "evt-1"));
  ASSERT_OK_AND_ASSIGN(bool second, Record("escalation", "evt-1"));
  ASSERT_OK_AND_ASSIGN(bool other_event, Record("escalation", "evt-2"));

  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_TRUE(other_event);
}

TEST_F(InboxTest, ConsumersAreIndependent) {
  ASSERT_OK_AND_ASSIGN(bool for_engagements, Record("engagements", "evt-1"));
  ASSERT_OK_AND_ASSIGN(bool for_timeline, Record("timeline", "evt-1"));

  EXPECT_TRUE(for_engagements);
  EXPECT_TRUE(for_timeline);
}

TEST_F(InboxTest, RecordsSurviveReopeningTheFile) {
  ASSERT_OK_AND_ASSIGN(bool first, Record("escalation", "evt-1"));
  ASSERT_TRUE(first);

  Reopen();

  ASSERT_OK_AND_ASSIGN(bool after_restart, Record("escalation", "evt-1"));
  EXPECT_FALSE(after_restart);
}

TEST_F(InboxTest, RecordOfAFailedTransactionIsForgotten) {
  // The handler failed after recording: the redelivery must apply again.
  absl::Status failed = db_->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(bool fresh,
                     RecordInInbox(*db_, "escalation", "evt-1", clock_.Now()));
    EXPECT_TRUE(fresh);
    return absl::UnavailableError("state change failed");
  });
  ASSERT_THAT(failed,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("state")));

  ASSERT_OK_AND_ASSIGN(bool redelivered, Record("escalation", "evt-1"));
  EXPECT_TRUE(redelivered);
}

TEST_F(InboxTest, AppliesTheStateChangeOncePerEvent) {
  // The documented consumer pattern, end to end.
  ASSERT_OK(db_->Transaction(
      [&] { return db_->Exec("CREATE TABLE engagements(incident_id TEXT)"); }));
  auto handle = [&](const std::string& event_id) {
    return db_->Transaction([&]() -> absl::Status {
      ASSIGN_OR_RETURN(bool fresh, RecordInInbox(*db_, "escalation", event_id,
                                                 clock_.Now()));
      if (!fresh) return absl::OkStatus();
      return db_->Exec("INSERT INTO engagements VALUES('inc-1')");
    });
  };

  ASSERT_OK(handle("evt-1"));
  ASSERT_OK(handle("evt-1"));
  ASSERT_OK(handle("evt-1"));

  int64_t engagements = -1;
  ASSERT_OK(db_->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement count,
                     db_->Prepare("SELECT COUNT(*) FROM engagements"));
    ASSIGN_OR_RETURN(bool row, count.Step());
    if (row) engagements = count.ColumnInt64(0);
    return absl::OkStatus();
  }));
  EXPECT_EQ(engagements, 1);
}

TEST_F(InboxTest, RecordingOutsideATransactionIsRefused) {
  EXPECT_THAT(RecordInInbox(*db_, "escalation", "evt-1", clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("outside Database::Transaction")));
  EXPECT_THAT(db_->Read([&] {
    return RecordInInbox(*db_, "escalation", "evt-1", clock_.Now()).status();
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("write inside Database::Read")));
  ASSERT_OK_AND_ASSIGN(bool fresh, Record("escalation", "evt-1"));
  EXPECT_TRUE(fresh);
}

TEST_F(InboxTest, PruneForgetsOnlyRecordsMadeBeforeTheCutoff) {
  ASSERT_OK(Record("escalation", "old-1").status());
  ASSERT_OK(Record("paging", "old-2").status());
  ASSERT_OK(Record("escalation", "old-3").status());
  clock_.Advance(absl::Hours(49));
  ASSERT_OK(Record("escalation", "recent").status());

  ASSERT_OK_AND_ASSIGN(int64_t pruned,
                       PruneInbox(*db_, clock_.Now() - absl::Hours(48),
                                  /*batch_size=*/2));

  EXPECT_EQ(pruned, 3);
  // The recent record still de-duplicates; a pruned one is forgotten.
  ASSERT_OK_AND_ASSIGN(bool recent_again, Record("escalation", "recent"));
  EXPECT_FALSE(recent_again);
  ASSERT_OK_AND_ASSIGN(bool old_again, Record("escalation", "old-1"));
  EXPECT_TRUE(old_again);
  ASSERT_OK_AND_ASSIGN(pruned, PruneInbox(*db_, clock_.Now() - absl::Hours(48)));
  EXPECT_EQ(pruned, 0);
}

TEST_F(InboxTest, RefusesEmptyIds) {
  EXPECT_THAT(Record("", "evt-1"), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("consumer")));
  EXPECT_THAT(
      Record("escalation", ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
}

}  // namespace
}  // namespace tocsin::store
