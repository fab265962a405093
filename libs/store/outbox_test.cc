#include "libs/store/outbox.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/status/status_matchers.h"
#include "libs/store/database.h"
#include "libs/store/migrations.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

// Stands in for JetStream: stores each event_id once (Nats-Msg-Id
// de-duplication) and can be told to fail.
class RecordingBus : public bus::EventBus {
 public:
  absl::Status Publish(const bus::Envelope& envelope) override {
    absl::MutexLock lock(&mu_);
    if (succeed_before_failing_ > 0) {
      --succeed_before_failing_;
    } else if (fail_next_ > 0) {
      --fail_next_;
      return absl::UnavailableError("bus unreachable");
    }
    attempts_.push_back(envelope.event_id());
    if (seen_.insert(envelope.event_id()).second) stored_.push_back(envelope);
    if (lose_acks_) return absl::UnavailableError("no acknowledgement");
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(
      const bus::ConsumerOptions&, bus::Handler) override {
    return absl::UnimplementedError("RecordingBus only records publishes");
  }

  // After `after` more successful publishes, the next n fail.
  void FailNext(int n, int after = 0) {
    absl::MutexLock lock(&mu_);
    fail_next_ = n;
    succeed_before_failing_ = after;
  }
  // Stores messages but answers as if the acknowledgement never came, as
  // when the publisher dies right after the server stored the message.
  void LoseAcks(bool lose) {
    absl::MutexLock lock(&mu_);
    lose_acks_ = lose;
  }

  std::vector<std::string> StoredIds() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> ids;
    for (const bus::Envelope& e : stored_) ids.push_back(e.event_id());
    return ids;
  }
  std::vector<bus::Envelope> Stored() {
    absl::MutexLock lock(&mu_);
    return stored_;
  }
  std::vector<std::string> Attempts() {
    absl::MutexLock lock(&mu_);
    return attempts_;
  }
  bool WaitForStored(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stored_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  }

 private:
  absl::Mutex mu_;
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int succeed_before_failing_ ABSL_GUARDED_BY(mu_) = 0;
  bool lose_acks_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> attempts_ ABSL_GUARDED_BY(mu_);
  std::vector<bus::Envelope> stored_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

bus::Envelope Event(const std::string& id) {
  bus::Envelope envelope;
  envelope.set_event_id(id);
  envelope.set_type("incident.opened");
  envelope.set_source("incidents");
  envelope.set_incident_id("inc-" + id);
  return envelope;
}

// A relay driven by RunOnce() alone: its background pass would come only
// after an hour or a Notify().
OutboxRelayOptions Manual() {
  OutboxRelayOptions options;
  options.poll_interval = absl::Hours(1);
  return options;
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() +
            ".db";
    Reopen();
  }

  // Closes the database (if open) and opens the file again, as a restarted
  // process would.
  void Reopen() {
    db_.reset();
    DatabaseOptions options;
    options.path = path_;
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(options));
    ASSERT_OK(Migrate(*db_, OutboxMigrations(), clock_));
  }

  // Appends the events in one committed transaction.
  absl::Status Commit(const std::vector<std::string>& ids) {
    return db_->Transaction([&]() -> absl::Status {
      for (const std::string& id : ids) {
        RETURN_IF_ERROR(AppendToOutbox(*db_, Event(id), clock_.Now()));
      }
      return absl::OkStatus();
    });
  }

  // (event_id, published_at or nullopt) of every row, in seq order.
  std::vector<std::pair<std::string, absl::optional<absl::Time>>> Rows() {
    std::vector<std::pair<std::string, absl::optional<absl::Time>>> rows;
    EXPECT_OK(db_->Read([&]() -> absl::Status {
      ASSIGN_OR_RETURN(Statement select,
                       db_->Prepare("SELECT event_id, published_at FROM outbox "
                                    "ORDER BY seq"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, select.Step());
        if (!row) return absl::OkStatus();
        absl::optional<absl::Time> published;
        if (!select.ColumnIsNull(1)) published = select.ColumnTime(1);
        rows.emplace_back(select.ColumnText(0), published);
      }
    }));
    return rows;
  }

  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  RecordingBus bus_;
  std::string path_;
  std::unique_ptr<Database> db_;
};

