#include "libs/bus/jetstream_bus.h"

#include <nats/nats.h>

#include <functional>
#include <map>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/ports.h"

namespace tocsin::bus {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::NatsServer;
using ::tocsin::testing::StatusIs;
using ::tocsin::testing::WaitFor;

constexpr absl::Duration kWait = absl::Seconds(15);
constexpr char kDurable[] = "test-consumer";

Envelope MakeEnvelope(const std::string& event_id,
                      const std::string& type = "incident.opened") {
  Envelope envelope;
  envelope.set_event_id(event_id);
  envelope.set_type(type);
  return envelope;
}

ConsumerOptions Options(std::vector<std::string> types = {"incident.opened"}) {
  ConsumerOptions options;
  options.durable_name = kDurable;
  options.types = std::move(types);
  options.max_failures = 3;
  options.ack_wait = absl::Seconds(5);
  options.nak_delay = absl::Milliseconds(20);
  options.max_nak_delay = absl::Milliseconds(80);
  return options;
}

// Thread-safe record of handled event ids; fails an event while
// failures_left[event_id] > 0, with code (permanent unless said).
class Recorder {
 public:
  void FailTimes(const std::string& event_id, int times,
                 absl::StatusCode code = absl::StatusCode::kInternal) {
    absl::MutexLock lock(&mu_);
    failures_left_[event_id] = times;
    code_ = code;
  }

  Handler AsHandler() {
    return [this](const Envelope& envelope) {
      absl::MutexLock lock(&mu_);
      handled_.push_back(envelope.event_id());
      int& left = failures_left_[envelope.event_id()];
      if (left > 0) {
        --left;
        return absl::Status(code_, "handler failed on " + envelope.event_id());
      }
      return absl::OkStatus();
    };
  }

  std::vector<std::string> Handled() {
    absl::MutexLock lock(&mu_);
    return handled_;
  }

  int Count(const std::string& event_id) {
    std::vector<std::string> handled = Handled();
    return static_cast<int>(std::count(handled.begin(), handled.end(), event_id));
  }

  absl::Status WaitForHandled(const std::string& event_id, int times = 1) {
    return WaitFor([&] { return Count(event_id) >= times; }, kWait);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> handled_;
  std::map<std::string, int> failures_left_;
  absl::StatusCode code_ = absl::StatusCode::kInternal;
};

// Thread-safe record of the outcomes a consumer reports, as
// "outcome/deliveries/type".
class Outcomes {
 public:
  std::function<void(const Delivery&)> AsCallback() {
    return [this](const Delivery& delivery) {
      const char* names[] = {"applied", "skipped", "retry-transient",
                             "retry-permanent", "dead-lettered"};
      absl::MutexLock lock(&mu_);
      seen_.push_back(absl::StrCat(names[static_cast<int>(delivery.outcome)],
                                   "/", delivery.deliveries, "/", delivery.type));
    };
  }

  std::vector<std::string> Seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> seen_;
};

// Thread-safe dead_letter hook: keeps what it is given; fails while
// failures_left > 0.
class DeadLetterStore {
 public:
  explicit DeadLetterStore(int failures = 0) : failures_left_(failures) {}

  std::function<absl::Status(const DeadLetter&)> AsHook() {
    return [this](const DeadLetter& dead_letter) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      if (failures_left_ > 0) {
        --failures_left_;
        return absl::UnavailableError("dead-letter table is locked");
      }
      kept_.push_back(dead_letter);
      return absl::OkStatus();
    };
  }

  std::vector<DeadLetter> Kept() {
    absl::MutexLock lock(&mu_);
    return kept_;
  }
  int Calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  absl::Status WaitForOne() {
    return WaitFor([&] { return !Kept().empty(); }, kWait);
  }

