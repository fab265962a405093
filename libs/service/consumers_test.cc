#include "libs/service/consumers.h"

#include "gmock/gmock.h"
#include "libs/bus/fake_event_bus.h"
#include "libs/status/status_matchers.h"

namespace tocsin::service {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

// Refuses subscriptions until told otherwise.
class FlakyBus : public bus::EventBus {
 public:
  absl::Status Publish(const bus::Envelope& e) override { return inner.Publish(e); }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(
      const bus::ConsumerOptions& options, bus::Handler handler) override {
    if (down) return absl::UnavailableError("bus down");
    return inner.Subscribe(options, std::move(handler));
  }
  bool down = true;
  bus::FakeEventBus inner;
};

TEST(ConsumerSet, SubscribesOnceTheBusIsUpAndDeliversAfterwards) {
  FlakyBus bus;
  ConsumerSet consumers(&bus);
  int received = 0;
  consumers.Add({.durable_name = "test-incidents", .types = {"incident.opened"}},
                [&](const bus::Envelope&) {
                  ++received;
                  return absl::OkStatus();
                });
  consumers.Tick();
  EXPECT_THAT(consumers.Ready(), StatusIs(absl::StatusCode::kUnavailable,
                                          HasSubstr("test-incidents (bus down)")));
  bus.down = false;
  consumers.Tick();
  EXPECT_OK(consumers.Ready());
  bus::Envelope e;
  e.set_event_id("e1");
  e.set_type("incident.opened");
  ASSERT_OK(bus.Publish(e));
  bus.inner.DeliverPending();
  EXPECT_EQ(received, 1);
  consumers.Tick();  // already subscribed: no second subscription
  ASSERT_OK(bus.Publish([] {
    bus::Envelope e2;
    e2.set_event_id("e2");
    e2.set_type("incident.opened");
    return e2;
  }()));
  bus.inner.DeliverPending();
  EXPECT_EQ(received, 2);
}

}  // namespace
}  // namespace tocsin::service
