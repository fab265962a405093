#include "services/incidents/reported_events.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "services/incidents/sqlite_store.h"

namespace tocsin::incidents {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class ReportedEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteIncidentStore::Open(
        std::string(std::getenv("TEST_TMPDIR")) + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db",
        &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    core_ = std::make_unique<IncidentsCore>(store_.get(), &clock_, &ids_, IncidentsOptions{});
    v1::StartIncidentRequest start;
    start.set_client_token("t1");
    start.set_response_plan("p");
    ResponsePlan plan;
    plan.set_name("p");
    ASSERT_OK(core_->CreatePlan(plan));
    ASSERT_OK_AND_ASSIGN(Incident incident, core_->StartIncident(start));
    incident_id_ = incident.id();
  }

  template <typename T>
  Envelope Event(const std::string& id, const events::EventType<T>& type, const T& payload) {
    Envelope e;
    e.set_event_id(id);
    e.set_type(type.name);
    e.set_source("escalation");
    e.set_incident_id(incident_id_);
    e.mutable_payload()->PackFrom(payload);
    return e;
  }

  std::vector<std::string> Messages() {
    v1::ListTimelineEventsRequest r;
    r.set_incident_id(incident_id_);
    auto list = core_->ListTimelineEvents(r);
    EXPECT_OK(list);
    std::vector<std::string> out;
    for (const auto& e : list->events()) {
      if (e.type() != events::kIncidentOpened.name) out.push_back(e.message());
    }
    return out;
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::unique_ptr<SqliteIncidentStore> store_;
  std::unique_ptr<IncidentsCore> core_;
  std::string incident_id_;
};

TEST_F(ReportedEventsTest, EachReportedEventIsOneTimelineEntryEvenWhenRedelivered) {
  escalation::v1::EngagementStageStarted stage;
  stage.mutable_engagement()->set_contact("alice");
  stage.set_stage(0);
  stage.set_channel("work-email");
  stage.set_page_id("pg-1");
  paging::v1::PageAcknowledged ack;
  ack.mutable_page()->set_id("pg-1");
  ack.mutable_page()->set_contact("alice");
  ack.mutable_page()->set_acked_by("cli:alice");
  ack.mutable_page()->mutable_channel()->set_name("work-email");
  ack.mutable_page()->mutable_channel()->mutable_email()->set_address("alice@example.com");
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(RecordReportedEvent(*core_, Event("evt-a", events::kEngagementStageStarted, stage)));
    ASSERT_OK(RecordReportedEvent(*core_, Event("evt-b", events::kPageAcknowledged, ack)));
  }
  EXPECT_THAT(Messages(),
              ElementsAre("Paging alice on work-email (stage 1, page pg-1)",
                          "Acknowledged by cli:alice (page pg-1 to alice via work-email "
                          "(email alice@example.com))"));
}