 private:
  absl::Mutex mu_;
  int failures_left_;
  int calls_ = 0;
  std::vector<DeadLetter> kept_;
};

// A plain NATS client that looks at the server from outside the bus.
class Probe {
 public:
  explicit Probe(const std::string& url) {
    natsOptions* options = nullptr;
    EXPECT_EQ(natsOptions_Create(&options), NATS_OK);
    EXPECT_EQ(natsOptions_SetURL(options, url.c_str()), NATS_OK);
    // Tests kill the server; a reconnecting probe would slow teardown.
    EXPECT_EQ(natsOptions_SetAllowReconnect(options, false), NATS_OK);
    EXPECT_EQ(natsConnection_Connect(&nc_, options), NATS_OK);
    natsOptions_Destroy(options);
    EXPECT_EQ(natsConnection_JetStream(&js_, nc_, nullptr), NATS_OK);
  }
  ~Probe() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }

  // The stream's configuration, or nullptr. Caller destroys it.
  jsStreamInfo* StreamInfo(const std::string& stream) {
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, nullptr) != NATS_OK) {
      return nullptr;
    }
    return info;
  }

  // Creates a stream as an operator would, with a 1-hour MaxAge.
  void AddStream(const std::string& stream, const std::string& subjects) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subject_list[] = {subjects.c_str()};
    config.Name = stream.c_str();
    config.Subjects = subject_list;
    config.SubjectsLen = 1;
    config.MaxAge = absl::ToInt64Nanoseconds(absl::Hours(1));
    jsStreamInfo* info = nullptr;
    ASSERT_EQ(js_AddStream(&info, js_, &config, nullptr, nullptr), NATS_OK);
    jsStreamInfo_Destroy(info);
  }

  uint64_t StreamMessages(const std::string& stream) {
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, nullptr) != NATS_OK) {
      ADD_FAILURE() << "no stream " << stream;
      return 0;
    }
    uint64_t messages = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    return messages;
  }

  // Messages the consumer was given and has not acked or terminated yet.
  int64_t AckPending(const std::string& stream) {
    jsConsumerInfo* info = nullptr;
    if (js_GetConsumerInfo(&info, js_, stream.c_str(), kDurable, nullptr,
                           nullptr) != NATS_OK) {
      ADD_FAILURE() << "no consumer " << kDurable;
      return -1;
    }
    int64_t pending = info->NumAckPending;
    jsConsumerInfo_Destroy(info);
    return pending;
  }

  // The newest message on subject in stream, or nullptr. Caller destroys it.
  natsMsg* LastMessage(const std::string& stream, const std::string& subject) {
    natsMsg* msg = nullptr;
    if (js_GetLastMsg(&msg, js_, stream.c_str(), subject.c_str(), nullptr,
                      nullptr) != NATS_OK) {
      return nullptr;
    }
    return msg;
  }

  void PublishRaw(const std::string& subject, const std::string& data) {
    ASSERT_EQ(js_Publish(nullptr, js_, subject.c_str(), data.data(),
                         static_cast<int>(data.size()), nullptr, nullptr),
              NATS_OK);
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK) return "";
  return value;
}

class JetStreamBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(nats_, NatsServer::Start());
    ASSERT_OK_AND_ASSIGN(bus_, JetStreamBus::Connect(BusOptions()));
    probe_ = std::make_unique<Probe>(nats_->url());
  }

  JetStreamBusOptions BusOptions() {
    JetStreamBusOptions options;
    options.url = nats_->url();
    options.client_name = "jetstream_bus_test";
    options.publish_timeout = absl::Seconds(2);
    options.reconnect_wait = absl::Milliseconds(50);
    options.domains = {"incident"};
    return options;
  }

  // Waits until the consumer has nothing outstanding.
  absl::Status WaitUntilSettled() {
    return WaitFor([&] { return probe_->AckPending("TOCSIN_INCIDENT") == 0; },
                   kWait);
  }

  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<JetStreamBus> bus_;
  std::unique_ptr<Probe> probe_;
};

TEST_F(JetStreamBusTest, ConnectCreatesTheDomainAndDeadLetterStreams) {
  EXPECT_EQ(probe_->StreamMessages("TOCSIN_INCIDENT"), 0u);
  EXPECT_EQ(probe_->StreamMessages(kDeadLetterStream), 0u);
}

