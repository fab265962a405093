#include "libs/event_record/recording_service_test_suite.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/event_record/service_under_test.h"
#include "libs/event_record/test_events.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::event_record {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

}  // namespace

void RecordingServiceTest::SetUp() {
  const std::string& name = GetParam().service;
  ASSERT_OK_AND_ASSIGN(
      service_, RecordingServiceUnderTest::Start(absl::StrCat("services/", name, "/", name)));
}

std::vector<std::string> RecordingServiceTest::Received(const std::string& incident_id) {
  auto events = GetParam().read(service_->grpc_address(), incident_id);
  if (!events.ok()) return {events.status().ToString()};
  std::vector<std::string> rows;
  for (const ReceivedEvent& e : *events) {
    EXPECT_GT(e.receive_time, absl::UnixEpoch()) << e.event_id;
    rows.push_back(e.event_id + " " + e.type + " " + e.incident_id);
  }
  return rows;
}

absl::Status RecordingServiceTest::WaitForRecorded(const std::string& event_id,
                                                   absl::Duration timeout) {
  return testing::WaitFor(
      [&] {
        for (const std::string& row : Received("")) {
          if (row.rfind(event_id + " ", 0) == 0) return true;
        }
        return false;
      },
      timeout);
}

namespace {

TEST_P(RecordingServiceTest, RecordsEachIncidentEventOnce) {
  const bus::Envelope opened = IncidentEvent("incident.opened", "evt-1", "inc-1");
  ASSERT_OK(service_->Publish(opened));
  ASSERT_OK(service_->Publish(opened));
  ASSERT_OK(service_->PublishAgain(opened));
  ASSERT_OK(service_->Publish(IncidentEvent("incident.resolved", "evt-2", "inc-1")));

  ASSERT_OK(WaitForRecorded("evt-2")) << service_->Log();
  EXPECT_THAT(Received("inc-1"),
              ElementsAre("evt-1 incident.opened inc-1", "evt-2 incident.resolved inc-1"));
  EXPECT_THAT(Received(""),
              ElementsAre("evt-1 incident.opened inc-1", "evt-2 incident.resolved inc-1"));
  EXPECT_THAT(Received("inc-2"), IsEmpty());
  // evt-1 did reach the service twice: the inbox kept the second one out.
  ASSERT_OK_AND_ASSIGN(http::HttpClientResponse metrics, service_->Metrics());
  EXPECT_THAT(metrics.body,
              HasSubstr(absl::StrCat(
                  "tocsin_", GetParam().service,
                  R"(_events_received_total{outcome="duplicate",type="incident.opened"} 1)")));
}

TEST_P(RecordingServiceTest, KeepsItsRecordThroughACrash) {
  const bus::Envelope opened = IncidentEvent("incident.opened", "evt-1", "inc-1");
  ASSERT_OK(service_->Publish(opened));
  ASSERT_OK(WaitForRecorded("evt-1")) << service_->Log();

  service_->KillService();
  ASSERT_OK(service_->Publish(IncidentEvent("incident.resolved", "evt-2", "inc-1")));
  ASSERT_OK(service_->StartService());
  ASSERT_OK(service_->PublishAgain(opened));
  ASSERT_OK(service_->Publish(IncidentEvent("incident.opened", "evt-3", "inc-2")));

  // The server may have handed evt-2 to the killed process's last fetch; it
  // comes back after the consumer's ack_wait, so it can arrive after evt-3.
  const absl::Duration redelivery = bus::ConsumerOptions().ack_wait + kWait;
  ASSERT_OK(WaitForRecorded("evt-3")) << service_->Log();
  ASSERT_OK(WaitForRecorded("evt-2", redelivery)) << service_->Log();
  EXPECT_THAT(Received(""),
              UnorderedElementsAre("evt-1 incident.opened inc-1", "evt-2 incident.resolved inc-1",
                                   "evt-3 incident.opened inc-2"));
}

TEST_P(RecordingServiceTest, StartsWithoutTheBusAndConsumesOnceItIsUp) {
  service_->KillService();
  service_->KillBus();
  ASSERT_OK(service_->StartService());
  ASSERT_OK_AND_ASSIGN(http::HttpClientResponse not_ready, service_->Readiness());
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_THAT(not_ready.body, HasSubstr("bus"));

  ASSERT_OK(service_->RestartBus());
  ASSERT_OK(service_->WaitReady());
  const bus::Envelope opened = IncidentEvent("incident.opened", "evt-1", "inc-1");
  ASSERT_OK(testing::WaitFor([&] { return service_->Publish(opened).ok(); }, kWait));

  ASSERT_OK(WaitForRecorded("evt-1")) << service_->Log();
  EXPECT_THAT(Received("inc-1"), ElementsAre("evt-1 incident.opened inc-1"));
}

}  // namespace
}  // namespace tocsin::event_record
