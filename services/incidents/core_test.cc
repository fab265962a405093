#include "services/incidents/core.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "libs/status/status_macros.h"
#include "services/incidents/sqlite_store.h"

namespace tocsin::incidents {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(std::string default_plan = "") {
    core_.reset();
    store_.reset();
    auto store = SqliteIncidentStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    core_ = std::make_unique<IncidentsCore>(
        store_.get(), &clock_, &ids_,
        IncidentsOptions{default_plan, [this] { ++commits_; }});
  }

  v1::Alarm CpuAlarm(const std::string& event_id,
                     v1::AlarmState state = v1::ALARM_STATE_ALARM) {
    v1::Alarm a;
    a.set_event_id(event_id);
    a.set_source("aws.cloudwatch");
    a.set_detail_type("CloudWatch Alarm State Change");
    a.set_account("123456789012");
    a.set_region("us-east-1");
    a.set_alarm_name("ServerCpuTooHigh");
    a.set_alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
    a.set_state(state);
    a.set_kind(v1::ALARM_KIND_METRIC);
    a.set_reason("Threshold Crossed");
    a.set_console_link("https://console.example/alarm/ServerCpuTooHigh");
    return a;
  }

  ResponsePlan CpuPlan(bool resolve_on_ok = true) {
    ResponsePlan p;
    p.set_name("cpu");
    p.mutable_match()->set_alarm_name_pattern("Server*");
    p.mutable_incident_template()->set_title("{alarm_name} in {region}");
    p.mutable_incident_template()->set_impact(2);
    p.mutable_incident_template()->set_summary("CPU is high: {reason}");
    p.add_engagements("alice");
    p.set_resolve_on_ok(resolve_on_ok);
    return p;
  }

  // Events in the outbox, by type, in commit order.
  std::vector<std::string> OutboxTypes() {
    std::vector<std::string> types;
    EXPECT_OK(store_->database()->Read([&]() -> absl::Status {
      ASSIGN_OR_RETURN(auto s, store_->database()->Prepare("SELECT type FROM outbox ORDER BY seq"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        types.push_back(s.ColumnText(0));
      }
      return absl::OkStatus();
    }));
    return types;
  }

  std::vector<std::string> TimelineTypes(const std::string& id) {
    std::vector<std::string> types;
    v1::ListTimelineEventsRequest r;
    r.set_incident_id(id);
    auto resp = core_->ListTimelineEvents(r);
    EXPECT_OK(resp);
    for (const auto& e : resp->events()) types.push_back(e.type());
    return types;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  int commits_ = 0;
  std::unique_ptr<SqliteIncidentStore> store_;
  std::unique_ptr<IncidentsCore> core_;
};

TEST_F(CoreTest, AlarmOpensIncidentFromPlanTemplate) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(CpuAlarm("e1")));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(r.response_plan(), "cpu");
  EXPECT_FALSE(r.duplicate());
  ASSERT_OK_AND_ASSIGN(Incident i, core_->GetIncident(r.incident_id()));
  EXPECT_EQ(i.title(), "ServerCpuTooHigh in us-east-1");
  EXPECT_EQ(i.summary(), "CPU is high: Threshold Crossed");
  EXPECT_EQ(i.impact(), 2);
  EXPECT_EQ(i.status(), v1::INCIDENT_STATUS_OPEN);
  EXPECT_EQ(i.dedupe_string(), CpuAlarm("x").alarm_arn());
  EXPECT_EQ(i.source(), "aws.cloudwatch");
  EXPECT_THAT(i.engagements(), ElementsAre("alice"));
  EXPECT_EQ(FromProtoTime(i.create_time()), clock_.Now());
  ASSERT_GE(i.related_items_size(), 2);
  EXPECT_EQ(i.related_items(0).value(), CpuAlarm("x").alarm_arn());
  EXPECT_THAT(i.related_items(1).value(), HasSubstr("/alarm/ServerCpuTooHigh"));
  EXPECT_THAT(OutboxTypes(), ElementsAre("incident.opened", "timeline.added"));
  EXPECT_THAT(TimelineTypes(i.id()), ElementsAre("incident.opened"));
  EXPECT_GE(commits_, 1);
}

TEST_F(CoreTest, SameEventIdTwiceChangesNothing) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto first, core_->IngestAlarm(CpuAlarm("e1")));
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(auto again, core_->IngestAlarm(CpuAlarm("e1")));
    EXPECT_TRUE(again.duplicate());
    EXPECT_EQ(again.outcome(), v1::INGEST_OUTCOME_OPENED);
    EXPECT_EQ(again.incident_id(), first.incident_id());
  }
  ASSERT_OK_AND_ASSIGN(auto list, core_->ListIncidents({}));
  EXPECT_EQ(list.incidents_size(), 1);
  EXPECT_THAT(OutboxTypes(), ElementsAre("incident.opened", "timeline.added"));
}

