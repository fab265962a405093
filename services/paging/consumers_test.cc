#include "services/paging/consumers.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/bus/fake_event_bus.h"
#include "libs/events/types.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"

namespace tocsin::paging {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::tocsin::testing::StatusIs;

// Long enough that only a Wake() makes a ticker tick during a test.
constexpr absl::Duration kNever = absl::Hours(1);
constexpr absl::Duration kWait = absl::Seconds(10);

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

// Accepts every page and remembers which.
class RecordingNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page& page, const std::string&) override {
    absl::MutexLock l(&mu_);
    delivered_.push_back(page.id());
    return absl::OkStatus();
  }
  std::vector<std::string> delivered() {
    absl::MutexLock l(&mu_);
    return delivered_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> delivered_ ABSL_GUARDED_BY(mu_);
};

class ConsumersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    core_ = std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_, &notifier_,
                                         PagingOptions{});
  }

  Page StoredPage(const std::string& id) {
    absl::StatusOr<Page> page = core_->GetPage(id);
    EXPECT_OK(page.status());
    return page.value_or(Page());
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  RecordingNotifier notifier_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<PagingCore> core_;
};

TEST_F(ConsumersTest, NotReadyUntilSubscribed) {
  DownBus down;
  service::Ticker deliveries(kNever, [] {});
  service::ConsumerSet consumers(&down);
  AddConsumers(consumers, core_.get(), &deliveries);
  consumers.Tick();
  EXPECT_THAT(consumers.Ready(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("paging-pages ("), HasSubstr("paging-incidents ("))));
}

TEST_F(ConsumersTest, ARequestedPageIsDeliveredAtOnceNotAtTheNextTick) {
  bus::FakeEventBus bus;
  service::Ticker deliveries(kNever, [this] { (void)core_->DispatchDueDeliveries(); });
  service::ConsumerSet consumers(&bus);
  AddConsumers(consumers, core_.get(), &deliveries);
  consumers.Tick();
  ASSERT_OK(consumers.Ready());

  ASSERT_OK(bus.Publish(PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  bus.DeliverPending();

  ASSERT_OK(tocsin::testing::WaitFor([&] { return !notifier_.delivered().empty(); }, kWait));
  EXPECT_THAT(notifier_.delivered(), ElementsAre("pg-1"));
  EXPECT_THAT(bus.DeadLetters(), IsEmpty());
}

TEST_F(ConsumersTest, AResolvedIncidentCancelsItsWaitingPages) {
  bus::FakeEventBus bus;
  std::atomic<int> ticks{0};
  service::Ticker deliveries(kNever, [&] { ++ticks; });  // delivers nothing
  service::ConsumerSet consumers(&bus);
  AddConsumers(consumers, core_.get(), &deliveries);
  consumers.Tick();
  ASSERT_OK(bus.Publish(PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  bus.DeliverPending();
  ASSERT_EQ(StoredPage("pg-1").state(), v1::PAGE_STATE_PENDING);
  ASSERT_OK(tocsin::testing::WaitFor([&] { return ticks >= 1; }, kWait))
      << "an accepted page wakes the deliveries";

  incidents::v1::IncidentResolved resolved;
  resolved.mutable_incident()->set_id("inc-1");
  bus::Envelope e;
  e.set_event_id("evt-resolved");
  e.set_type(events::kIncidentResolved.name);
  e.set_source("incidents");
  e.set_incident_id("inc-1");
  e.mutable_payload()->PackFrom(resolved);
  ASSERT_OK(bus.Publish(e));
  bus.DeliverPending();

  EXPECT_EQ(StoredPage("pg-1").state(), v1::PAGE_STATE_CANCELLED);
  EXPECT_THAT(bus.DeadLetters(), IsEmpty());
}

TEST_F(ConsumersTest, APageRequestThatNeverAppliesIsDeadLetteredAfterTenDeliveries) {
  bus::FakeEventBus bus;
  service::Ticker deliveries(kNever, [] {});
  service::ConsumerSet consumers(&bus);
  AddConsumers(consumers, core_.get(), &deliveries);
  consumers.Tick();
  bus::Envelope bad = PageRequestedEvent("evt-bad", "pg-1", EmailChannel("a@example.com"));
  bad.mutable_payload()->PackFrom(v1::PageSent());
  ASSERT_OK(bus.Publish(bad));
  bus.DeliverPending();

  auto dead = bus.DeadLetters();
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_EQ(dead[0].consumer, "paging-pages");
  EXPECT_EQ(dead[0].attempts, 10);
  EXPECT_THAT(dead[0].error, AllOf(HasSubstr("evt-bad"), HasSubstr("PageRequested")));
  ASSERT_OK_AND_ASSIGN(std::vector<Page> pages, core_->ListPages("inc-1"));
  EXPECT_THAT(pages, IsEmpty());
}

}  // namespace
}  // namespace tocsin::paging