using Row = std::pair<std::string, absl::optional<absl::Time>>;

TEST_F(OutboxTest, RelayPublishesCommittedRowsInOrderAndMarksThem) {
  OutboxRelayOptions options = Manual();
  options.batch_size = 2;
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, options));
  ASSERT_OK(Commit({"e1", "e2"}));
  ASSERT_OK(Commit({"e3"}));
  ASSERT_OK(Commit({"e4", "e5"}));
  ASSERT_OK_AND_ASSIGN(int64_t pending, relay->PendingCount());
  EXPECT_EQ(pending, 5);
  clock_.Advance(absl::Seconds(7));
  const absl::Time publish_time = clock_.Now();

  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "e3", "e4", "e5"));
  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3", "e4", "e5"));
  // The envelope arrives as appended.
  EXPECT_EQ(bus_.Stored()[2].incident_id(), "inc-e3");
  EXPECT_EQ(bus_.Stored()[2].type(), "incident.opened");
  EXPECT_THAT(Rows(),
              ElementsAre(Row("e1", publish_time), Row("e2", publish_time),
                          Row("e3", publish_time), Row("e4", publish_time),
                          Row("e5", publish_time)));
  ASSERT_OK_AND_ASSIGN(pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);

  // Nothing is published twice.
  ASSERT_OK(relay->RunOnce());
  EXPECT_EQ(bus_.Attempts().size(), 5u);
}

TEST_F(OutboxTest, RowsOfARolledBackTransactionNeverPublish) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(Commit({"before"}));
  absl::Status failed = db_->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(AppendToOutbox(*db_, Event("rolled-back"), clock_.Now()));
    return absl::AbortedError("state change conflicted");
  });
  ASSERT_THAT(failed,
              StatusIs(absl::StatusCode::kAborted, HasSubstr("conflicted")));
  ASSERT_OK(Commit({"after"}));

  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.Attempts(), ElementsAre("before", "after"));
  EXPECT_THAT(Rows(), ElementsAre(Row("before", clock_.Now()),
                                  Row("after", clock_.Now())));
}

TEST_F(OutboxTest, AppendOutsideATransactionIsRefused) {
  EXPECT_THAT(AppendToOutbox(*db_, Event("e1"), clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("outside Database::Transaction")));
  EXPECT_THAT(db_->Read([&] {
    return AppendToOutbox(*db_, Event("e1"), clock_.Now());
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("write inside Database::Read")));
  EXPECT_THAT(Rows(), ElementsAre());
}

TEST_F(OutboxTest, AppendRefusesIncompleteAndDuplicateEvents) {
  ASSERT_OK(Commit({"e1"}));
  bus::Envelope no_type = Event("e2");
  no_type.clear_type();

  EXPECT_THAT(db_->Transaction(
                  [&] { return AppendToOutbox(*db_, no_type, clock_.Now()); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type")));
  bus::Envelope bad_type = Event("e3");
  bad_type.set_type("Incident Opened!");
  EXPECT_THAT(db_->Transaction(
                  [&] { return AppendToOutbox(*db_, bad_type, clock_.Now()); }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Incident Opened!")));
  EXPECT_THAT(Commit({"e1"}),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("UNIQUE constraint failed: outbox.event_id")));
  EXPECT_THAT(Rows(), ElementsAre(Row("e1", absl::nullopt)));
}

TEST_F(OutboxTest, RowsStayPendingWhileTheBusFailsAndPublishAfterItRecovers) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(Commit({"e1", "e2", "e3", "e4", "e5"}));
  // e1 and e2 go through, then the bus fails twice.
  bus_.FailNext(2, /*after=*/2);

  EXPECT_THAT(relay->RunOnce(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("e3"), HasSubstr("bus unreachable"))));
  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2"));
  EXPECT_THAT(relay->RunOnce(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("e3")));
  ASSERT_OK_AND_ASSIGN(int64_t pending, relay->PendingCount());
  EXPECT_EQ(pending, 3);
  EXPECT_THAT(Rows(),
              ElementsAre(Row("e1", clock_.Now()), Row("e2", clock_.Now()),
                          Row("e3", absl::nullopt), Row("e4", absl::nullopt),
                          Row("e5", absl::nullopt)));

  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3", "e4", "e5"));
  ASSERT_OK_AND_ASSIGN(pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);
}

TEST_F(OutboxTest, BackgroundRelayPublishesAfterNotify) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(Commit({"e1"}));
  relay->Notify();
  ASSERT_TRUE(bus_.WaitForStored(1));
  ASSERT_OK(Commit({"e2", "e3"}));
  relay->Notify();
  ASSERT_TRUE(bus_.WaitForStored(3));

  relay->Stop();

  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3"));
  ASSERT_OK_AND_ASSIGN(int64_t pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);
}

TEST_F(OutboxTest, BackgroundRelayPollsWithoutNotify) {
  OutboxRelayOptions options;
  options.poll_interval = absl::Milliseconds(5);
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, options));
  ASSERT_OK(Commit({"e1", "e2"}));

  ASSERT_TRUE(bus_.WaitForStored(2));

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2"));
}

