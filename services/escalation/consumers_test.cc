#include "services/escalation/consumers.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "libs/bus/fake_event_bus.h"
#include "libs/events/types.h"
#include "libs/status/status_matchers.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::tocsin::testing::StatusIs;

// A bus that is down: every call fails as LazyJetStreamBus does before NATS is up.
class DownBus final : public bus::EventBus {
 public:
  absl::Status Publish(const bus::Envelope&) override {
    return absl::UnavailableError("bus not connected");
  }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(const bus::ConsumerOptions&,
                                                               bus::Handler) override {
    return absl::UnavailableError("bus not connected");
  }
};

class ConsumersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteEscalationStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    core_ = std::make_unique<EscalationCore>(store_.get(), &clock_, &ids_, EscalationOptions{});
    Contact alice;
    alice.set_name("alice");
    auto* ch = alice.add_channels();
    ch->set_name("email");
    ch->mutable_email()->set_address("alice@example.com");
    ch = alice.add_channels();
    ch->set_name("hook");
    ch->mutable_webhook()->set_url("http://127.0.0.1:9/hook");
    ch->mutable_delay()->set_seconds(60);
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertContact(alice); }));
  }

  template <typename T>
  bus::Envelope Event(const std::string& id, const events::EventType<T>& type, const T& payload) {
    bus::Envelope e;
    e.set_event_id(id);
    e.set_type(type.name);
    e.set_incident_id("inc-1");
    e.mutable_payload()->PackFrom(payload);
    return e;
  }

  bus::Envelope Opened(const std::string& id) {
    incidents::v1::IncidentOpened opened;
    opened.mutable_incident()->set_id("inc-1");
    opened.mutable_incident()->set_title("Disk full");
    opened.mutable_incident()->add_engagements("alice");
    return Event(id, events::kIncidentOpened, opened);
  }

  std::vector<v1::Engagement> Engagements() {
    v1::ListEngagementsRequest r;
    r.set_incident_id("inc-1");
    auto resp = core_->ListEngagements(r);
    EXPECT_OK(resp);
    return {resp->engagements().begin(), resp->engagements().end()};
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::unique_ptr<SqliteEscalationStore> store_;
  std::unique_ptr<EscalationCore> core_;
};

TEST_F(ConsumersTest, NotReadyUntilSubscribed) {
  DownBus down;
  service::ConsumerSet consumers(&down);
  AddConsumers(consumers, core_.get());
  consumers.Tick();
  EXPECT_THAT(consumers.Ready(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("escalation-incidents ("), HasSubstr("escalation-pages ("))));
}

TEST_F(ConsumersTest, IncidentAndPageEventsReachTheCore) {
  bus::FakeEventBus bus;
  service::ConsumerSet consumers(&bus);
  AddConsumers(consumers, core_.get());
  consumers.Tick();
  consumers.Tick();  // a second call subscribes nothing twice
  ASSERT_OK(consumers.Ready());

  ASSERT_OK(bus.Publish(Opened("e1")));
  bus.DeliverPending();
  auto engagements = Engagements();
  ASSERT_THAT(engagements, SizeIs(1));
  EXPECT_EQ(engagements[0].state(), v1::ENGAGEMENT_STATE_ACTIVE);

  paging::v1::PageAcknowledged ack;
  ack.mutable_page()->set_id("pg-x");
  ack.mutable_page()->set_engagement_id(engagements[0].id());
  ASSERT_OK(bus.Publish(Event("a1", events::kPageAcknowledged, ack)));
  bus.DeliverPending();
  EXPECT_EQ(Engagements()[0].state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Engagements()[0].stop_reason(), "acknowledged (page pg-x)");
  EXPECT_THAT(bus.DeadLetters(), ::testing::IsEmpty());
}

TEST(ConsumerOptionsTest, FailuresHaveADurableOfTheirOwn) {
  EXPECT_THAT(PageConsumerOptions().types, ::testing::ElementsAre(events::kPageAcknowledged.name));
  EXPECT_EQ(PageFailureConsumerOptions().durable_name, "escalation-page-failures");
  EXPECT_THAT(PageFailureConsumerOptions().types, ::testing::ElementsAre(events::kPageFailed.name));
}

TEST_F(ConsumersTest, AnEventThatNeverAppliesIsDeadLetteredAfterTenDeliveries) {
  bus::FakeEventBus bus;
  service::ConsumerSet consumers(&bus);
  AddConsumers(consumers, core_.get());
  consumers.Tick();
  bus::Envelope bad = Opened("e-bad");
  bad.mutable_payload()->PackFrom(v1::Contact());
  ASSERT_OK(bus.Publish(bad));
  bus.DeliverPending();
  auto dead = bus.DeadLetters();
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_EQ(dead[0].consumer, "escalation-incidents");
  EXPECT_EQ(dead[0].attempts, 10);
  EXPECT_THAT(dead[0].error, HasSubstr("IncidentOpened"));
  EXPECT_THAT(Engagements(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace tocsin::escalation
