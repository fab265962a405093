#include "libs/store/outbox.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
#include "libs/testing/ports.h"
#include "libs/store/database.h"
#include "libs/store/dead_letters.h"
#include "libs/store/migrations.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
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

// Stands in for JetStream: stores each event_id once (Nats-Msg-Id
// de-duplication) and can be told to fail.
class RecordingBus : public bus::EventBus {
 public:
  absl::Status Publish(const bus::Envelope& envelope) override {
    absl::MutexLock lock(&mu_);
    if (auto it = refused_.find(envelope.event_id()); it != refused_.end()) {
      return it->second;
    }
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
  // Publish answers status for event_id (until Accept(event_id)), as
  // JetStream does for a message over its max payload.
  void Refuse(const std::string& event_id, absl::Status status) {
    absl::MutexLock lock(&mu_);
    refused_[event_id] = std::move(status);
  }
  void Accept(const std::string& event_id) {
    absl::MutexLock lock(&mu_);
    refused_.erase(event_id);
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
  absl::flat_hash_map<std::string, absl::Status> refused_ ABSL_GUARDED_BY(mu_);
};

bus::Envelope Event(const std::string& id) {
  bus::Envelope envelope;
  envelope.set_event_id(id);
  envelope.set_type("incident.opened");
  envelope.set_source("incidents");
  envelope.set_incident_id("inc-" + id);
  return envelope;
}

OutboxRelayOptions Defaults() {
  OutboxRelayOptions options;
  options.dead_letter_prefix = "test";
  return options;
}

// A relay driven by RunOnce() and commits: its background pass would come
// only after an hour otherwise.
OutboxRelayOptions Manual() {
  OutboxRelayOptions options = Defaults();
  options.poll_interval = absl::Hours(1);
  return options;
}

// What JetStream answers for a message over the server's max payload.
absl::Status TooLarge() {
  return absl::InvalidArgumentError("nats: maximum payload exceeded");
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
    relay_db_.reset();
    db_.reset();
    DatabaseOptions options;
    options.path = path_;
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(options));
    std::vector<Migration> migrations = OutboxMigrations();
    for (const Migration& m : DeadLetterMigrations()) migrations.push_back(m);
    ASSERT_OK(Migrate(*db_, migrations, clock_));
    ASSERT_OK_AND_ASSIGN(relay_db_, Database::Open(options));
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

  std::vector<DeadLetterRecord> DeadLetters() {
    auto listed = ListDeadLetters(*db_, /*include_replayed=*/true, 100);
    EXPECT_OK(listed.status());
    return listed.ok() ? *listed : std::vector<DeadLetterRecord>();
  }

  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  RecordingBus bus_;
  std::string path_;
  // The service's connection, where Commit() appends.
  std::unique_ptr<Database> db_;
  // A second connection to the same file (as another process would have).
  // A relay started on it is not woken by Commit()'s commits, only by
  // RunOnce(), Notify() and its poll, so tests decide when it publishes.
  std::unique_ptr<Database> relay_db_;
};

using Row = std::pair<std::string, absl::optional<absl::Time>>;

struct CountingCommits : DatabaseObserver {
  void OnCommit(absl::Duration, int) override { ++count; }
  int count = 0;
};

TEST_F(OutboxTest, RelayPublishesCommittedRowsInOrderAndMarksThem) {
  OutboxRelayOptions options = Manual();
  options.batch_size = 2;
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options));
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
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
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
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
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

  // Transient failures never set anything aside.
  EXPECT_THAT(DeadLetters(), IsEmpty());

  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3", "e4", "e5"));
  ASSERT_OK_AND_ASSIGN(pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);
}

TEST_F(OutboxTest, BackgroundRelayPublishesAfterNotify) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
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
  OutboxRelayOptions options = Defaults();
  options.poll_interval = absl::Milliseconds(5);
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options));
  ASSERT_OK(Commit({"e1", "e2"}));

  ASSERT_TRUE(bus_.WaitForStored(2));

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2"));
}

TEST_F(OutboxTest, BackgroundRelayBacksOffAndLosesNothing) {
  OutboxRelayOptions options = Manual();
  options.min_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(4);
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options));
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
        auto relay, OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
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
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.Attempts(), ElementsAre("e1", "e2", "e3", "e3"));
  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "e3"));
  ASSERT_OK_AND_ASSIGN(int64_t pending, relay->PendingCount());
  EXPECT_EQ(pending, 0);
}

