// Post-incident analysis end to end, with every real service binary: an
// alarm through the gateway opens an incident under a plan that engages a
// person (a real webhook receiver), runs the built-in runbook and names its
// own analysis template; the page is acknowledged, the incident marked
// mitigated with the CLI, a note added and the incident resolved. The
// postmortem service makes the analysis by itself, once, with the complete
// timeline from every service and the incident's metrics; redelivering
// incident.resolved changes nothing. Second case: the postmortem service is
// killed with SIGKILL again and again while the analysis is being made:
// afterwards there is exactly one, and it is complete.
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "nats/nats.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
namespace ev1 = ::tocsin::escalation::v1;
namespace pmv1 = ::tocsin::postmortem::v1;

class PostmortemE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(alice_, testing::HttpReceiver::Start("/alice"));
    SuiteOptions options;
    options.paging_path = true;
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start(options));
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }

  // alice (a webhook), a team template, and plan cpu that engages alice,
  // runs the built-in runbook and names the template.
  void Configure(bool with_engagement) {
    ev1::ApplyRequest apply;
    ev1::Contact* alice = apply.add_contacts();
    alice->set_name("alice");
    auto* channel = alice->add_channels();
    channel->set_name("hook");
    channel->mutable_webhook()->set_url(alice_->url());
    ev1::ApplyResponse applied;
    grpc::Status s = suite_->contacts().Apply(Ctx().get(), apply, &applied);
    ASSERT_TRUE(s.ok()) << s.error_message();

    pmv1::SaveTemplateRequest save;
    pmv1::Template* t = save.mutable_template_();
    t->set_name("cpu-review");
    pmv1::Section* section = t->add_sections();
    section->set_id("capacity");
    section->set_title("Capacity");
    pmv1::Question* q = section->add_questions();
    q->set_id("enough-headroom");
    q->set_text("Was there enough headroom?");
    q->set_type(pmv1::QUESTION_TYPE_YES_NO);
    save.set_author("cli:e2e");
    pmv1::SaveTemplateResponse saved;
    s = suite_->postmortem().SaveTemplate(Ctx().get(), save, &saved);
    ASSERT_TRUE(s.ok()) << s.error_message();

    incidents::v1::ResponsePlan plan;
    plan.set_name("cpu");
    plan.mutable_match()->set_alarm_name_pattern("ServerCpu*");
    plan.mutable_incident_template()->set_title("{alarm_name} is {state}");
    plan.mutable_incident_template()->set_impact(2);
    if (with_engagement) {
      plan.add_engagements("alice");
      plan.mutable_runbook()->set_name("Tocsin-IncidentResponse");
    }
    plan.set_post_incident_template("cpu-review");
    ASSERT_OK(suite_->CreatePlan(plan));
  }

  std::string Open(const std::string& event_id) {
    auto posted = suite_->PostEventBridge(AlarmEvent(event_id));
    if (!posted.ok() || posted->status != 200) return "";
    return nlohmann::json::parse(posted->body)["results"][0].value("incidentId", "");
  }

  std::vector<pmv1::Analysis> Analyses(const std::string& incident_id) {
    pmv1::ListAnalysesRequest r;
    r.set_incident_id(incident_id);
    pmv1::ListAnalysesResponse resp;
    if (!suite_->postmortem().ListAnalyses(Ctx().get(), r, &resp).ok()) return {};
    return {resp.analyses().begin(), resp.analyses().end()};
  }

  pmv1::Analysis Get(const std::string& id) {
    pmv1::GetAnalysisRequest r;
    r.set_id(id);
    pmv1::Analysis a;
    grpc::Status s = suite_->postmortem().GetAnalysis(Ctx().get(), r, &a);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return a;
  }

  int TimelineCount(const std::string& incident, const std::string& type) {
    auto t = suite_->Timeline(incident);
    int n = 0;
    if (t.ok()) {
      for (const auto& e : *t) n += e.type() == type;
    }
    return n;
  }

  std::unique_ptr<testing::HttpReceiver> alice_;
  std::unique_ptr<Suite> suite_;
};

