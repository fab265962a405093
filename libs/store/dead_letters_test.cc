#include "libs/store/dead_letters.h"

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
#include "libs/store/migrations.h"
#include "libs/text/text.h"

namespace tocsin::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class DeadLettersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.path =
        ::testing::TempDir() +
        ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(options));
    ASSERT_OK(Migrate(*db_, DeadLetterMigrations(), clock_));
  }

  // Adds a dead letter for event_id in a transaction of its own.
  absl::StatusOr<DeadLetterRecord> Add(const std::string& event_id,
                                       std::string error = "refused") {
    DeadLetterRecord record;
    record.source = "consumer:paging-pages";
    record.event_id = event_id;
    record.type = "page.requested";
    record.incident_id = "inc-1";
    record.subject = "tocsin.page.requested";
    record.data = std::string("\x0a\x03raw\xff", 6);
    record.error = std::move(error);
    record.attempts = 10;
    absl::StatusOr<DeadLetterRecord> added;
    absl::Status status = db_->Transaction([&]() -> absl::Status {
      added = AddDeadLetter(*db_, "paging", record, clock_.Now());
      return added.status();
    });
    if (!status.ok()) return status;
    return added;
  }

  absl::Status Replay(const std::string& id) {
    return db_->Transaction(
        [&] { return MarkDeadLetterReplayed(*db_, id, clock_.Now()); });
  }

  std::vector<std::string> ListedIds(bool include_replayed, int limit = 100) {
    std::vector<std::string> ids;
    auto listed = ListDeadLetters(*db_, include_replayed, limit);
    EXPECT_OK(listed.status());
    if (listed.ok()) {
      for (const DeadLetterRecord& r : *listed) ids.push_back(r.id);
    }
    return ids;
  }

  FakeClock clock_;
  std::unique_ptr<Database> db_;
};

TEST_F(DeadLettersTest, AddStoresEverythingUnderAnIncreasingId) {
  ASSERT_OK_AND_ASSIGN(DeadLetterRecord first, Add("ev-1"));
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(DeadLetterRecord second, Add("ev-2"));

  EXPECT_EQ(first.id, "paging-1");
  EXPECT_EQ(second.id, "paging-2");
  ASSERT_OK_AND_ASSIGN(DeadLetterRecord stored, GetDeadLetter(*db_, "paging-2"));
  EXPECT_EQ(stored.source, "consumer:paging-pages");
  EXPECT_EQ(stored.event_id, "ev-2");
  EXPECT_EQ(stored.type, "page.requested");
  EXPECT_EQ(stored.incident_id, "inc-1");
  EXPECT_EQ(stored.subject, "tocsin.page.requested");
  EXPECT_EQ(stored.data, std::string("\x0a\x03raw\xff", 6));  // bytes kept as they are
  EXPECT_EQ(stored.error, "refused");
  EXPECT_EQ(stored.attempts, 10);
  EXPECT_EQ(stored.create_time, clock_.Now());
  EXPECT_FALSE(stored.replay_time.has_value());
}

TEST_F(DeadLettersTest, ErrorIsStoredAsBoundedValidUtf8) {
  const std::string reply = "proxy says \xc3\x28" + std::string(10000, 'x');

  ASSERT_OK_AND_ASSIGN(DeadLetterRecord added, Add("ev-1", reply));

  ASSERT_OK_AND_ASSIGN(DeadLetterRecord stored, GetDeadLetter(*db_, added.id));
  EXPECT_EQ(stored.error, added.error);
  EXPECT_TRUE(text::IsValidUtf8(stored.error));
  EXPECT_LE(stored.error.size(), text::kMaxDetailBytes);
  EXPECT_THAT(stored.error, HasSubstr("proxy says"));
  EXPECT_THAT(stored.error, HasSubstr("truncated"));
}