TEST_F(OutboxTest, PruneDeletesOnlyRowsPublishedBeforeTheCutoff) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
  const absl::Time t0 = clock_.Now();
  ASSERT_OK(Commit({"old"}));
  ASSERT_OK(relay->RunOnce());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(Commit({"recent"}));
  ASSERT_OK(relay->RunOnce());
  ASSERT_OK(Commit({"pending"}));

  EXPECT_THAT(PruneOutbox(*db_, t0 + absl::Hours(1)), IsOkAndHolds(1));

  EXPECT_THAT(Rows(), ElementsAre(Row("recent", t0 + absl::Hours(2)),
                                  Row("pending", absl::nullopt)));
  // A pruned event_id is gone for good: the relay never sees it again.
  ASSERT_OK(relay->RunOnce());
  EXPECT_THAT(bus_.Attempts(), ElementsAre("old", "recent", "pending"));
}

TEST_F(OutboxTest, CommittedAppendWakesTheRelayWithoutNotify) {
  // On the service's own connection, with an hourly poll.
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));

  ASSERT_OK(Commit({"e1"}));
  ASSERT_TRUE(bus_.WaitForStored(1));
  ASSERT_OK(Commit({"e2", "e3"}));
  ASSERT_TRUE(bus_.WaitForStored(3));

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "e3"));
}

TEST_F(OutboxTest, OnlyACommittedAppendSignalsTheOutboxTopic) {
  int signals = 0;
  db_->AddCommitListener(kOutboxTopic, [&] { ++signals; });

  EXPECT_THAT(db_->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(AppendToOutbox(*db_, Event("rolled-back"), clock_.Now()));
    return absl::AbortedError("state change conflicted");
  }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("conflicted")));
  EXPECT_EQ(signals, 0);
  ASSERT_OK(Commit({"e1"}));
  EXPECT_EQ(signals, 1);
  // A refused append signals nothing either.
  EXPECT_THAT(Commit({"e1"}), StatusIs(absl::StatusCode::kAlreadyExists,
                                       HasSubstr("UNIQUE")));
  EXPECT_EQ(signals, 1);
}

TEST_F(OutboxTest, EventTheBusRefusesForGoodIsSetAsideAndLaterOnesPublish) {
  OutboxRelayOptions options = Manual();
  // The hook appends a notice in the set-aside's transaction.
  std::vector<std::string> hooked;
  options.on_dead_letter = [&](Database& db, const DeadLetterRecord& dead) {
    hooked.push_back(dead.id);
    bus::Envelope notice = Event("notice-" + dead.id);
    notice.set_type("system.dead_lettered");
    notice.set_incident_id(dead.incident_id);
    return AppendToOutbox(db, notice, clock_.Now());
  };
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options));
  bus_.Refuse("big", TooLarge());
  ASSERT_OK(Commit({"e1", "big", "e2"}));
  ASSERT_OK(Commit({"e3"}));
  clock_.Advance(absl::Seconds(3));

  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "e3", "notice-test-1"));
  EXPECT_THAT(hooked, ElementsAre("test-1"));
  std::vector<DeadLetterRecord> dead = DeadLetters();
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_EQ(dead[0].id, "test-1");
  EXPECT_EQ(dead[0].source, "outbox");
  EXPECT_EQ(dead[0].event_id, "big");
  EXPECT_EQ(dead[0].type, "incident.opened");
  EXPECT_EQ(dead[0].incident_id, "inc-big");
  EXPECT_EQ(dead[0].subject, "tocsin.incident.opened");
  EXPECT_THAT(dead[0].error, AllOf(HasSubstr("INVALID_ARGUMENT"),
                                   HasSubstr("maximum payload exceeded")));
  EXPECT_EQ(dead[0].attempts, 1);
  EXPECT_EQ(dead[0].create_time, clock_.Now());
  EXPECT_FALSE(dead[0].replay_time.has_value());
  bus::Envelope kept;
  ASSERT_TRUE(kept.ParseFromString(dead[0].data));
  EXPECT_EQ(kept.event_id(), "big");
  // The row left the outbox; nothing is pending.
  EXPECT_THAT(Rows(), ElementsAre(Row("e1", clock_.Now()), Row("e2", clock_.Now()),
                                  Row("e3", clock_.Now()),
                                  Row("notice-test-1", clock_.Now())));
  ASSERT_OK_AND_ASSIGN(OutboxStats stats, relay->Stats());
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.published_total, 4);
  EXPECT_EQ(stats.dead_lettered_total, 1);
  EXPECT_EQ(stats.publish_failures_total, 1);
  EXPECT_THAT(CountDeadLetters(*db_), IsOkAndHolds(1));
}