TEST_F(PostmortemE2E, AResolvedIncidentGetsOneCompleteAnalysisFromEveryServicesTimeline) {
  Configure(/*with_engagement=*/true);
  const std::string incident = Open("ev-pm-1");
  ASSERT_FALSE(incident.empty());

  // The page reaches alice; she acknowledges it.
  ASSERT_OK(alice_->WaitForCount(1, absl::Seconds(60)));
  auto hook = nlohmann::json::parse(alice_->Requests()[0].body);
  paging::v1::AcceptPageRequest accept;
  accept.set_page_id(hook["pageId"].get<std::string>());
  accept.set_accept_code(hook["acceptCode"].get<std::string>());
  accept.set_author("alice");
  paging::v1::Page accepted;
  ASSERT_TRUE(suite_->paging().AcceptPage(Ctx().get(), accept, &accepted).ok());
  // The runbook started and its first step waits (on the timeline).
  ASSERT_OK(testing::WaitFor(
      [&] {
        return TimelineCount(incident, "page.acknowledged") == 1 &&
               TimelineCount(incident, "runbook.step.changed") >= 1;
      },
      absl::Seconds(60)));

  ASSERT_OK_AND_ASSIGN(CliResult mark,
                       suite_->RunCli({"incidents", "mark", incident, "mitigated", "--note",
                                       "traffic moved to the standby"}));
  ASSERT_EQ(mark.exit_code, 0) << mark.output;
  EXPECT_THAT(mark.output, HasSubstr("marked mitigated"));
  // Marking again keeps the first mark.
  ASSERT_OK_AND_ASSIGN(mark, suite_->RunCli({"incidents", "mark", incident, "mitigated"}));
  ASSERT_EQ(mark.exit_code, 0) << mark.output;
  incidents::v1::AddTimelineEventRequest note;
  note.set_incident_id(incident);
  note.set_type("note");
  note.set_message("Chat: scaling the fleet by two");
  note.set_author("slack:alice");
  incidents::v1::TimelineEvent added;
  ASSERT_TRUE(suite_->incidents().AddTimelineEvent(Ctx().get(), note, &added).ok());
  ASSERT_OK_AND_ASSIGN(CliResult resolve,
                       suite_->RunCli({"incidents", "resolve", incident, "--note", "fixed"}));
  ASSERT_EQ(resolve.exit_code, 0) << resolve.output;

  ASSERT_OK(testing::WaitFor([&] { return Analyses(incident).size() == 1; }, absl::Seconds(60)));
  pmv1::Analysis a = Get(Analyses(incident)[0].id());
  EXPECT_EQ(a.created_by(), "auto");
  EXPECT_EQ(a.template_().name(), "cpu-review");
  EXPECT_EQ(a.state(), pmv1::ANALYSIS_STATE_DRAFT);
  std::set<std::string> types;
  for (const auto& e : a.timeline()) types.insert(e.type());
  for (const char* type :
       {"incident.opened", "engagement.started", "engagement.stage_started", "page.sent",
        "page.delivered", "page.acknowledged", "runbook.execution.started",
        "runbook.step.changed", "mark", "note", "incident.resolved"}) {
    EXPECT_THAT(types, Contains(type)) << ::testing::PrintToString(types);
  }
  int marks = 0;
  for (const auto& e : a.timeline()) marks += e.type() == "mark";
  EXPECT_EQ(marks, 1);
  const pmv1::Metrics& m = a.metrics();
  EXPECT_TRUE(m.has_time_to_detect_seconds());  // the fixture's alarm changed state long ago
  EXPECT_GT(m.time_to_detect_seconds(), 0);
  ASSERT_TRUE(m.has_time_to_engage_seconds());
  ASSERT_TRUE(m.has_time_to_acknowledge_seconds());
  ASSERT_TRUE(m.has_time_to_mitigate_seconds());
  ASSERT_TRUE(m.has_time_to_resolve_seconds());
  EXPECT_LE(m.time_to_engage_seconds(), m.time_to_acknowledge_seconds());
  EXPECT_LE(m.time_to_acknowledge_seconds(), m.time_to_mitigate_seconds());
  EXPECT_LE(m.time_to_mitigate_seconds(), m.time_to_resolve_seconds());
  EXPECT_LT(m.time_to_resolve_seconds(), 300);
  EXPECT_EQ(m.pages(), 1);
  EXPECT_EQ(m.people_engaged(), 1);
  EXPECT_EQ(m.stages_reached(), 1);
  EXPECT_EQ(m.alarms(), 1);
  ASSERT_EQ(a.people_size(), 1);
  EXPECT_EQ(a.people(0).contact(), "alice");
  EXPECT_EQ(a.people(0).acknowledged_by(), "alice");
  EXPECT_THAT(a.people(0).channels(), Contains("webhook"));

  // incident.resolved delivered again (a redelivery after a crash, a replay):
  // still one analysis.
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, suite_->nats_url().c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  bus::Envelope resolved;
  resolved.set_type("incident.resolved");
  resolved.set_source("incidents");
  resolved.set_incident_id(incident);
  incidents::v1::IncidentResolved payload;
  *payload.mutable_incident() = a.incident();
  resolved.mutable_payload()->PackFrom(payload);
  // Each with an event id of its own, so none is taken for a duplicate of
  // the message before the service sees it.
  for (int i = 0; i < 20; ++i) {
    resolved.set_event_id(absl::StrCat("evt-again-", i));
    const std::string data = resolved.SerializeAsString();
    ASSERT_EQ(js_Publish(nullptr, js, "tocsin.incident.resolved", data.data(),
                         static_cast<int>(data.size()), nullptr, nullptr),
              NATS_OK);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  // Wait until the postmortem service has handled all of them (its record
  // lists each event after the analysis step), then look again.
  ASSERT_OK(testing::WaitFor(
      [&] {
        pmv1::ListReceivedEventsRequest r;
        r.set_incident_id(incident);
        pmv1::ListReceivedEventsResponse resp;
        if (!suite_->postmortem().ListReceivedEvents(Ctx().get(), r, &resp).ok()) return false;
        int again = 0;
        for (const auto& e : resp.events()) again += absl::StartsWith(e.event_id(), "evt-again-");
        return again == 20;
      },
      absl::Seconds(60)));
  EXPECT_EQ(Analyses(incident).size(), 1u);

  // The CLI's export: Markdown with the metrics table and the template's question.
  ASSERT_OK_AND_ASSIGN(CliResult exported,
                       suite_->RunCli({"postmortems", "export", a.id()}));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_THAT(exported.output, HasSubstr("Was there enough headroom?"));
  EXPECT_THAT(exported.output, HasSubstr("| Time to acknowledge |"));
}

TEST_F(PostmortemE2E, KilledWhileMakingTheAnalysisLeavesExactlyOneCompleteAnalysis) {
  Configure(/*with_engagement=*/false);
  const std::string incident = Open("ev-pm-2");
  ASSERT_FALSE(incident.empty());
  suite_->KillService("postmortem");
  ASSERT_OK_AND_ASSIGN(CliResult resolve, suite_->RunCli({"incidents", "resolve", incident}));
  ASSERT_EQ(resolve.exit_code, 0) << resolve.output;
  // Start and kill it at different moments of its start and of the work on
  // incident.resolved, then let it run.
  for (int delay_ms : {0, 20, 50, 100, 200, 400}) {
    ASSERT_OK(suite_->StartService("postmortem"));
    absl::SleepFor(absl::Milliseconds(delay_ms));
    suite_->KillService("postmortem");
  }
  ASSERT_OK(suite_->StartService("postmortem"));
  ASSERT_OK(testing::WaitFor([&] { return Analyses(incident).size() == 1; }, absl::Seconds(60)));
  // Nothing more comes.
  absl::SleepFor(absl::Seconds(2));
  std::vector<pmv1::Analysis> all = Analyses(incident);
  ASSERT_EQ(all.size(), 1u);
  pmv1::Analysis a = Get(all[0].id());
  EXPECT_EQ(a.created_by(), "auto");
  EXPECT_EQ(a.incident().status(), incidents::v1::INCIDENT_STATUS_RESOLVED);
  ASSERT_TRUE(a.metrics().has_time_to_resolve_seconds());
  EXPECT_FALSE(a.metrics().has_time_to_acknowledge_seconds());  // nobody was paged
  EXPECT_EQ(a.metrics().pages(), 0);
  std::set<std::string> types;
  for (const auto& e : a.timeline()) types.insert(e.type());
  EXPECT_THAT(types, Contains("incident.opened"));
  EXPECT_THAT(types, Contains("incident.resolved"));
  ASSERT_EQ(a.history_size(), 1);
  EXPECT_EQ(a.history(0).action(), "created");
}

}  // namespace
}  // namespace tocsin::e2e