TEST_F(JetStreamBusTest, CreatedStreamsHaveLimits) {
  for (const char* stream : {"TOCSIN_INCIDENT", kDeadLetterStream}) {
    jsStreamInfo* info = probe_->StreamInfo(stream);
    ASSERT_NE(info, nullptr) << stream;
    EXPECT_EQ(info->Config->MaxAge, absl::ToInt64Nanoseconds(absl::Hours(24 * 7)));
    EXPECT_EQ(info->Config->MaxBytes, int64_t{1} << 30);
    EXPECT_EQ(info->Config->Discard, js_DiscardOld);
    jsStreamInfo_Destroy(info);
  }
}

TEST_F(JetStreamBusTest, AnExistingStreamKeepsItsOperatorsLimits) {
  probe_->AddStream("TOCSIN_PAGE", "tocsin.page.>");
  JetStreamBusOptions options = BusOptions();
  options.domains = {"page"};

  ASSERT_OK_AND_ASSIGN(auto bus, JetStreamBus::Connect(options));

  jsStreamInfo* info = probe_->StreamInfo("TOCSIN_PAGE");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->Config->MaxAge, absl::ToInt64Nanoseconds(absl::Hours(1)));
  jsStreamInfo_Destroy(info);
}

TEST_F(JetStreamBusTest, ADuplicateWindowLongerThanTheMaxAgeIsRefused) {
  JetStreamBusOptions options = BusOptions();
  options.stream_max_age = absl::Minutes(1);

  EXPECT_THAT(JetStreamBus::Connect(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream_max_age")));
}

TEST(JetStreamBusPayloadTest, AnEventLargerThanTheServersMaxPayloadIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> nats,
                       NatsServer::Start({.max_payload = 4096}));
  JetStreamBusOptions options;
  options.url = nats->url();
  options.domains = {"incident"};
  ASSERT_OK_AND_ASSIGN(auto bus, JetStreamBus::Connect(options));
  Envelope large = MakeEnvelope("ev-large");
  large.set_causation_id(std::string(5000, 'c'));

  EXPECT_THAT(bus->Publish(large),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("event ev-large of type incident.opened is 5"),
                             HasSubstr("accepts at most 4096 (max_payload)"))));

  // The connection is still good for events that fit.
  EXPECT_OK(bus->Publish(MakeEnvelope("ev-small")));
  Probe probe(nats->url());
  EXPECT_EQ(probe.StreamMessages("TOCSIN_INCIDENT"), 1u);
}

TEST(JetStreamBusPayloadTest, NatsItselfRefusesAnOversizePublish) {
  // What the client library answers without the bus's own check, which
  // ToStatus maps to InvalidArgument.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> nats,
                       NatsServer::Start({.max_payload = 4096}));
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, nats->url().c_str()), NATS_OK);
  const std::string data(5000, 'x');
  EXPECT_EQ(natsConnection_Publish(nc, "tocsin.incident.opened", data.data(),
                                   static_cast<int>(data.size())),
            NATS_MAX_PAYLOAD);
  natsConnection_Destroy(nc);
}

TEST_F(JetStreamBusTest, PublishedEventReachesTheSubscriber) {
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));
  Envelope sent = MakeEnvelope("ev-1");
  sent.set_incident_id("inc-1");

  ASSERT_OK(bus_->Publish(sent));

  ASSERT_OK(recorder.WaitForHandled("ev-1"));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_THAT(recorder.Handled(), ElementsAre("ev-1"));
}

TEST_F(JetStreamBusTest, RepublishingAnEventIdStoresItOnce) {
  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-2")));

  EXPECT_EQ(probe_->StreamMessages("TOCSIN_INCIDENT"), 2u);
}

