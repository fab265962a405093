#include "libs/bus/fake_event_bus.h"

#include <map>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
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
  options.max_failures = 3;
  return options;
}

std::vector<std::string> EventIds(const std::vector<Envelope>& envelopes) {
  std::vector<std::string> ids;
  for (const Envelope& e : envelopes) ids.push_back(e.event_id());
  return ids;
}

// Records what it handles; fails while failures_left[event_id] > 0, with
// failure (a permanent error unless set).
struct Recorder {
  std::vector<std::string> handled;
  std::map<std::string, int> failures_left;
  absl::StatusCode failure = absl::StatusCode::kInternal;

  Handler AsHandler() {
    return [this](const Envelope& envelope) {
      handled.push_back(envelope.event_id());
      int& left = failures_left[envelope.event_id()];
      if (left > 0) {
        --left;
        return absl::Status(failure, "handler failed on " + envelope.event_id());
      }
      return absl::OkStatus();
    };
  }
};

// Records the outcomes a consumer reports, as "outcome/deliveries/type".
struct Outcomes {
  std::vector<std::string> seen;

  std::function<void(const Delivery&)> AsCallback() {
    return [this](const Delivery& delivery) {
      const char* names[] = {"applied", "skipped", "retry-transient",
                             "retry-permanent", "dead-lettered"};
      seen.push_back(absl::StrCat(names[static_cast<int>(delivery.outcome)], "/",
                                  delivery.deliveries, "/", delivery.type));
    };
  }
};

// Keeps the dead letters handed to it; fails while failures_left > 0.
struct DeadLetterStore {
  std::vector<DeadLetter> kept;
  int calls = 0;
  int failures_left = 0;

  std::function<absl::Status(const DeadLetter&)> AsHook() {
    return [this](const DeadLetter& dead_letter) {
      ++calls;
      if (failures_left > 0) {
        --failures_left;
        return absl::UnavailableError("dead-letter table is locked");
      }
      kept.push_back(dead_letter);
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

TEST(FakeEventBus, DeadLettersAfterMaxFailuresAndStopsDelivering) {
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
  EXPECT_EQ(dead[0].consumer, "test-consumer");
  EXPECT_EQ(dead[0].subject, "tocsin.incident.opened");
  EXPECT_EQ(dead[0].id, "test-consumer:TOCSIN_INCIDENT:1");
  ASSERT_TRUE(dead[0].envelope.has_value());
  EXPECT_EQ(dead[0].envelope->event_id(), "poison");
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_THAT(dead[0].error, HasSubstr("INTERNAL: handler failed on poison"));
  Envelope stored;
  ASSERT_TRUE(stored.ParseFromString(dead[0].data));
  EXPECT_EQ(stored.event_id(), "poison");
  EXPECT_EQ(bus.DeliverPending(), 0);
}

TEST(FakeEventBus, TransientErrorsAreRetriedBeyondMaxFailuresAndNeverDeadLettered) {
  FakeEventBus bus;
  Recorder recorder;
  recorder.failure = absl::StatusCode::kUnavailable;
  recorder.failures_left["ev-1"] = 10;
  ConsumerOptions options = Options();
  DeadLetterStore store;
  options.dead_letter = store.AsHook();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(options, recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));

  // A pass of transient failures only ends the pump; the message waits.
  for (int pump = 0; pump < 10; ++pump) EXPECT_EQ(bus.DeliverPending(), 1);
  EXPECT_EQ(bus.DeliverPending(), 1);

  EXPECT_EQ(recorder.handled.size(), 11u);
  EXPECT_THAT(store.kept, IsEmpty());
  EXPECT_THAT(bus.DeadLetters(), IsEmpty());
  EXPECT_EQ(bus.DeliverPending(), 0);
}

TEST(FakeEventBus, OnlyPermanentFailuresCountTowardsTheDeadLetter) {
  FakeEventBus bus;
  const absl::StatusCode codes[] = {
      absl::StatusCode::kUnavailable, absl::StatusCode::kInvalidArgument,
      absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kNotFound,
      absl::StatusCode::kResourceExhausted, absl::StatusCode::kInternal};
  int call = 0;
  Outcomes outcomes;
  DeadLetterStore store;
  ConsumerOptions options = Options();
  options.on_outcome = outcomes.AsCallback();
  options.dead_letter = store.AsHook();
  ASSERT_OK_AND_ASSIGN(
      auto subscription, bus.Subscribe(options, [&](const Envelope&) {
        ++call;
        return absl::Status(codes[call - 1], "try " + std::to_string(call));
      }));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));

