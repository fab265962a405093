// The on-call tables of the escalation store: rotations, overrides (gone
// with their rotation), calendar feeds, and engagement trees.
#include "services/escalation/sqlite_store.h"

#include <memory>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "libs/clock/clock.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::tocsin::testing::StatusIs;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, SqliteEscalationStore::Open(
                                     testing::MakeTempDir("esc") + "/e.db", &clock_));
  }
  absl::Status Write(const std::function<absl::Status(EscalationStore::Tx&)>& body) {
    return store_->Write(body);
  }

  FakeClock clock_;
  std::unique_ptr<SqliteEscalationStore> store_;
};

Rotation MakeRotation(const std::string& name) {
  Rotation r;
  r.set_name(name);
  r.add_contacts("alice");
  r.set_time_zone_id("Asia/Tokyo");
  r.set_version(1);
  return r;
}

RotationOverride MakeOverride(const std::string& rotation, const std::string& name,
                              int64_t start) {
  RotationOverride o;
  o.set_rotation(rotation);
  o.set_name(name);
  o.add_contacts("bob");
  *o.mutable_start() = ToProtoTime(absl::FromUnixSeconds(start));
  *o.mutable_end() = ToProtoTime(absl::FromUnixSeconds(start + 3600));
  return o;
}

TEST_F(SqliteStoreTest, RotationsAndTheirOverrides) {
  ASSERT_OK(Write([](EscalationStore::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.InsertRotation(MakeRotation("tokyo")));
    RETURN_IF_ERROR(tx.InsertRotation(MakeRotation("london")));
    RETURN_IF_ERROR(tx.InsertOverride(MakeOverride("tokyo", "late", 2000)));
    return tx.InsertOverride(MakeOverride("tokyo", "early", 1000));
  }));
  EXPECT_THAT(Write([](EscalationStore::Tx& tx) {
                return tx.InsertOverride(MakeOverride("tokyo", "early", 5000));
              }),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  ASSERT_OK(store_->Read([](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto rotations, tx.ListRotations());
    EXPECT_EQ(rotations.size(), 2u);
    EXPECT_EQ(rotations[0].name(), "london");
    ASSIGN_OR_RETURN(auto overrides, tx.ListOverrides("tokyo"));
    std::vector<std::string> names;
    for (const auto& o : overrides) names.push_back(o.name());
    EXPECT_THAT(names, ElementsAre("early", "late"));
    return absl::OkStatus();
  }));
  // Compare-and-set, then delete with its overrides.
  ASSERT_OK(Write([](EscalationStore::Tx& tx) -> absl::Status {
    Rotation changed = MakeRotation("tokyo");
    changed.set_version(2);
    ASSIGN_OR_RETURN(bool stale, tx.UpdateRotation(changed, 5));
    EXPECT_FALSE(stale);
    ASSIGN_OR_RETURN(bool written, tx.UpdateRotation(changed, 1));
    EXPECT_TRUE(written);
    ASSIGN_OR_RETURN(bool deleted, tx.DeleteRotation("tokyo"));
    EXPECT_TRUE(deleted);
    ASSIGN_OR_RETURN(auto overrides, tx.ListOverrides("tokyo"));
    EXPECT_THAT(overrides, IsEmpty());
    ASSIGN_OR_RETURN(auto gone, tx.GetRotation("tokyo"));
    EXPECT_FALSE(gone.has_value());
    return absl::OkStatus();
  }));
}

TEST_F(SqliteStoreTest, CalendarFeedsAreFoundByTheirTokensHash) {
  ASSERT_OK(Write([&](EscalationStore::Tx& tx) {
    return tx.InsertCalendarFeed("abc123", {"tokyo", "", clock_.Now()});
  }));
  ASSERT_OK(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto feed, tx.GetCalendarFeed("abc123"));
    EXPECT_TRUE(feed.has_value());
    if (feed.has_value()) EXPECT_EQ(feed->rotation, "tokyo");
    ASSIGN_OR_RETURN(auto none, tx.GetCalendarFeed("abc124"));
    EXPECT_FALSE(none.has_value());
    return absl::OkStatus();
  }));
}