TEST_F(CoreTest, NewAlarmJoinsOpenIncidentWithSameDedupe) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto first, core_->IngestAlarm(CpuAlarm("e1")));
  ASSERT_OK_AND_ASSIGN(auto second, core_->IngestAlarm(CpuAlarm("e2")));
  EXPECT_EQ(second.outcome(), v1::INGEST_OUTCOME_JOINED);
  EXPECT_EQ(second.incident_id(), first.incident_id());
  ASSERT_OK_AND_ASSIGN(Incident i, core_->GetIncident(first.incident_id()));
  EXPECT_EQ(i.alarm_count(), 2);
  EXPECT_THAT(TimelineTypes(i.id()), ElementsAre("incident.opened", "alarm"));
  // The same alarm name in another account is another alarm.
  v1::Alarm other = CpuAlarm("e3");
  other.set_alarm_arn("arn:aws:cloudwatch:us-east-1:999999999999:alarm:ServerCpuTooHigh");
  ASSERT_OK_AND_ASSIGN(auto third, core_->IngestAlarm(other));
  EXPECT_EQ(third.outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_NE(third.incident_id(), first.incident_id());
}

TEST_F(CoreTest, OkResolvesWherePlanSaysSoAndNextAlarmOpensNewIncident) {
  ASSERT_OK(core_->CreatePlan(CpuPlan(/*resolve_on_ok=*/true)));
  ASSERT_OK_AND_ASSIGN(auto opened, core_->IngestAlarm(CpuAlarm("e1")));
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(auto ok, core_->IngestAlarm(CpuAlarm("e2", v1::ALARM_STATE_OK)));
  EXPECT_EQ(ok.outcome(), v1::INGEST_OUTCOME_RESOLVED);
  EXPECT_EQ(ok.incident_id(), opened.incident_id());
  ASSERT_OK_AND_ASSIGN(Incident i, core_->GetIncident(opened.incident_id()));
  EXPECT_EQ(i.status(), v1::INCIDENT_STATUS_RESOLVED);
  EXPECT_EQ(FromProtoTime(i.resolve_time()), clock_.Now());
  EXPECT_THAT(TimelineTypes(i.id()), ElementsAre("incident.opened", "incident.resolved"));
  EXPECT_THAT(OutboxTypes(), ElementsAre("incident.opened", "timeline.added",
                                         "incident.resolved", "timeline.added"));
  ASSERT_OK_AND_ASSIGN(auto again, core_->IngestAlarm(CpuAlarm("e3")));
  EXPECT_EQ(again.outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_NE(again.incident_id(), opened.incident_id());
}

TEST_F(CoreTest, OkWithoutResolveJoinsAndOkAloneIsIgnored) {
  ASSERT_OK(core_->CreatePlan(CpuPlan(/*resolve_on_ok=*/false)));
  ASSERT_OK_AND_ASSIGN(auto lone, core_->IngestAlarm(CpuAlarm("e0", v1::ALARM_STATE_OK)));
  EXPECT_EQ(lone.outcome(), v1::INGEST_OUTCOME_IGNORED);
  EXPECT_THAT(lone.detail(), HasSubstr("no open incident"));
  ASSERT_OK_AND_ASSIGN(auto opened, core_->IngestAlarm(CpuAlarm("e1")));
  ASSERT_OK_AND_ASSIGN(auto ok, core_->IngestAlarm(CpuAlarm("e2", v1::ALARM_STATE_OK)));
  EXPECT_EQ(ok.outcome(), v1::INGEST_OUTCOME_JOINED);
  ASSERT_OK_AND_ASSIGN(Incident i, core_->GetIncident(opened.incident_id()));
  EXPECT_EQ(i.status(), v1::INCIDENT_STATUS_OPEN);
}

TEST_F(CoreTest, InsufficientDataNeitherOpensNorResolvesByDefault) {
  ResponsePlan plan = CpuPlan();
  ASSERT_OK(core_->CreatePlan(plan));
  ASSERT_OK_AND_ASSIGN(auto r,
                       core_->IngestAlarm(CpuAlarm("e1", v1::ALARM_STATE_INSUFFICIENT_DATA)));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_IGNORED);
  ASSERT_OK_AND_ASSIGN(auto opened, core_->IngestAlarm(CpuAlarm("e2")));
  ASSERT_OK_AND_ASSIGN(r, core_->IngestAlarm(CpuAlarm("e3", v1::ALARM_STATE_INSUFFICIENT_DATA)));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_JOINED);
  ASSERT_OK_AND_ASSIGN(Incident i, core_->GetIncident(opened.incident_id()));
  EXPECT_EQ(i.status(), v1::INCIDENT_STATUS_OPEN);

  plan.set_open_on_insufficient_data(true);
  plan.set_name("cpu-strict");
  plan.set_priority(-1);
  ASSERT_OK(core_->CreatePlan(plan));
  v1::Alarm other = CpuAlarm("e4", v1::ALARM_STATE_INSUFFICIENT_DATA);
  other.set_alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuOther");
  ASSERT_OK_AND_ASSIGN(r, core_->IngestAlarm(other));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(r.response_plan(), "cpu-strict");
}