TEST_F(OutboxTest, SetAsideAndItsHookCommitTogetherOrNotAtAll) {
  OutboxRelayOptions options = Manual();
  absl::Status hook_result = absl::UnavailableError("timeline is busy");
  options.on_dead_letter = [&](Database& db, const DeadLetterRecord& dead) {
    RETURN_IF_ERROR(AppendToOutbox(db, Event("notice-" + dead.id), clock_.Now()));
    return hook_result;
  };
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options));
  bus_.Refuse("big", TooLarge());
  ASSERT_OK(Commit({"e1", "big", "e2"}));

  // The hook fails: its notice, the dead letter and the removal are undone,
  // and the row stays where it was, ahead of e2.
  EXPECT_THAT(relay->RunOnce(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("cannot set aside outbox event big"),
                             HasSubstr("timeline is busy"))));
  EXPECT_THAT(DeadLetters(), IsEmpty());
  EXPECT_THAT(Rows(), ElementsAre(Row("e1", clock_.Now()), Row("big", absl::nullopt),
                                  Row("e2", absl::nullopt)));
  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1"));

  hook_result = absl::OkStatus();
  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "notice-test-1"));
  std::vector<DeadLetterRecord> dead = DeadLetters();
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_EQ(dead[0].event_id, "big");
  EXPECT_EQ(dead[0].attempts, 2);  // refused twice
}

TEST_F(OutboxTest, RowThatDoesNotParseIsSetAside) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(Commit({"e1"}));
  ASSERT_OK(db_->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement insert,
                     db_->Prepare("INSERT INTO outbox(event_id, type, envelope, "
                                  "created_at) VALUES(?, ?, ?, ?)"));
    RETURN_IF_ERROR(insert.BindAll("garbled", "incident.opened",
                                   Blob{"\xff\xff\xff not a proto"}, clock_.Now()));
    return insert.Run().status();
  }));
  ASSERT_OK(Commit({"e2"}));

  ASSERT_OK(relay->RunOnce());

  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2"));
  std::vector<DeadLetterRecord> dead = DeadLetters();
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_EQ(dead[0].event_id, "garbled");
  EXPECT_EQ(dead[0].type, "incident.opened");
  EXPECT_THAT(dead[0].error, AllOf(HasSubstr("DATA_LOSS"),
                                   HasSubstr("does not hold a valid envelope")));
  EXPECT_EQ(dead[0].data, "\xff\xff\xff not a proto");
  // Replaying bytes that are not an envelope cannot succeed.
  EXPECT_THAT(ReplayOutboxDeadLetter(*db_, dead[0].id, clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("does not hold a valid envelope")));
}

TEST_F(OutboxTest, ReplayPutsTheEventBackAtTheEndAndTheRelayPublishesIt) {
  // The service's own connection: the replay's commit wakes the relay.
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(db_.get(), &bus_, &clock_, Manual()));
  bus_.Refuse("big", TooLarge());
  ASSERT_OK(Commit({"e1", "big", "e2"}));
  ASSERT_TRUE(bus_.WaitForStored(2));
  ASSERT_OK(tocsin::testing::WaitFor(
      [&] { return CountDeadLetters(*db_).value_or(0) == 1; }, absl::Seconds(30)));
  relay->Stop();  // from here on, RunOnce alone publishes
  ASSERT_OK(Commit({"e3"}));
  // The server's limit was raised.
  bus_.Accept("big");
  clock_.Advance(absl::Minutes(5));

  ASSERT_OK(ReplayOutboxDeadLetter(*db_, "test-1", clock_.Now()));

  // Pending again, after e3.
  std::vector<Row> rows = Rows();
  ASSERT_THAT(rows, SizeIs(4));
  EXPECT_EQ(rows[2], Row("e3", absl::nullopt));
  EXPECT_EQ(rows[3], Row("big", absl::nullopt));
  ASSERT_OK(relay->RunOnce());
  EXPECT_THAT(bus_.StoredIds(), ElementsAre("e1", "e2", "e3", "big"));
  ASSERT_OK_AND_ASSIGN(DeadLetterRecord replayed, GetDeadLetter(*db_, "test-1"));
  EXPECT_EQ(replayed.replay_time, clock_.Now());
  EXPECT_THAT(CountDeadLetters(*db_), IsOkAndHolds(0));
  EXPECT_THAT(ReplayOutboxDeadLetter(*db_, "test-1", clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("replayed already")));
  EXPECT_THAT(ReplayOutboxDeadLetter(*db_, "test-99", clock_.Now()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("test-99")));
}