TEST_F(ReportedEventsTest, UnknownIncidentIsSkippedAndWrongPayloadIsRefused) {
  escalation::v1::EngagementStopped stopped;
  Envelope e = Event("evt-c", events::kEngagementStopped, stopped);
  e.set_incident_id("inc-unknown");
  EXPECT_OK(RecordReportedEvent(*core_, e));
  Envelope wrong = Event("evt-d", events::kEngagementStopped, stopped);
  wrong.set_type(events::kPageDelivered.name);
  EXPECT_THAT(RecordReportedEvent(*core_, wrong),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PageDelivered")));
  EXPECT_TRUE(Messages().empty());
}

TEST_F(ReportedEventsTest, EngagementsReadAsTheirDetailFailuresAndStopsWithReasons) {
  escalation::v1::EngagementStarted started;
  started.mutable_engagement()->set_contact("sre");
  started.mutable_engagement()->mutable_contact_snapshot()->set_type(
      escalation::v1::CONTACT_TYPE_ESCALATION);
  started.mutable_engagement()->mutable_contact_snapshot()->mutable_escalation_plan()->add_stages();
  started.mutable_engagement()->set_sender("bob");
  started.mutable_engagement()->set_subject("Disk full");
  escalation::v1::EngagementStageStarted nobody;
  nobody.mutable_engagement()->set_contact("primary");
  nobody.set_detail("sre, stage 2: schedule primary has nobody on call: coverage of rotation "
                    "tokyo ended FRI 17:00 Asia/Tokyo");
  escalation::v1::EngagementStageStarted paged;
  paged.mutable_engagement()->set_contact("alice");
  paged.set_channel("phone");
  paged.set_page_id("pg-2");
  paged.set_detail("alice, stage 1 of 2: paging phone (sms); not paging call (voice): deactivated");
  paging::v1::PageFailed failed;
  failed.mutable_page()->set_id("pg-2");
  failed.mutable_page()->set_contact("alice");
  failed.mutable_page()->mutable_channel()->set_name("phone");
  failed.mutable_page()->mutable_channel()->mutable_sms()->set_number("+81312345678");
  failed.set_error("no SMS provider configured");
  failed.set_final(true);
  escalation::v1::EngagementStopped stopped;
  stopped.mutable_engagement()->set_contact("bob");
  stopped.mutable_engagement()->set_state(escalation::v1::ENGAGEMENT_STATE_STOPPED);
  stopped.mutable_engagement()->set_stop_reason("stopped by hand: handled in chat");
  escalation::v1::EngagementStopped acked = stopped;
  acked.mutable_engagement()->set_contact("sre");
  acked.mutable_engagement()->set_state(escalation::v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  acked.mutable_engagement()->set_stop_reason("acknowledged by alice (page pg-2)");
  ASSERT_OK(RecordReportedEvent(*core_, Event("e1", events::kEngagementStarted, started)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("e2", events::kEngagementStageStarted, nobody)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("e3", events::kEngagementStageStarted, paged)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("e4", events::kPageFailed, failed)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("e5", events::kEngagementStopped, stopped)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("e6", events::kEngagementStopped, acked)));
  EXPECT_THAT(
      Messages(),
      ElementsAre(
          "Engaging escalation plan sre (1 stages), by hand by bob: Disk full",
          "sre, stage 2: schedule primary has nobody on call: coverage of rotation tokyo ended "
          "FRI 17:00 Asia/Tokyo",
          "alice, stage 1 of 2: paging phone (sms); not paging call (voice): deactivated (page "
          "pg-2)",
          "Delivery of page pg-2 to alice via phone (sms +81312345678) failed: no SMS provider "
          "configured (no more retries)",
          "Engagement of bob stopped: stopped by hand: handled in chat",
          "Engagement of sre acknowledged: acknowledged by alice (page pg-2)"));
}

TEST_F(ReportedEventsTest, HeldPagesDigestsAndFallThroughsSayWhatHappens) {
  paging::v1::PageHeld held;
  held.mutable_page()->set_id("pg-3");
  held.mutable_page()->set_contact("alice");
  held.mutable_page()->mutable_channel()->set_name("phone");
  held.mutable_page()->mutable_channel()->mutable_sms()->set_number("+81312345678");
  held.set_reason("SMS limit 5 per 15 min reached");
  *held.mutable_until() = ToProtoTime(absl::FromUnixSeconds(1796000000 + 37320));  // 11:15 UTC
  paging::v1::PageDelivered in_digest;
  *in_digest.mutable_page() = held.page();
  in_digest.mutable_page()->set_digest_of("pg-1");
  paging::v1::PageFailed fell;
  *fell.mutable_page() = held.page();
  fell.set_error("twilio is degraded (3 failures in 5m): paging alice's next channel");
  fell.set_final(false);  // as paging sends it: retried
  fell.set_fall_through(true);
  ASSERT_OK(RecordReportedEvent(*core_, Event("h1", events::kPageHeld, held)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("h2", events::kPageDelivered, in_digest)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("h3", events::kPageFailed, fell)));
  EXPECT_THAT(Messages(),
              ElementsAre("Holding page pg-3 to alice via phone (sms +81312345678): SMS limit 5 "
                          "per 15 min reached; sends with what else is held at 11:15 UTC",
                          "Delivered page pg-3 to alice via phone (sms +81312345678) (sent in "
                          "digest with page pg-1)",
                          "Delivery of page pg-3 to alice via phone (sms +81312345678) failed: "
                          "twilio is degraded (3 failures in 5m): paging alice's next channel "
                          "(will retry; paging the next channel)"));
  EXPECT_THAT(ReportedPageTypes(), ::testing::Contains(std::string("page.held")));
}

TEST_F(ReportedEventsTest, EventsAboutNoIncidentAreOnNoTimelineAndNeverBlock) {
  escalation::v1::EngagementStarted started;
  started.mutable_engagement()->set_contact("alice");
  Envelope e = Event("evt-x", events::kEngagementStarted, started);
  e.set_incident_id("");
  EXPECT_OK(RecordReportedEvent(*core_, e));
  paging::v1::PageDelivered delivered;
  Envelope page = Event("evt-y", events::kPageDelivered, delivered);
  page.set_incident_id("");
  EXPECT_OK(RecordReportedEvent(*core_, page));
  EXPECT_TRUE(Messages().empty());
}

TEST_F(ReportedEventsTest, RunbookProgressIsOnTheTimeline) {
  runbook::v1::ExecutionStarted started;
  auto* x = started.mutable_execution();
  x->set_id("exe-1");
  x->set_runbook("db");
  x->set_version(2);
  x->set_started_by("plan:web");
  x->add_steps()->set_name("assess");
  runbook::v1::StepChanged changed;
  changed.set_summary("Runbook db step assess (tocsin:manual) waits for a person: look");
  runbook::v1::Notified notified;
  notified.set_message("Failing over");
  runbook::v1::ExecutionFinished finished;
  *finished.mutable_execution() = *x;
  finished.mutable_execution()->set_state(runbook::v1::EXECUTION_STATE_FAILED);
  finished.mutable_execution()->set_error("step assess timed out");
  ASSERT_OK(RecordReportedEvent(*core_, Event("r1", events::kRunbookExecutionStarted, started)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("r2", events::kRunbookStepChanged, changed)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("r2", events::kRunbookStepChanged, changed)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("r3", events::kRunbookNotified, notified)));
  ASSERT_OK(RecordReportedEvent(*core_, Event("r4", events::kRunbookExecutionFinished, finished)));
  EXPECT_THAT(Messages(),
              ElementsAre("Runbook db v2 started by plan:web (execution exe-1, 1 steps)",
                          "Runbook db step assess (tocsin:manual) waits for a person: look",
                          "Failing over",
                          "Runbook db v2 (exe-1) failed: step assess timed out"));
}

}  // namespace
}  // namespace tocsin::incidents
