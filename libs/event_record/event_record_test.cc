#include "libs/event_record/event_record.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/bus/fake_event_bus.h"
#include "libs/event_record/recording_consumer.h"
#include "libs/event_record/test_events.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::event_record {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::tocsin::testing::StatusIs;

constexpr char kConsumer[] = "runbook-incidents";

// (event_id, type, incident_id) of each recorded event, for comparisons.
std::vector<std::vector<std::string>> Rows(const std::vector<ReceivedEvent>& events) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) rows.push_back({e.event_id, e.type, e.incident_id});
  return rows;
}

// "event_id: error" of each dead letter, oldest first.
std::vector<std::string> DeadLetters(const bus::FakeEventBus& bus) {
  std::vector<std::string> dead;
  for (const auto& d : bus.DeadLetters()) dead.push_back(d.envelope->event_id() + ": " + d.error);
  return dead;
}

class EventRecordTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // Opens the record again on the same file, as a restarted service does.
  void Reopen() {
    record_.reset();
    ASSERT_OK_AND_ASSIGN(record_, EventRecord::Open(path_, &clock_));
  }

  std::vector<ReceivedEvent> List(const std::string& incident_id) {
    auto events = record_->List(incident_id);
    EXPECT_OK(events);
    return events.ok() ? *events : std::vector<ReceivedEvent>();
  }

  const std::string path_ = ::tocsin::testing::MakeTempDir("event_record") + "/record.db";
  FakeClock clock_;
  std::unique_ptr<EventRecord> record_;
};

TEST_F(EventRecordTest, ConsumerRecordsEachEventOnceWhenRedelivered) {
  const absl::Time first_receipt = clock_.Now();
  {
    bus::FakeEventBus bus;
    ASSERT_OK_AND_ASSIGN(auto subscription, SubscribeRecordingConsumer(bus, *record_, kConsumer));
    ASSERT_OK(bus.Publish(IncidentEvent("incident.opened", "evt-1", "inc-1")));
    ASSERT_OK(bus.Publish(IncidentEvent("incident.resolved", "evt-2", "inc-1")));
    EXPECT_EQ(bus.DeliverPending(), 2);
  }
  // The service restarts and a bus that lost the acks delivers both again.
  clock_.Advance(absl::Minutes(5));
  Reopen();
  bus::FakeEventBus bus;
  ASSERT_OK_AND_ASSIGN(auto subscription, SubscribeRecordingConsumer(bus, *record_, kConsumer));
  ASSERT_OK(bus.Publish(IncidentEvent("incident.opened", "evt-1", "inc-1")));
  ASSERT_OK(bus.Publish(IncidentEvent("incident.resolved", "evt-2", "inc-1")));
  EXPECT_EQ(bus.DeliverPending(), 2);

  std::vector<ReceivedEvent> events = List("inc-1");
  EXPECT_THAT(Rows(events), ElementsAre(ElementsAre("evt-1", "incident.opened", "inc-1"),
                                        ElementsAre("evt-2", "incident.resolved", "inc-1")));
  EXPECT_THAT(events, ElementsAre(Field(&ReceivedEvent::receive_time, first_receipt),
                                  Field(&ReceivedEvent::receive_time, first_receipt)));
  EXPECT_THAT(DeadLetters(bus), IsEmpty());
}

TEST_F(EventRecordTest, RecordSaysWhetherTheEventIsNew) {
  const bus::Envelope opened = IncidentEvent("incident.opened", "evt-1", "inc-1");
  ASSERT_OK_AND_ASSIGN(bool first, record_->Record(kConsumer, opened));
  ASSERT_OK_AND_ASSIGN(bool second, record_->Record(kConsumer, opened));
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_THAT(Rows(List("")), ElementsAre(ElementsAre("evt-1", "incident.opened", "inc-1")));
}

