#include "libs/bus/fake_event_bus.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::bus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::tocsin::testing::StatusIs;

Envelope MakeEnvelope(const std::string& event_id,
                      const std::string& type = "incident.opened") {
  Envelope envelope;
  envelope.set_event_id(event_id);
  envelope.set_type(type);
  return envelope;
}

ConsumerOptions Options(std::vector<std::string> types = {"incident.opened"}) {
  ConsumerOptions options;
  options.durable_name = "test-consumer";
  options.types = std::move(types);
  options.max_deliver = 3;
  return options;
}

std::vector<std::string> EventIds(const std::vector<Envelope>& envelopes) {
  std::vector<std::string> ids;
  for (const Envelope& e : envelopes) ids.push_back(e.event_id());
  return ids;
}

// Records what it handles; fails while failures_left[event_id] > 0.
struct Recorder {
  std::vector<std::string> handled;
  std::map<std::string, int> failures_left;

  Handler AsHandler() {
    return [this](const Envelope& envelope) {
      handled.push_back(envelope.event_id());
      int& left = failures_left[envelope.event_id()];
      if (left > 0) {
        --left;
        return absl::InternalError("handler failed on " + envelope.event_id());
      }
      return absl::OkStatus();
    };
  }
};

TEST(FakeEventBus, DeliversPublishedEventsWhenPumped) {
  FakeEventBus bus;
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));
  EXPECT_THAT(recorder.handled, IsEmpty());

  EXPECT_EQ(bus.DeliverPending(), 1);

  EXPECT_THAT(recorder.handled, ElementsAre("ev-1"));
  EXPECT_EQ(bus.DeliverPending(), 0);
}

TEST(FakeEventBus, StoresARepublishedEventIdOnce) {
  FakeEventBus bus;
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-2")));

  EXPECT_THAT(EventIds(bus.Published()), ElementsAre("ev-1", "ev-2"));
}

TEST(FakeEventBus, RejectsAnEnvelopeWithoutEventId) {
  FakeEventBus bus;
  EXPECT_THAT(bus.Publish(MakeEnvelope("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
  EXPECT_THAT(bus.Published(), IsEmpty());
}

TEST(FakeEventBus, PublishFailureSwitchFailsPublishUntilCleared) {
  FakeEventBus bus;
  bus.SetPublishFailure(absl::UnavailableError("bus down"));
  EXPECT_THAT(bus.Publish(MakeEnvelope("ev-1")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("bus down")));
  EXPECT_THAT(bus.Published(), IsEmpty());

  bus.SetPublishFailure(absl::OkStatus());
  EXPECT_OK(bus.Publish(MakeEnvelope("ev-1")));
  EXPECT_THAT(EventIds(bus.Published()), ElementsAre("ev-1"));
}

TEST(FakeEventBus, RedeliversAFailedMessageUntilItSucceeds) {
  FakeEventBus bus;
  Recorder recorder;
  recorder.failures_left["ev-1"] = 2;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));

  EXPECT_EQ(bus.DeliverOnce(), 1);
  EXPECT_EQ(bus.DeliverOnce(), 1);
  EXPECT_EQ(bus.DeliverPending(), 1);

  EXPECT_THAT(recorder.handled, ElementsAre("ev-1", "ev-1", "ev-1"));
  EXPECT_THAT(bus.DeadLetters(), IsEmpty());
  EXPECT_EQ(bus.DeliverPending(), 0);
}

TEST(FakeEventBus, DeadLettersAfterMaxDeliverAndStopsDelivering) {
  FakeEventBus bus;
  Recorder recorder;
  recorder.failures_left["poison"] = 100;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("poison")));
  ASSERT_OK(bus.Publish(MakeEnvelope("good")));

  EXPECT_EQ(bus.DeliverPending(), 4);

  EXPECT_THAT(recorder.handled,
              ElementsAre("poison", "good", "poison", "poison"));
  std::vector<DeadLetter> dead = bus.DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].durable_name, "test-consumer");
  EXPECT_EQ(dead[0].envelope.event_id(), "poison");
  EXPECT_EQ(dead[0].deliveries, 3);
  EXPECT_THAT(dead[0].error, HasSubstr("handler failed on poison"));
  EXPECT_EQ(bus.DeliverPending(), 0);
}