TEST_F(CoreTest, ConfigurationChangeAndMutedAlarmsOpenNothing) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::Alarm change = CpuAlarm("e1", v1::ALARM_STATE_UNSPECIFIED);
  change.set_kind(v1::ALARM_KIND_CONFIGURATION_CHANGE);
  change.set_detail_type("CloudWatch Alarm Configuration Change");
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(change));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_IGNORED);
  v1::Alarm muted = CpuAlarm("e2");
  muted.set_muted(true);
  ASSERT_OK_AND_ASSIGN(r, core_->IngestAlarm(muted));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_IGNORED);
  EXPECT_THAT(r.detail(), HasSubstr("muted"));
  v1::Alarm suppressed = CpuAlarm("e3");
  suppressed.set_kind(v1::ALARM_KIND_COMPOSITE);
  suppressed.set_actions_suppressed_by("Alarm");
  ASSERT_OK_AND_ASSIGN(r, core_->IngestAlarm(suppressed));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_IGNORED);
  ASSERT_OK_AND_ASSIGN(auto list, core_->ListIncidents({}));
  EXPECT_EQ(list.incidents_size(), 0);
  EXPECT_TRUE(OutboxTypes().empty());
}

TEST_F(CoreTest, UnmatchedAlarmIsKeptAndListedOrGoesToDefaultPlan) {
  v1::Alarm alarm = CpuAlarm("e1");
  alarm.set_alarm_name("DiskFull");
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(alarm));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_UNMATCHED);
  ASSERT_OK_AND_ASSIGN(auto unmatched, core_->ListUnmatchedAlarms({}));
  ASSERT_EQ(unmatched.alarms_size(), 1);
  EXPECT_EQ(unmatched.alarms(0).alarm().event_id(), "e1");

  ResponsePlan fallback = CpuPlan();
  fallback.set_name("catch-all");
  fallback.mutable_match()->set_alarm_name_pattern("NeverMatches");
  ASSERT_OK(core_->CreatePlan(fallback));
  Reopen("catch-all");
  alarm.set_event_id("e2");
  ASSERT_OK_AND_ASSIGN(r, core_->IngestAlarm(alarm));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(r.response_plan(), "catch-all");
}

TEST_F(CoreTest, BadAlarmsAreRefusedWithTheField) {
  v1::Alarm a = CpuAlarm("");
  EXPECT_THAT(core_->IngestAlarm(a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
  a = CpuAlarm("e1");
  a.clear_alarm_arn();
  EXPECT_THAT(core_->IngestAlarm(a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alarm_arn")));
  a = CpuAlarm("e1", v1::ALARM_STATE_UNSPECIFIED);
  EXPECT_THAT(core_->IngestAlarm(a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state")));
}

TEST_F(CoreTest, StateSurvivesReopeningTheDatabase) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto first, core_->IngestAlarm(CpuAlarm("e1")));
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto again, core_->IngestAlarm(CpuAlarm("e1")));
  EXPECT_TRUE(again.duplicate());
  ASSERT_OK_AND_ASSIGN(auto joined, core_->IngestAlarm(CpuAlarm("e2")));
  EXPECT_EQ(joined.incident_id(), first.incident_id());
}

TEST_F(CoreTest, StartIncidentIsIdempotentByClientToken) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::StartIncidentRequest req;
  req.set_client_token("tok-1");
  req.set_response_plan("cpu");
  req.set_title("Checkout is down");
  ASSERT_OK_AND_ASSIGN(Incident a, core_->StartIncident(req));
  ASSERT_OK_AND_ASSIGN(Incident b, core_->StartIncident(req));
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.title(), "Checkout is down");
  EXPECT_EQ(a.impact(), 2);
  req.set_client_token("tok-2");
  req.set_response_plan("nope");
  EXPECT_THAT(core_->StartIncident(req),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"nope\"")));
  req.clear_client_token();
  EXPECT_THAT(core_->StartIncident(req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client_token")));
}

TEST_F(CoreTest, UpdateAndResolveAreAuditedOnceAndValidated) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(CpuAlarm("e1")));
  v1::UpdateIncidentRequest up;
  up.set_id(r.incident_id());
  up.set_impact(1);
  up.set_author("cli:bob");
  ASSERT_OK_AND_ASSIGN(Incident i, core_->UpdateIncident(up));
  EXPECT_EQ(i.impact(), 1);
  EXPECT_EQ(i.version(), 2);
  up.set_impact(9);
  EXPECT_THAT(core_->UpdateIncident(up),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 9")));
  v1::ResolveIncidentRequest res;
  res.set_id(r.incident_id());
  res.set_note("rolled back");
  res.set_author("cli:bob");
  ASSERT_OK_AND_ASSIGN(i, core_->ResolveIncident(res));
  EXPECT_EQ(i.status(), v1::INCIDENT_STATUS_RESOLVED);
  ASSERT_OK_AND_ASSIGN(Incident again, core_->ResolveIncident(res));
  EXPECT_EQ(again.version(), i.version());
  EXPECT_THAT(TimelineTypes(i.id()),
              ElementsAre("incident.opened", "incident.updated", "incident.resolved"));
  res.set_id("inc-missing");
  EXPECT_THAT(core_->ResolveIncident(res),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("inc-missing")));
}