TEST_F(DeadLettersTest, AddIsRefusedOutsideATransactionAndWithoutASource) {
  DeadLetterRecord record;
  record.source = "outbox";
  EXPECT_THAT(AddDeadLetter(*db_, "paging", record, clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("outside Database::Transaction")));
  record.source.clear();
  EXPECT_THAT(db_->Transaction([&] {
    return AddDeadLetter(*db_, "paging", record, clock_.Now()).status();
  }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("source")));
  ASSERT_OK_AND_ASSIGN(int64_t count, CountDeadLetters(*db_));
  EXPECT_EQ(count, 0);
}

TEST_F(DeadLettersTest, ListIsNewestFirstAndHidesReplayedUnlessAsked) {
  for (const char* id : {"ev-1", "ev-2", "ev-3", "ev-4"}) {
    ASSERT_OK(Add(id).status());
  }
  ASSERT_OK(Replay("paging-2"));

  EXPECT_THAT(ListedIds(false), ElementsAre("paging-4", "paging-3", "paging-1"));
  EXPECT_THAT(ListedIds(true),
              ElementsAre("paging-4", "paging-3", "paging-2", "paging-1"));
  EXPECT_THAT(ListedIds(true, 2), ElementsAre("paging-4", "paging-3"));
  EXPECT_THAT(ListDeadLetters(*db_, true, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  ASSERT_OK_AND_ASSIGN(int64_t waiting, CountDeadLetters(*db_));
  EXPECT_EQ(waiting, 3);
}

TEST_F(DeadLettersTest, GetAnswersNotFoundForUnknownIds) {
  ASSERT_OK(Add("ev-1").status());

  for (const char* id : {"paging-2", "escalation-1", "paging", "-1", "paging-x", ""}) {
    EXPECT_THAT(GetDeadLetter(*db_, id),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("dead letter")))
        << id;
  }
}

TEST_F(DeadLettersTest, ReplayIsMarkedOnceInTheCallersTransaction) {
  ASSERT_OK(Add("ev-1").status());
  clock_.Advance(absl::Minutes(3));

  ASSERT_OK(Replay("paging-1"));

  ASSERT_OK_AND_ASSIGN(DeadLetterRecord replayed, GetDeadLetter(*db_, "paging-1"));
  EXPECT_EQ(replayed.replay_time, clock_.Now());
  EXPECT_THAT(Replay("paging-1"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("replayed already")));
  EXPECT_THAT(Replay("paging-7"), StatusIs(absl::StatusCode::kNotFound,
                                           HasSubstr("paging-7")));
  // Outside a transaction, nothing is marked.
  ASSERT_OK(Add("ev-2").status());
  EXPECT_THAT(MarkDeadLetterReplayed(*db_, "paging-2", clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("outside Database::Transaction")));
  ASSERT_OK_AND_ASSIGN(DeadLetterRecord untouched, GetDeadLetter(*db_, "paging-2"));
  EXPECT_FALSE(untouched.replay_time.has_value());
}

TEST_F(DeadLettersTest, PruneRemovesOnlyOldReplayedOnesAndIdsAreNeverReused) {
  for (int i = 1; i <= 5; ++i) ASSERT_OK(Add("ev-" + std::to_string(i)).status());
  ASSERT_OK(Replay("paging-1"));
  ASSERT_OK(Replay("paging-2"));
  ASSERT_OK(Replay("paging-5"));
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(Replay("paging-4"));  // replayed recently

  ASSERT_OK_AND_ASSIGN(int64_t pruned,
                       PruneDeadLetters(*db_, clock_.Now() - absl::Hours(1),
                                        /*batch_size=*/2));

  EXPECT_EQ(pruned, 3);
  EXPECT_THAT(ListedIds(true), ElementsAre("paging-4", "paging-3"));
  // The newest id was pruned; the next one still comes after it.
  ASSERT_OK_AND_ASSIGN(DeadLetterRecord next, Add("ev-6"));
  EXPECT_EQ(next.id, "paging-6");
}

}  // namespace
}  // namespace tocsin::store