TEST(FakeEventBus, DeliversEventsPublishedByHandlersInTheSamePump) {
  FakeEventBus bus;
  std::vector<std::string> resolved;
  ASSERT_OK_AND_ASSIGN(
      auto opener,
      bus.Subscribe(Options(), [&](const Envelope& envelope) {
        return bus.Publish(
            MakeEnvelope("after-" + envelope.event_id(), "incident.resolved"));
      }));
  ConsumerOptions resolver_options = Options({"incident.resolved"});
  resolver_options.durable_name = "resolver";
  ASSERT_OK_AND_ASSIGN(
      auto resolver,
      bus.Subscribe(resolver_options, [&](const Envelope& envelope) {
        resolved.push_back(envelope.event_id());
        return absl::OkStatus();
      }));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));

  EXPECT_EQ(bus.DeliverPending(), 2);

  EXPECT_THAT(resolved, ElementsAre("after-ev-1"));
}

TEST(FakeEventBus, ConsumerReceivesOnlyItsTypes) {
  FakeEventBus bus;
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(
      auto subscription,
      bus.Subscribe(Options({"incident.opened", "incident.resolved"}),
                    recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("opened", "incident.opened")));
  ASSERT_OK(bus.Publish(MakeEnvelope("updated", "incident.updated")));
  ASSERT_OK(bus.Publish(MakeEnvelope("resolved", "incident.resolved")));

  bus.DeliverPending();

  EXPECT_THAT(recorder.handled, ElementsAre("opened", "resolved"));
}

TEST(FakeEventBus, DurableConsumerResumesWhereItStopped) {
  FakeEventBus bus;
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));
  bus.DeliverPending();
  subscription.reset();

  ASSERT_OK(bus.Publish(MakeEnvelope("ev-2")));
  EXPECT_EQ(bus.DeliverPending(), 0);
  ASSERT_OK_AND_ASSIGN(subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));
  bus.DeliverPending();

  EXPECT_THAT(recorder.handled, ElementsAre("ev-1", "ev-2"));
}

TEST(FakeEventBus, NewDurableConsumerStartsAtTheFirstStoredMessage) {
  FakeEventBus bus;
  ASSERT_OK(bus.Publish(MakeEnvelope("before-subscribe")));
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));

  bus.DeliverPending();

  EXPECT_THAT(recorder.handled, ElementsAre("before-subscribe"));
}

TEST(FakeEventBus, SubscriptionsOfOneDurableShareItsMessages) {
  FakeEventBus bus;
  Recorder first, second;
  ASSERT_OK_AND_ASSIGN(auto a, bus.Subscribe(Options(), first.AsHandler()));
  ASSERT_OK_AND_ASSIGN(auto b, bus.Subscribe(Options(), second.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-2")));

  EXPECT_EQ(bus.DeliverPending(), 2);

  EXPECT_THAT(first.handled, ElementsAre("ev-1"));
  EXPECT_THAT(second.handled, ElementsAre("ev-2"));
}

TEST(FakeEventBus, ResubscribingWithOtherTypesKeepsThePosition) {
  FakeEventBus bus;
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("resolved-0", "incident.resolved")));
  ASSERT_OK(bus.Publish(MakeEnvelope("opened-1", "incident.opened")));
  bus.DeliverPending();
  subscription.reset();
  ASSERT_OK(bus.Publish(MakeEnvelope("resolved-1", "incident.resolved")));
  ASSERT_OK(bus.Publish(MakeEnvelope("opened-2", "incident.opened")));

  ASSERT_OK_AND_ASSIGN(subscription, bus.Subscribe(Options({"incident.resolved"}),
                                                   recorder.AsHandler()));
  bus.DeliverPending();

  EXPECT_THAT(recorder.handled, ElementsAre("opened-1", "resolved-1"));
}

}  // namespace
}  // namespace tocsin::bus