TEST_F(CoreTest, TimelineEntryWithSourceEventIdIsWrittenOnce) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(CpuAlarm("e1")));
  v1::AddTimelineEventRequest add;
  add.set_incident_id(r.incident_id());
  add.set_type("page.sent");
  add.set_message("Paged alice by email");
  add.set_source_event_id("evt-page-1");
  ASSERT_OK_AND_ASSIGN(auto a, core_->AddTimelineEvent(add));
  ASSERT_OK_AND_ASSIGN(auto b, core_->AddTimelineEvent(add));
  EXPECT_EQ(a.id(), b.id());
  EXPECT_THAT(TimelineTypes(r.incident_id()), ElementsAre("incident.opened", "page.sent"));
  add.set_data_json("{not json");
  EXPECT_THAT(core_->AddTimelineEvent(add),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("data_json")));
}

TEST_F(CoreTest, PlansAreVersionedAndValidated) {
  ASSERT_OK_AND_ASSIGN(ResponsePlan p, core_->CreatePlan(CpuPlan()));
  EXPECT_EQ(p.version(), 1);
  EXPECT_THAT(core_->CreatePlan(CpuPlan()),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  ResponsePlan changed = CpuPlan();
  changed.mutable_incident_template()->set_impact(1);
  ASSERT_OK_AND_ASSIGN(p, core_->UpdatePlan(changed, 1));
  EXPECT_EQ(p.version(), 2);
  EXPECT_THAT(core_->UpdatePlan(changed, 1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("version 2")));
  changed.mutable_incident_template()->set_impact(6);
  EXPECT_THAT(core_->UpdatePlan(changed, 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                                      HasSubstr("impact")));
  changed.mutable_incident_template()->set_impact(0);
  ASSERT_OK_AND_ASSIGN(p, core_->UpdatePlan(changed, 0));
  EXPECT_EQ(p.incident_template().impact(), 3);  // the default
  ASSERT_OK_AND_ASSIGN(auto plans, core_->ListPlans());
  EXPECT_EQ(plans.size(), 1u);
  ASSERT_OK(core_->DeletePlan("cpu"));
  EXPECT_THAT(core_->GetPlan("cpu"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("cpu")));
}

TEST_F(CoreTest, ListIncidentsFiltersAndPages) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  for (int n = 0; n < 5; ++n) {
    v1::Alarm a = CpuAlarm("e" + std::to_string(n));
    a.set_alarm_arn(a.alarm_arn() + std::to_string(n));
    ASSERT_OK(core_->IngestAlarm(a));
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListIncidentsRequest req;
  req.set_page_size(2);
  std::vector<std::string> ids;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, core_->ListIncidents(req));
    for (const auto& i : page.incidents()) ids.push_back(i.id());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  v1::ListIncidentsRequest resolved;
  resolved.set_status(v1::INCIDENT_STATUS_RESOLVED);
  ASSERT_OK_AND_ASSIGN(auto none, core_->ListIncidents(resolved));
  EXPECT_EQ(none.incidents_size(), 0);
}

}  // namespace
}  // namespace tocsin::incidents
