#include "libs/bus/jetstream_bus.h"

#include <nats/nats.h>

#include <map>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/ports.h"

namespace tocsin::bus {
namespace {

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
  options.max_deliver = 3;
  options.ack_wait = absl::Seconds(5);
  options.nak_delay = absl::Milliseconds(20);
  return options;
}

// Thread-safe record of handled event ids; fails an event while
// failures_left[event_id] > 0.
class Recorder {
 public:
  void FailTimes(const std::string& event_id, int times) {
    absl::MutexLock lock(&mu_);
    failures_left_[event_id] = times;
  }

  Handler AsHandler() {
    return [this](const Envelope& envelope) {
      absl::MutexLock lock(&mu_);
      handled_.push_back(envelope.event_id());
      int& left = failures_left_[envelope.event_id()];
      if (left > 0) {
        --left;
        return absl::InternalError("handler failed on " + envelope.event_id());
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

TEST_F(JetStreamBusTest, AlwaysFailingMessageIsDeadLetteredAfterMaxDeliver) {
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

TEST_F(JetStreamBusTest, MessageDeliveredTooOftenIsDeadLetteredWithoutTheHandler) {
  // Deliveries that ended without a verdict (a crash, a failed dead-letter
  // publish) count too: once past max_deliver, the message only goes to the
  // dead letter. Here a consumer fails twice, then comes back with
  // max_deliver 1.
  Recorder failing;
  failing.FailTimes("ev-1", 1000);
  ConsumerOptions options = Options();
  options.max_deliver = 5;
  ASSERT_OK_AND_ASSIGN(auto subscription,
                       bus_->Subscribe(options, failing.AsHandler()));
  ASSERT_OK(bus_->Publish(MakeEnvelope("ev-1")));
  ASSERT_OK(failing.WaitForHandled("ev-1", 2));
  subscription.reset();

  Recorder recorder;
  options.max_deliver = 1;
  ASSERT_OK_AND_ASSIGN(subscription, bus_->Subscribe(options, recorder.AsHandler()));

  natsMsg* dead = nullptr;
  ASSERT_OK(WaitFor(
      [&] {
        dead = probe_->LastMessage(kDeadLetterStream, DeadLetterSubject(kDurable));
        return dead != nullptr;
      },
      kWait));
  EXPECT_THAT(Header(dead, kErrorHeader), HasSubstr("without success"));
  natsMsg_Destroy(dead);
  ASSERT_OK(WaitUntilSettled());
  EXPECT_TRUE(recorder.Handled().empty());
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

TEST_F(JetStreamBusTest, ConsumerOfSeveralTypesSkipsTheOthers) {
  Recorder recorder;
  ASSERT_OK_AND_ASSIGN(
      auto subscription,
      bus_->Subscribe(Options({"incident.opened", "incident.resolved"}),
                      recorder.AsHandler()));

  ASSERT_OK(bus_->Publish(MakeEnvelope("opened", "incident.opened")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("updated", "incident.updated")));
  ASSERT_OK(bus_->Publish(MakeEnvelope("resolved", "incident.resolved")));

  ASSERT_OK(recorder.WaitForHandled("resolved"));
  ASSERT_OK(WaitUntilSettled());
  EXPECT_THAT(recorder.Handled(), ElementsAre("opened", "resolved"));
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