TEST_F(SqliteStoreTest, EngagementTrees) {
  auto make = [](const std::string& id, const std::string& parent, const std::string& root) {
    Engagement e;
    e.set_id(id);
    e.set_incident_id("inc-1");
    e.set_parent_id(parent);
    e.set_root_id(root);
    e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
    return e;
  };
  ASSERT_OK(Write([&](EscalationStore::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.InsertEngagement(make("eng-root", "", "")));
    RETURN_IF_ERROR(tx.InsertEngagement(make("eng-a", "eng-root", "eng-root")));
    RETURN_IF_ERROR(tx.InsertEngagement(make("eng-b", "eng-root", "eng-root")));
    RETURN_IF_ERROR(tx.InsertEngagement(make("eng-a1", "eng-a", "eng-root")));
    return tx.InsertEngagement(make("eng-other", "", ""));
  }));
  ASSERT_OK(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    auto ids = [](const std::vector<Engagement>& es) {
      std::vector<std::string> out;
      for (const auto& e : es) out.push_back(e.id());
      return out;
    };
    ASSIGN_OR_RETURN(auto children, tx.ListChildEngagements("eng-root"));
    EXPECT_THAT(ids(children), ElementsAre("eng-a", "eng-b"));
    ASSIGN_OR_RETURN(auto tree, tx.ListEngagementTree("eng-root"));
    EXPECT_THAT(ids(tree), ElementsAre("eng-root", "eng-a", "eng-b", "eng-a1"));
    ASSIGN_OR_RETURN(auto alone, tx.ListEngagementTree("eng-other"));
    EXPECT_THAT(ids(alone), ElementsAre("eng-other"));
    return absl::OkStatus();
  }));
}

Engagement MakeEngagement(const std::string& id, v1::EngagementState state,
                          std::optional<int64_t> next_due, const std::string& parent = "") {
  Engagement e;
  e.set_id(id);
  e.set_incident_id("inc-1");
  e.set_state(state);
  e.set_version(1);
  e.set_parent_id(parent);
  if (next_due.has_value()) *e.mutable_next_due() = ToProtoTime(absl::FromUnixSeconds(*next_due));
  return e;
}

TEST_F(SqliteStoreTest, DueTimersAreStagesOfActiveAndTimeoutsOfAcknowledgedEngagements) {
  ASSERT_OK(Write([](EscalationStore::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.InsertEngagement(MakeEngagement("a", v1::ENGAGEMENT_STATE_ACTIVE, 200)));
    RETURN_IF_ERROR(
        tx.InsertEngagement(MakeEngagement("b", v1::ENGAGEMENT_STATE_ACKNOWLEDGED, 100)));
    RETURN_IF_ERROR(tx.InsertEngagement(MakeEngagement("c", v1::ENGAGEMENT_STATE_STOPPED, 50)));
    return tx.InsertEngagement(MakeEngagement("d", v1::ENGAGEMENT_STATE_ACTIVE, 900));
  }));
  ASSERT_OK(store_->Read([](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto due, tx.DueEngagements(absl::FromUnixSeconds(300), 10));
    EXPECT_THAT(due, ElementsAre("b", "a"));
    return absl::OkStatus();
  }));
}

TEST_F(SqliteStoreTest, StalledAreActiveWithoutATimerOrAnActiveChild) {
  ASSERT_OK(Write([](EscalationStore::Tx& tx) -> absl::Status {
    // A schedule waiting for its member: not stalled.
    RETURN_IF_ERROR(tx.InsertEngagement(MakeEngagement("s", v1::ENGAGEMENT_STATE_ACTIVE, {})));
    RETURN_IF_ERROR(
        tx.InsertEngagement(MakeEngagement("m", v1::ENGAGEMENT_STATE_ACTIVE, 100, "s")));
    // Its member ended and it was left behind: stalled.
    RETURN_IF_ERROR(tx.InsertEngagement(MakeEngagement("t", v1::ENGAGEMENT_STATE_ACTIVE, {})));
    RETURN_IF_ERROR(
        tx.InsertEngagement(MakeEngagement("n", v1::ENGAGEMENT_STATE_EXHAUSTED, {}, "t")));
    // Ended, or timed: not stalled.
    RETURN_IF_ERROR(tx.InsertEngagement(MakeEngagement("x", v1::ENGAGEMENT_STATE_STOPPED, {})));
    return tx.InsertEngagement(MakeEngagement("y", v1::ENGAGEMENT_STATE_ACTIVE, 100));
  }));
  ASSERT_OK(store_->Read([](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto stalled, tx.StalledEngagements(10));
    EXPECT_THAT(stalled, ElementsAre("t"));
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace tocsin::escalation