  while (store.kept.empty() && call < 6) bus.DeliverPending();

  EXPECT_EQ(call, 6);
  EXPECT_THAT(outcomes.seen,
              ElementsAre("retry-transient/1/incident.opened",
                          "retry-permanent/2/incident.opened",
                          "retry-transient/3/incident.opened",
                          "retry-permanent/4/incident.opened",
                          "retry-transient/5/incident.opened",
                          "dead-lettered/6/incident.opened"));
  ASSERT_THAT(store.kept, ::testing::SizeIs(1));
  EXPECT_EQ(store.kept[0].attempts, 6);
  EXPECT_THAT(store.kept[0].error, HasSubstr("try 6"));
  // Through the hook, not onto the dead-letter subject.
  EXPECT_THAT(bus.DeadLetters(), IsEmpty());
}

TEST(FakeEventBus, AFailingDeadLetterHookIsRetriedWithoutTheHandler) {
  FakeEventBus bus;
  Recorder recorder;
  recorder.failures_left["poison"] = 100;
  Outcomes outcomes;
  DeadLetterStore store;
  store.failures_left = 2;
  ConsumerOptions options = Options();
  options.max_failures = 2;
  options.on_outcome = outcomes.AsCallback();
  options.dead_letter = store.AsHook();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(options, recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("poison")));

  bus.DeliverPending();
  EXPECT_THAT(store.kept, IsEmpty());
  bus.DeliverPending();
  bus.DeliverPending();

  EXPECT_EQ(recorder.handled.size(), 2u);
  EXPECT_EQ(store.calls, 3);
  ASSERT_THAT(store.kept, ::testing::SizeIs(1));
  EXPECT_EQ(store.kept[0].envelope->event_id(), "poison");
  EXPECT_THAT(store.kept[0].error, HasSubstr("handler failed on poison"));
  EXPECT_THAT(outcomes.seen, ElementsAre("retry-permanent/1/incident.opened",
                                         "retry-transient/2/incident.opened",
                                         "retry-transient/3/incident.opened",
                                         "dead-lettered/4/incident.opened"));
  EXPECT_EQ(bus.DeliverPending(), 0);
}

TEST(FakeEventBus, OnOutcomeHearsOfEachDelivery) {
  FakeEventBus bus;
  Recorder recorder;
  recorder.failures_left["ev-1"] = 1;
  Outcomes outcomes;
  ConsumerOptions options = Options();
  options.on_outcome = outcomes.AsCallback();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus.Subscribe(options, recorder.AsHandler()));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(bus.Publish(MakeEnvelope("ev-2")));

  bus.DeliverPending();

  EXPECT_THAT(outcomes.seen, ElementsAre("retry-permanent/1/incident.opened",
                                         "applied/1/incident.opened",
                                         "applied/2/incident.opened"));
}

TEST(FakeEventBus, AThrowingHandlerIsAPermanentFailure) {
  FakeEventBus bus;
  std::vector<std::string> handled;
  ASSERT_OK_AND_ASSIGN(
      auto subscription,
      bus.Subscribe(Options(), [&](const Envelope& envelope) -> absl::Status {
        handled.push_back(envelope.event_id());
        if (envelope.event_id() == "boom") throw std::runtime_error("null row");
        return absl::OkStatus();
      }));
  ASSERT_OK(bus.Publish(MakeEnvelope("boom")));
  ASSERT_OK(bus.Publish(MakeEnvelope("fine")));

  bus.DeliverPending();

  EXPECT_THAT(handled, ElementsAre("boom", "fine", "boom", "boom"));
  std::vector<DeadLetter> dead = bus.DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(dead[0].error, HasSubstr("null row"));
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