TEST_F(JetStreamBusTest, RejectsAnEnvelopeWithoutEventIdOrType) {
  EXPECT_THAT(bus_->Publish(MakeEnvelope("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
  EXPECT_THAT(bus_->Publish(MakeEnvelope("ev-1", "")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type")));
  EXPECT_EQ(probe_->StreamMessages("TOCSIN_INCIDENT"), 0u);
}

TEST_F(JetStreamBusTest, FailedHandlerIsRedeliveredUntilItSucceeds) {
  Recorder recorder;
  recorder.FailTimes("ev-1", 2);
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-1")));

  ASSERT_OK(recorder.WaitForHandled("ev-1", 3));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_EQ(recorder.Count("ev-1"), 3);
  EXPECT_EQ(probe_->StreamMessages(kDeadLetterStream), 0u);
}

TEST_F(JetStreamBusTest, AlwaysFailingMessageIsDeadLetteredAfterMaxFailures) {
  Recorder recorder;
  recorder.FailTimes("poison", 1000);
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("poison")));

  natsMsg* dead = nullptr;
  ASSERT_OK(WaitFor(
      [&] {
        dead = probe_->LastMessage(kDeadLetterStream, DeadLetterSubject(kDurable));
        return dead != nullptr;
      },
      kWait));
  EXPECT_THAT(Header(dead, kErrorHeader), HasSubstr("handler failed on poison"));
  EXPECT_EQ(Header(dead, kSubjectHeader), "tocsin.incident.opened");
  EXPECT_EQ(Header(dead, kDeliveriesHeader), "3");
  absl::StatusOr<Envelope> body =
      ParseEnvelope(natsMsg_GetData(dead), natsMsg_GetDataLength(dead));
  natsMsg_Destroy(dead);
  ASSERT_OK(body);
  EXPECT_EQ(body->event_id(), "poison");

  // Not delivered again: a later message gets through, the poison count stays.
  ASSERT_OK(bus_->Publish(MakeEnvelope("after")));
  ASSERT_OK(recorder.WaitForHandled("after"));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_EQ(recorder.Count("poison"), 3);
  EXPECT_EQ(probe_->StreamMessages(kDeadLetterStream), 1u);
}

TEST_F(JetStreamBusTest, TransientErrorsAreRetriedBeyondMaxFailuresAndNeverDeadLettered) {
  // A database locked for a while: far more deliveries than max_failures.
  Recorder recorder;
  recorder.FailTimes("ev-1", 8, absl::StatusCode::kUnavailable);
  Outcomes outcomes;
  ConsumerOptions options = Options();
  options.on_outcome = outcomes.AsCallback();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-1")));

  ASSERT_OK(recorder.WaitForHandled("ev-1", 9));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_EQ(recorder.Count("ev-1"), 9);
  EXPECT_EQ(probe_->StreamMessages(kDeadLetterStream), 0u);
  std::vector<std::string> seen = outcomes.Seen();
  ASSERT_EQ(seen.size(), 9u);
  EXPECT_EQ(seen[0], "retry-transient/1/incident.opened");
  EXPECT_EQ(seen[7], "retry-transient/8/incident.opened");
  EXPECT_EQ(seen[8], "applied/9/incident.opened");
}

TEST_F(JetStreamBusTest, PermanentFailuresGoToTheDeadLetterHookAfterMaxFailures) {
  Recorder recorder;
  recorder.FailTimes("poison", 1000, absl::StatusCode::kInvalidArgument);
  Outcomes outcomes;
  DeadLetterStore store;
  ConsumerOptions options = Options();
  options.on_outcome = outcomes.AsCallback();
  options.dead_letter = store.AsHook();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("poison")));

  ASSERT_OK(store.WaitForOne());
  ASSERT_OK(WaitUntilSettled());
  std::vector<DeadLetter> kept = store.Kept();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].consumer, kDurable);
  EXPECT_EQ(kept[0].subject, "tocsin.incident.opened");
  EXPECT_EQ(kept[0].id, absl::StrCat(kDurable, ":TOCSIN_INCIDENT:1"));
  ASSERT_TRUE(kept[0].envelope.has_value());
  EXPECT_EQ(kept[0].envelope->event_id(), "poison");
  EXPECT_EQ(kept[0].data, MakeEnvelope("poison").SerializeAsString());
  EXPECT_THAT(kept[0].error, HasSubstr("INVALID_ARGUMENT: handler failed on poison"));
  EXPECT_EQ(kept[0].attempts, 3);
  EXPECT_EQ(recorder.Count("poison"), 3);
  EXPECT_THAT(outcomes.Seen(), ElementsAre("retry-permanent/1/incident.opened",
                                           "retry-permanent/2/incident.opened",
                                           "dead-lettered/3/incident.opened"));
  // The hook took it: nothing on the dead-letter subject.
  EXPECT_EQ(probe_->StreamMessages(kDeadLetterStream), 0u);
}