TEST_F(OutboxTest, ReplayRefusesADeadLetterFromAConsumer) {
  ASSERT_OK(db_->Transaction([&]() -> absl::Status {
    DeadLetterRecord record;
    record.source = "consumer:paging-pages";
    record.data = Event("e1").SerializeAsString();
    return AddDeadLetter(*db_, "test", record, clock_.Now()).status();
  }));

  EXPECT_THAT(ReplayOutboxDeadLetter(*db_, "test-1", clock_.Now()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("consumer:paging-pages")));
  EXPECT_THAT(Rows(), IsEmpty());
}

TEST_F(OutboxTest, HealthyReportsARelayStuckOnTheOldestPendingRow) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
  bus_.FailNext(1);
  ASSERT_OK(Commit({"e1", "e2"}));
  EXPECT_THAT(relay->RunOnce(), StatusIs(absl::StatusCode::kUnavailable,
                                         HasSubstr("bus unreachable")));
  EXPECT_OK(relay->Healthy(absl::Minutes(5)));

  clock_.Advance(absl::Minutes(5) + absl::Seconds(3));

  EXPECT_THAT(relay->Healthy(absl::Minutes(5)),
              StatusIs(absl::StatusCode::kUnavailable,
                       "outbox relay stuck: 2 events pending, the oldest for "
                       "5m3s (last error: UNAVAILABLE: publishing outbox "
                       "event e1: bus unreachable)"));
  ASSERT_OK_AND_ASSIGN(OutboxStats stats, relay->Stats());
  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(stats.oldest_pending_age, absl::Minutes(5) + absl::Seconds(3));
  EXPECT_EQ(stats.publish_failures_total, 1);
  EXPECT_EQ(stats.published_total, 0);

  // The bus is back: healthy again.
  ASSERT_OK(relay->RunOnce());
  EXPECT_OK(relay->Healthy(absl::Minutes(5)));
  ASSERT_OK_AND_ASSIGN(stats, relay->Stats());
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.oldest_pending_age, absl::ZeroDuration());
  EXPECT_EQ(stats.published_total, 2);
}

TEST_F(OutboxTest, PruneRemovesPublishedRowsInBatches) {
  ASSERT_OK_AND_ASSIGN(auto relay,
                       OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, Manual()));
  ASSERT_OK(Commit({"o1", "o2", "o3", "o4", "o5"}));
  ASSERT_OK(relay->RunOnce());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(Commit({"recent"}));
  ASSERT_OK(relay->RunOnce());
  ASSERT_OK(Commit({"pending"}));
  CountingCommits commits;
  db_->SetObserver(&commits);

  ASSERT_OK_AND_ASSIGN(int64_t pruned,
                       PruneOutbox(*db_, clock_.Now() - absl::Hours(1),
                                   /*batch_size=*/2));

  EXPECT_EQ(pruned, 5);
  EXPECT_EQ(commits.count, 3);  // 2 + 2 + 1
  EXPECT_THAT(Rows(), ElementsAre(Row("recent", clock_.Now()),
                                  Row("pending", absl::nullopt)));
  db_->SetObserver(nullptr);
}

TEST_F(OutboxTest, StartRefusesBadOptions) {
  OutboxRelayOptions options = Defaults();
  options.batch_size = 0;
  EXPECT_THAT(
      OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_size")));
  options = Defaults();
  options.max_backoff = absl::Milliseconds(1);
  EXPECT_THAT(
      OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_backoff")));
  EXPECT_THAT(OutboxRelay::Start(relay_db_.get(), &bus_, &clock_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dead_letter_prefix")));
  EXPECT_THAT(OutboxRelay::Start(relay_db_.get(), nullptr, &clock_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bus")));
}

}  // namespace
}  // namespace tocsin::store
