// Runbooks end to end, with every real service binary: a response plan's
// runbook starts by itself when an alarm opens an incident, calls out over
// HTTP (values JSON-escaped in the body), tells the incident's chat channel,
// waits for a person, who completes the step with the CLI, and resolves the
// incident, every step change once on the timeline. The runbook service
// killed with SIGKILL while an HTTP step is in flight: after the restart a
// step not marked idempotent waits for a person (and ran once), one marked
// idempotent runs again by itself; nothing else runs twice.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::HasSubstr;
namespace rv1 = ::tocsin::runbook::v1;
namespace pv1 = ::tocsin::paging::v1;

class RunbookE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(target_, testing::HttpReceiver::Start("/hooks/restart"));
    ASSERT_OK_AND_ASSIGN(chat_, testing::HttpReceiver::Start("/chat"));
    SuiteOptions options;
    options.paging_path = true;
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start(options));
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }

  void ApplyRunbook(const std::string& name, const std::string& document) {
    rv1::ApplyRunbookRequest r;
    r.set_name(name);
    r.set_document(document);
    r.set_author("cli:test");
    rv1::ApplyRunbookResponse resp;
    grpc::Status s = suite_->runbook().ApplyRunbook(Ctx().get(), r, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::string Open(const std::string& event_id) {
    auto posted = suite_->PostEventBridge(AlarmEvent(event_id));
    if (!posted.ok() || posted->status != 200) return "";
    return nlohmann::json::parse(posted->body)["results"][0].value("incidentId", "");
  }

  std::vector<rv1::Execution> Executions(const std::string& incident_id) {
    rv1::ListExecutionsRequest r;
    r.set_incident_id(incident_id);
    rv1::ListExecutionsResponse resp;
    if (!suite_->runbook().ListExecutions(Ctx().get(), r, &resp).ok()) return {};
    return {resp.executions().begin(), resp.executions().end()};
  }

  // Polls until pred holds for the execution (or 60 s pass).
  rv1::Execution WaitForExecution(const std::string& id,
                                  const std::function<bool(const rv1::Execution&)>& pred) {
    rv1::Execution e;
    const absl::Time until = absl::Now() + absl::Seconds(60);
    while (absl::Now() < until) {
      rv1::GetExecutionRequest r;
      r.set_id(id);
      if (suite_->runbook().GetExecution(Ctx().get(), r, &e).ok() && pred(e)) return e;
      absl::SleepFor(absl::Milliseconds(200));
    }
    ADD_FAILURE() << "execution " << id << " never got there; last: " << e.DebugString();
    return e;
  }

  static const rv1::StepExecution& StepOf(const rv1::Execution& e, const std::string& name) {
    for (const auto& s : e.steps()) {
      if (s.name() == name) return s;
    }
    static const auto* none = new rv1::StepExecution();
    return *none;
  }

  std::unique_ptr<testing::HttpReceiver> target_;
  std::unique_ptr<testing::HttpReceiver> chat_;
  std::unique_ptr<Suite> suite_;
};

TEST_F(RunbookE2E, APlansRunbookStartsCallsOutWaitsForAPersonAndResolves) {
  ApplyRunbook("restart-web", absl::StrCat(R"yaml(
schemaVersion: "0.3"
description: Restart the web tier
parameters:
  Tier: {type: String, default: web}
mainSteps:
  - name: announce
    action: tocsin:notify
    inputs: {Message: "Restarting {{ Tier }} for {{ incident.title }}"}
  - name: restart
    action: tocsin:http
    inputs:
      Method: POST
      Url: ")yaml", target_->url(), R"yaml("
      Body: {tier: "{{ Tier }}", incident: "{{ incident.id }}", title: "{{ incident.title }}"}
    outputs: [{Name: Status, Selector: $.status, Type: Integer}]
  - name: assess
    action: tocsin:manual
    inputs: {Message: "Check {{ alarm.name }} recovered (restart answered {{ restart.Status }})"}
  - name: close
    action: tocsin:updateIncident
    inputs: {Note: "Recovered after the restart", Resolve: true}
)yaml"));
  pv1::ChatChannel channel;
  channel.set_name("ops");
  channel.mutable_slack()->set_webhook_url(chat_->url());
  pv1::PutChatChannelRequest put;
  *put.mutable_channel() = channel;
  pv1::ChatChannel stored;
  ASSERT_TRUE(suite_->chat().PutChatChannel(Ctx().get(), put, &stored).ok());

  incidents::v1::ResponsePlan plan;
  plan.set_name("cpu");
  plan.mutable_match()->set_alarm_name_pattern("ServerCpu*");
  plan.mutable_incident_template()->set_title("{alarm_name} \"is\" {state}");
  plan.mutable_incident_template()->set_impact(3);
  plan.add_chat_channels("ops");
  plan.mutable_runbook()->set_name("restart-web");
  (*plan.mutable_runbook()->mutable_parameters())["Tier"] = "web \"blue\"";
  ASSERT_OK(suite_->CreatePlan(plan));

  const std::string incident = Open("ev-rb-1");
  ASSERT_FALSE(incident.empty());
  ASSERT_OK(target_->WaitForCount(1, absl::Seconds(60)));
  // The body is JSON with every value escaped, quotes and all.
  nlohmann::json body = nlohmann::json::parse(target_->Requests()[0].body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << target_->Requests()[0].body;
  EXPECT_EQ(body["tier"], "web \"blue\"");
  EXPECT_EQ(body["incident"], incident);
  EXPECT_THAT(body["title"].get<std::string>(), HasSubstr("\"is\" ALARM"));

  std::vector<rv1::Execution> started = Executions(incident);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].started_by(), "plan:cpu");
  rv1::Execution e = WaitForExecution(started[0].id(), [](const rv1::Execution& x) {
    return x.state() == rv1::EXECUTION_STATE_WAITING;
  });
  EXPECT_EQ(StepOf(e, "restart").outputs().at("Status"), "200");
  EXPECT_THAT(StepOf(e, "assess").message(), HasSubstr("recovered (restart answered 200)"));

  ASSERT_OK_AND_ASSIGN(CliResult done,
                       suite_->RunCli({"executions", "complete-step", e.id(), "assess",
                                       "--comment", "graphs are flat"}));
  EXPECT_EQ(done.exit_code, 0) << done.output;
  e = WaitForExecution(e.id(), [](const rv1::Execution& x) {
    return x.state() == rv1::EXECUTION_STATE_SUCCESS;
  });
  EXPECT_EQ(StepOf(e, "assess").decided_by(), "cli:e2e");  // Suite::RunCli's author

  incidents::v1::GetIncidentRequest get;
  get.set_id(incident);
  incidents::v1::Incident inc;
  ASSERT_TRUE(suite_->incidents().GetIncident(Ctx().get(), get, &inc).ok());
  EXPECT_EQ(inc.status(), incidents::v1::INCIDENT_STATUS_RESOLVED);

  // Every step change once on the timeline, in order; the restart ran once.
  std::vector<std::string> runbook_lines;
  absl::Time until = absl::Now() + absl::Seconds(30);
  while (absl::Now() < until) {
    runbook_lines.clear();
    auto timeline = suite_->Timeline(incident);
    ASSERT_TRUE(timeline.ok());
    bool finished = false;
    for (const auto& t : *timeline) {
      if (absl::StartsWith(t.type(), "runbook.")) runbook_lines.push_back(t.message());
      finished |= t.type() == "runbook.execution.finished";
    }
    if (finished) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::set<std::string> distinct(runbook_lines.begin(), runbook_lines.end());
  EXPECT_EQ(distinct.size(), runbook_lines.size()) << ::testing::PrintToString(runbook_lines);
  EXPECT_THAT(runbook_lines.front(), HasSubstr("Runbook restart-web v1 started by plan:cpu"));
  EXPECT_THAT(runbook_lines, ::testing::Contains(HasSubstr("Restarting web \"blue\"")));
  EXPECT_THAT(runbook_lines, ::testing::Contains(HasSubstr("Recovered after the restart")));
  EXPECT_THAT(runbook_lines.back(), HasSubstr("succeeded"));
  EXPECT_EQ(target_->Requests().size(), 1u);

  // The chat channel heard of it.
  until = absl::Now() + absl::Seconds(60);
  bool told = false;
  while (!told && absl::Now() < until) {
    for (const auto& r : chat_->Requests()) told |= r.body.find("Restarting web") != std::string::npos;
    if (!told) absl::SleepFor(absl::Milliseconds(300));
  }
  EXPECT_TRUE(told);
}

TEST_F(RunbookE2E, KilledWithAStepInFlightEachStepRunsOnce) {
  for (const std::string& idempotent : {"false", "true"}) {
    ApplyRunbook(absl::StrCat("call-", idempotent), absl::StrCat(R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: call
    action: tocsin:http
    inputs: {Method: POST, Url: ")yaml", target_->url(), R"yaml(", Body: {n: 1}}
    timeoutSeconds: 120
    idempotent: )yaml", idempotent, R"yaml(
  - {name: after, action: tocsin:notify, inputs: {Message: "after the call"}}
)yaml"));
  }
  incidents::v1::ResponsePlan plan;
  plan.set_name("cpu");
  plan.mutable_match()->set_alarm_name_pattern("ServerCpu*");
  plan.mutable_incident_template()->set_title("{alarm_name}");
  ASSERT_OK(suite_->CreatePlan(plan));
  const std::string incident = Open("ev-rb-2");
  ASSERT_FALSE(incident.empty());

  int calls = 0;
  for (const std::string& idempotent : {"false", "true"}) {
    SCOPED_TRACE(idempotent);
    target_->Hold();
    rv1::StartExecutionRequest start;
    start.set_runbook(absl::StrCat("call-", idempotent));
    start.set_incident_id(incident);
    start.set_author("cli:test");
    rv1::Execution e;
    grpc::Status s = suite_->runbook().StartExecution(Ctx().get(), start, &e);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_OK(target_->WaitForCount(++calls, absl::Seconds(60)));
    suite_->KillService("runbook");  // the call is in flight
    target_->Release();
    ASSERT_OK(suite_->StartService("runbook"));
    if (idempotent == "false") {
      e = WaitForExecution(e.id(), [](const rv1::Execution& x) {
        return x.state() == rv1::EXECUTION_STATE_WAITING;
      });
      EXPECT_THAT(StepOf(e, "call").waiting_for(), HasSubstr("retry, skip or cancel"));
      absl::SleepFor(absl::Seconds(1));
      EXPECT_EQ(static_cast<int>(target_->Requests().size()), calls);  // not run again
      rv1::DecideStepRequest retry;
      retry.set_execution_id(e.id());
      retry.set_step("call");
      retry.set_decision(rv1::STEP_DECISION_RETRY);
      retry.set_author("cli:alice");
      rv1::Execution after;
      s = suite_->runbook().DecideStep(Ctx().get(), retry, &after);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    ASSERT_OK(target_->WaitForCount(++calls, absl::Seconds(60)));
    e = WaitForExecution(e.id(), [](const rv1::Execution& x) {
      return x.state() == rv1::EXECUTION_STATE_SUCCESS;
    });
    EXPECT_EQ(StepOf(e, "after").state(), rv1::STEP_STATE_SUCCESS);
  }
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(static_cast<int>(target_->Requests().size()), calls);
  // One notification per execution on the timeline, whatever the restarts.
  int notified = 0;
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (absl::Now() < until) {
    auto timeline = suite_->Timeline(incident);
    ASSERT_TRUE(timeline.ok());
    notified = 0;
    for (const auto& t : *timeline) notified += t.type() == "runbook.notified";
    if (notified >= 2) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(notified, 2);
}

}  // namespace
}  // namespace tocsin::e2e