TEST_F(JetStreamBusTest, AFailingDeadLetterHookIsRetriedWithoutTheHandler) {
  Recorder recorder;
  recorder.FailTimes("poison", 1000);
  Outcomes outcomes;
  DeadLetterStore store(/*failures=*/2);
  ConsumerOptions options = Options();
  options.max_failures = 2;
  options.on_outcome = outcomes.AsCallback();
  options.dead_letter = store.AsHook();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("poison")));

  ASSERT_OK(store.WaitForOne());
  ASSERT_OK(WaitUntilSettled());
  EXPECT_EQ(store.Calls(), 3);
  EXPECT_EQ(recorder.Count("poison"), 2);
  EXPECT_THAT(store.Kept()[0].error, HasSubstr("handler failed on poison"));
  EXPECT_EQ(store.Kept()[0].attempts, 4);
  EXPECT_THAT(outcomes.Seen(), ElementsAre("retry-permanent/1/incident.opened",
                                           "retry-transient/2/incident.opened",
                                           "retry-transient/3/incident.opened",
                                           "dead-lettered/4/incident.opened"));
}

TEST_F(JetStreamBusTest, AThrowingHandlerIsAPermanentFailureAndTheConsumerGoesOn) {
  Recorder recorder;
  DeadLetterStore store;
  ConsumerOptions options = Options();
  options.dead_letter = store.AsHook();
  Handler record = recorder.AsHandler();
  ASSERT_OK_AND_ASSIGN(
      auto subscription,
      bus_->Subscribe(options, [&](const Envelope& envelope) -> absl::Status {
        absl::Status recorded = record(envelope);
        if (envelope.event_id() == "boom") throw std::runtime_error("null row");
        return recorded;
      }));

  ASSERT_OK(bus_->Publish(MakeEnvelope("boom")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("after")));

  ASSERT_OK(store.WaitForOne());
  ASSERT_OK(recorder.WaitForHandled("after"));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_THAT(store.Kept()[0].error, HasSubstr("null row"));
  EXPECT_EQ(recorder.Count("boom"), 3);
}

TEST_F(JetStreamBusTest, ResubscribingWithOtherTypesKeepsThePosition) {
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus_->Publish(MakeEnvelope("resolved-0", "incident.resolved")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("opened-1", "incident.opened")));
  ASSERT_OK(recorder.WaitForHandled("opened-1"));
  subscription.reset();
  ASSERT_OK(bus_->Publish(MakeEnvelope("resolved-1", "incident.resolved")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("opened-2", "incident.opened")));

  ASSERT_OK_AND_ASSIGN(subscription, bus_->Subscribe(Options({"incident.resolved"}),
                                                     recorder.AsHandler()));
  ASSERT_OK(bus_->Publish(MakeEnvelope("resolved-2", "incident.resolved")));

  ASSERT_OK(recorder.WaitForHandled("resolved-2"));
  EXPECT_THAT(recorder.Handled(), ElementsAre("opened-1", "resolved-1", "resolved-2"));
}

TEST_F(JetStreamBusTest, BytesThatAreNotAnEnvelopeGoStraightToTheDeadLetter) {
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));

  probe_->PublishRaw("tocsin.incident.opened", "\xff\xff not a protobuf");

  ASSERT_OK(WaitFor(
      [&] { return probe_->StreamMessages(kDeadLetterStream) == 1; }, kWait));
  natsMsg* dead =
      probe_->LastMessage(kDeadLetterStream, DeadLetterSubject(kDurable));
  ASSERT_NE(dead, nullptr);
  EXPECT_THAT(Header(dead, kErrorHeader), HasSubstr("not a tocsin.events.v1.Envelope"));
  EXPECT_EQ(Header(dead, kDeliveriesHeader), "1");
  EXPECT_EQ(std::string(natsMsg_GetData(dead), natsMsg_GetDataLength(dead)),
            "\xff\xff not a protobuf");
  natsMsg_Destroy(dead);
  ASSERT_OK(WaitUntilSettled());
  EXPECT_TRUE(recorder.Handled().empty());
}