TEST_F(EventRecordTest, RecordRefusesAnEmptyConsumerOrEventId) {
  EXPECT_THAT(record_->Record("", IncidentEvent("incident.opened", "evt-1", "inc-1")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("consumer")));
  EXPECT_THAT(record_->Record(kConsumer, IncidentEvent("incident.opened", "", "inc-1")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
  EXPECT_THAT(List(""), IsEmpty());
}

TEST_F(EventRecordTest, PoisonEventsAreDeadLetteredAndLaterEventsRecorded) {
  bus::FakeEventBus bus;
  ASSERT_OK_AND_ASSIGN(auto subscription, SubscribeRecordingConsumer(bus, *record_, kConsumer));
  bus::Envelope unparseable = IncidentEvent("incident.opened", "evt-bad-bytes", "inc-1");
  unparseable.mutable_payload()->set_value("\xff\xff\xff not a protobuf");
  bus::Envelope wrong_payload = IncidentEvent("incident.resolved", "evt-wrong-type", "inc-1");
  *wrong_payload.mutable_payload() = IncidentEvent("incident.opened", "x", "inc-1").payload();
  bus::Envelope no_incident = IncidentEvent("incident.opened", "evt-no-incident", "");
  ASSERT_OK(bus.Publish(unparseable));
  ASSERT_OK(bus.Publish(wrong_payload));
  ASSERT_OK(bus.Publish(no_incident));
  ASSERT_OK(bus.Publish(IncidentEvent("incident.opened", "evt-good", "inc-1")));

  bus.DeliverPending();

  EXPECT_THAT(Rows(List("")), ElementsAre(ElementsAre("evt-good", "incident.opened", "inc-1")));
  EXPECT_THAT(DeadLetters(bus),
              ElementsAre(AllOf(StartsWith("evt-bad-bytes: INVALID_ARGUMENT"),
                                HasSubstr("not a tocsin.incidents.v1.IncidentOpened")),
                          AllOf(StartsWith("evt-wrong-type: INVALID_ARGUMENT"),
                                HasSubstr("not a tocsin.incidents.v1.IncidentResolved")),
                          AllOf(StartsWith("evt-no-incident: INVALID_ARGUMENT"),
                                HasSubstr("names no incident"))));
  for (const auto& d : bus.DeadLetters()) {
    EXPECT_EQ(d.consumer, kConsumer);
    EXPECT_EQ(d.attempts, bus::ConsumerOptions().max_failures);
  }
}

TEST_F(EventRecordTest, IncidentIdComesFromThePayloadWhenTheEnvelopeLacksIt) {
  bus::FakeEventBus bus;
  ASSERT_OK_AND_ASSIGN(auto subscription, SubscribeRecordingConsumer(bus, *record_, kConsumer));
  bus::Envelope resolved = IncidentEvent("incident.resolved", "evt-1", "inc-7");
  resolved.clear_incident_id();
  ASSERT_OK(bus.Publish(resolved));

  bus.DeliverPending();

  EXPECT_THAT(Rows(List("inc-7")), ElementsAre(ElementsAre("evt-1", "incident.resolved", "inc-7")));
}

TEST_F(EventRecordTest, ListsByIncidentOldestFirst) {
  bus::FakeEventBus bus;
  ASSERT_OK_AND_ASSIGN(auto subscription, SubscribeRecordingConsumer(bus, *record_, kConsumer));
  for (const auto& [type, event_id, incident_id] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"incident.opened", "evt-1", "inc-1"},
           {"incident.opened", "evt-2", "inc-2"},
           {"incident.resolved", "evt-3", "inc-1"},
           {"incident.resolved", "evt-4", "inc-2"}}) {
    ASSERT_OK(bus.Publish(IncidentEvent(type, event_id, incident_id)));
    bus.DeliverPending();
    clock_.Advance(absl::Seconds(1));
  }

  std::vector<ReceivedEvent> inc1 = List("inc-1");
  EXPECT_THAT(Rows(inc1), ElementsAre(ElementsAre("evt-1", "incident.opened", "inc-1"),
                                      ElementsAre("evt-3", "incident.resolved", "inc-1")));
  ASSERT_EQ(inc1.size(), 2u);
  EXPECT_EQ(inc1[1].receive_time - inc1[0].receive_time, absl::Seconds(2));
  EXPECT_THAT(Rows(List("")), ElementsAre(ElementsAre("evt-1", "incident.opened", "inc-1"),
                                          ElementsAre("evt-2", "incident.opened", "inc-2"),
                                          ElementsAre("evt-3", "incident.resolved", "inc-1"),
                                          ElementsAre("evt-4", "incident.resolved", "inc-2")));
  EXPECT_THAT(List("inc-unknown"), IsEmpty());
}

TEST_F(EventRecordTest, ListReturnsTheNewestThousand) {
  for (int i = 1; i <= kMaxListed + 1; ++i) {
    ASSERT_OK(record_->Record(
        kConsumer, IncidentEvent("incident.opened", "evt-" + std::to_string(i), "inc-1")));
  }

  std::vector<ReceivedEvent> events = List("inc-1");

  ASSERT_EQ(events.size(), static_cast<size_t>(kMaxListed));
  EXPECT_EQ(events.front().event_id, "evt-2");
  EXPECT_EQ(events.back().event_id, "evt-" + std::to_string(kMaxListed + 1));
}

}  // namespace
}  // namespace tocsin::event_record