TEST_F(OutboxTest, BackgroundRelayBacksOffAndLosesNothing) {
  OutboxRelayOptions options = Manual();
  options.min_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(4);
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, options));
  bus_.FailNext(4, /*after=*/1);
  ASSERT_OK(Commit({"e1", "e2", "e3", "e4"}));
  relay->Notify();

  // Only the backoff retries publish e2..e4 (no further Notify, hourly poll).
  ASSERT_TRUE(bus_.WaitForStored(4));
  relay->Stop();

  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3", "e4"));
  ASSERT_OK_AND_ASSIGN(int64_t pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);
}

TEST_F(OutboxTest, CrashBetweenPublishAndMarkRepublishesTheSameEventId) {
  ASSERT_OK(Commit({"e1", "e2"}));
  {
    ASSERT_OK_AND_ASSIGN(
        auto relay, OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
    ASSERT_OK(relay->RunOnce());  // e1, e2 published and marked
    ASSERT_OK(Commit({"e3"}));
    // The server stores e3, but the process dies before marking it.
    bus_.LoseAcks(true);
    EXPECT_THAT(relay->RunOnce(),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("e3")));
  }
  bus_.LoseAcks(false);
  Reopen();
  EXPECT_THAT(Rows(),
              ElementsAre(Row("e1", clock_.Now()), Row("e2", clock_.Now()),
                          Row("e3", absl::nullopt)));

  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3", "e3"));
  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "e3"));
  ASSERT_OK_AND_ASSIGN(int64_t pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);
}

TEST_F(OutboxTest, PruneDeletesOnlyRowsPublishedBeforeTheCutoff) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
  const absl::Time t0 = clock_.Now();
  ASSERT_OK(Commit({"old"}));
  ASSERT_OK(relay->RunOnce());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(Commit({"recent"}));
  ASSERT_OK(relay->RunOnce());
  ASSERT_OK(Commit({"pending"}));

  ASSERT_OK(PruneOutbox(*db_, t0 + absl::Hours(1)));

  EXPECT_THAT(Rows(), ElementsAre(Row("recent", t0 + absl::Hours(2)),
                                  Row("pending", absl::nullopt)));
  // A pruned event_id is gone for good: the relay never sees it again.
  ASSERT_OK(relay->RunOnce());
  EXPECT_THAT(bus_.Attempts(), ElementsAre("old", "recent", "pending"));
}

TEST_F(OutboxTest, StartRefusesBadOptions) {
  OutboxRelayOptions options;
  options.batch_size = 0;
  EXPECT_THAT(
      OutboxRelay::Start(db_.get(), &bus_, &clock_, options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_size")));
  options = OutboxRelayOptions();
  options.max_backoff = absl::Milliseconds(1);
  EXPECT_THAT(
      OutboxRelay::Start(db_.get(), &bus_, &clock_, options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_backoff")));
  EXPECT_THAT(OutboxRelay::Start(db_.get(), nullptr, &clock_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bus")));
}

}  // namespace
}  // namespace tocsin::store