TEST_F(JetStreamBusTest, BytesThatAreNotAnEnvelopeGoStraightToTheDeadLetterHook) {
  Recorder recorder;
  DeadLetterStore store;
  ConsumerOptions options = Options();
  options.dead_letter = store.AsHook();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, recorder.AsHandler()));

  probe_->PublishRaw("tocsin.incident.opened", "\xff\xff not a protobuf");

  ASSERT_OK(store.WaitForOne());
  ASSERT_OK(WaitUntilSettled());
  DeadLetter kept = store.Kept()[0];
  EXPECT_EQ(kept.data, "\xff\xff not a protobuf");
  EXPECT_FALSE(kept.envelope.has_value());
  EXPECT_EQ(kept.attempts, 1);
  EXPECT_THAT(kept.error, HasSubstr("not a tocsin.events.v1.Envelope"));
  EXPECT_TRUE(recorder.Handled().empty());
}

TEST_F(JetStreamBusTest, ConsumerOfSeveralTypesSkipsTheOthers) {
  Recorder recorder;
  Outcomes outcomes;
  ConsumerOptions options = Options({"incident.opened", "incident.resolved"});
  options.on_outcome = outcomes.AsCallback();
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("opened", "incident.opened")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("updated", "incident.updated")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("resolved", "incident.resolved")));

  ASSERT_OK(recorder.WaitForHandled("resolved"));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_THAT(recorder.Handled(), ElementsAre("opened", "resolved"));
  EXPECT_THAT(outcomes.Seen(), ElementsAre("applied/1/incident.opened",
                                           "skipped/1/incident.updated",
                                           "applied/1/incident.resolved"));
}

TEST_F(JetStreamBusTest, DurableConsumerResumesAfterResubscribe) {
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(recorder.WaitForHandled("ev-1"));
  subscription.reset();

  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-2")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-3")));
  ASSERT_OK_AND_ASSIGN(subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));

  ASSERT_OK(recorder.WaitForHandled("ev-3"));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_THAT(recorder.Handled(), ElementsAre("ev-1", "ev-2", "ev-3"));
}

TEST_F(JetStreamBusTest, NewDurableConsumerReceivesEarlierEvents) {
  ASSERT_OK(bus_->Publish(MakeEnvelope("before-subscribe")));
  Recorder recorder;

  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));

  ASSERT_OK(recorder.WaitForHandled("before-subscribe"));
}

TEST_F(JetStreamBusTest, SubscribeCreatesTheStreamOfItsDomain) {
  Recorder recorder;
  ConsumerOptions options = Options({"page.requested"});

  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, recorder.AsHandler()));
  ASSERT_OK(bus_->Publish(MakeEnvelope("page-1", "page.requested")));

  ASSERT_OK(recorder.WaitForHandled("page-1"));
  EXPECT_EQ(probe_->StreamMessages("TOCSIN_PAGE"), 1u);
}

TEST_F(JetStreamBusTest, PublishToAStoppedServerIsUnavailable) {
  nats_->Kill();

  absl::Time start = absl::Now();
  EXPECT_THAT(bus_->Publish(MakeEnvelope("ev-1")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("ev-1")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(JetStreamBusTest, ConnectToAStoppedServerIsUnavailable) {
  JetStreamBusOptions options = BusOptions();
  nats_->Kill();

  EXPECT_THAT(JetStreamBus::Connect(options),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(options.url)));
}

TEST_F(JetStreamBusTest, SubscriptionKeepsConsumingAcrossAServerRestart) {
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(Options(), recorder.AsHandler()));
  ASSERT_OK(bus_->Publish(MakeEnvelope("before")));
  ASSERT_OK(recorder.WaitForHandled("before"));

  nats_->Kill();
  ASSERT_OK(nats_->Restart());
  // Publish fails with Unavailable until the client has reconnected.
  ASSERT_OK(WaitFor([&] { return bus_->Publish(MakeEnvelope("after")).ok(); },
                    kWait, absl::Milliseconds(50)));

  ASSERT_OK(recorder.WaitForHandled("after"));
  EXPECT_EQ(recorder.Count("before"), 1);
}

}  // namespace
}  // namespace tocsin::bus
