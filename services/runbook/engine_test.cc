#include "services/runbook/engine.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/event_record/event_record.h"
#include "libs/events/types.h"
#include "libs/ids/ids.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"
#include "services/runbook/builtin_template.h"
#include "services/runbook/sqlite_store.h"

namespace tocsin::runbook {
namespace {

using ::nlohmann::json;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::tocsin::testing::StatusIs;

class FakeIncidents final : public IncidentsPort {
 public:
  absl::StatusOr<incidents::v1::Incident> GetIncident(const std::string& id) override {
    absl::MutexLock l(&mu);
    if (id != incident.id()) return absl::NotFoundError("no incident " + id);
    return incident;
  }
  absl::StatusOr<std::optional<incidents::v1::Alarm>> FirstAlarm(const std::string&) override {
    return alarm;
  }
  absl::StatusOr<incidents::v1::Incident> UpdateIncident(
      const incidents::v1::UpdateIncidentRequest& r) override {
    absl::MutexLock l(&mu);
    updates.push_back(r);
    if (r.has_impact()) incident.set_impact(r.impact());
    if (r.has_title()) incident.set_title(r.title());
    return incident;
  }
  absl::Status AddTimelineEvent(const incidents::v1::AddTimelineEventRequest& r) override {
    absl::MutexLock l(&mu);
    notes.push_back(r);
    return absl::OkStatus();
  }
  absl::StatusOr<incidents::v1::Incident> ResolveIncident(const std::string&, const std::string&,
                                                         const std::string& author) override {
    absl::MutexLock l(&mu);
    resolved_by.push_back(author);
    incident.set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
    return incident;
  }

  absl::Mutex mu;
  incidents::v1::Incident incident;
  std::optional<incidents::v1::Alarm> alarm;
  std::vector<incidents::v1::UpdateIncidentRequest> updates;
  std::vector<incidents::v1::AddTimelineEventRequest> notes;
  std::vector<std::string> resolved_by;
};

// Answers each call with the next scripted result (OK {status: 200} when
// none is left) and remembers what it was asked.
class ScriptedRunner final : public StepRunner {
 public:
  absl::StatusOr<json> Http(const json& inputs, const EngineValues& values,
                            absl::Duration) override {
    calls.push_back(inputs);
    if (during_call) during_call();
    if (results.empty()) return json{{"status", 200}, {"body", json::object()}};
    absl::StatusOr<json> r = results.front();
    results.pop_front();
    return r;
  }
  absl::StatusOr<json> Command(const json& inputs, const EngineValues& values, absl::Duration,
                               const std::vector<std::pair<std::string, std::string>>& env)
      override {
    calls.push_back(inputs);
    envs.push_back(env);
    if (during_call) during_call();
    if (results.empty()) return json{{"exitCode", 0}, {"stdout", ""}, {"stderr", ""}};
    absl::StatusOr<json> r = results.front();
    results.pop_front();
    return r;
  }
  std::deque<absl::StatusOr<json>> results;
  std::vector<json> calls;
  std::vector<std::vector<std::pair<std::string, std::string>>> envs;
  std::function<void()> during_call;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(testing::MakeTempDir("runbook"), "/runbook.db");
    auto record = event_record::EventRecord::Open(path_, &clock_, RunbookMigrations());
    ASSERT_TRUE(record.ok()) << record.status();
    record_ = *std::move(record);
    store_ = std::make_unique<SqliteRunbookStore>(record_->database(), &clock_);
    incidents_.incident.set_id("inc-1");
    incidents_.incident.set_title("Checkout \"down\"");
    incidents_.incident.set_impact(2);
    incidents::v1::Alarm alarm;
    alarm.set_alarm_name("checkout-5xx");
    alarm.set_account("123456789012");
    alarm.set_region("eu-west-1");
    alarm.set_alarm_arn("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx");
    incidents_.alarm = alarm;
    engine_ = MakeEngine(&runner_);
  }

  std::unique_ptr<RunbookEngine> MakeEngine(StepRunner* runner) {
    EngineOptions options;
    options.max_transitions = 50;
    options.on_event = [this](const events::v1::Envelope& e) {
      absl::MutexLock l(&events_mu_);
      events_.push_back(e);
    };
    return std::make_unique<RunbookEngine>(store_.get(), &incidents_, runner, &clock_, &ids_,
                                           options);
  }

  void Apply(const std::string& name, const std::string& doc) {
    v1::ApplyRunbookRequest r;
    r.set_name(name);
    r.set_document(doc);
    r.set_author("cli:alice");
    auto applied = engine_->ApplyRunbook(r);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  v1::Execution Start(const std::string& runbook,
                      std::vector<std::pair<std::string, std::string>> params = {}) {
    v1::StartExecutionRequest r;
    r.set_runbook(runbook);
    r.set_incident_id("inc-1");
    r.set_author("cli:alice");
    for (auto& [k, v] : params) (*r.mutable_parameters())[k] = v;
    auto e = engine_->Start(r);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : v1::Execution();
  }

  // Advances everything due, as the ticker does.
  v1::Execution Run(const std::string& id) {
    auto n = engine_->RunDue();
    EXPECT_TRUE(n.ok()) << n.status();
    auto e = engine_->GetExecution(id);
    EXPECT_TRUE(e.ok()) << e.status();
    return *e;
  }

  absl::StatusOr<v1::Execution> Decide(const std::string& id, const std::string& step,
                                       v1::StepDecision d, const std::string& author,
                                       const std::string& comment = "") {
    v1::DecideStepRequest r;
    r.set_execution_id(id);
    r.set_step(step);
    r.set_decision(d);
    r.set_author(author);
    r.set_comment(comment);
    return engine_->Decide(r);
  }

  static const v1::StepExecution& StepOf(const v1::Execution& e, const std::string& name) {
    for (const auto& s : e.steps()) {
      if (s.name() == name) return s;
    }
    static const v1::StepExecution* none = new v1::StepExecution();
    return *none;
  }

  std::vector<std::string> Summaries() {
    absl::MutexLock l(&events_mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      if (events::Is(e, events::kRunbookStepChanged)) {
        out.push_back(events::Payload(e, events::kRunbookStepChanged)->summary());
      }
    }
    return out;
  }
  int CountEvents(const char* type) {
    absl::MutexLock l(&events_mu_);
    int n = 0;
    for (const auto& e : events_) n += e.type() == type;
    return n;
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::string path_;
  std::unique_ptr<event_record::EventRecord> record_;
  std::unique_ptr<SqliteRunbookStore> store_;
  FakeIncidents incidents_;
  ScriptedRunner runner_;
  std::unique_ptr<RunbookEngine> engine_;
  absl::Mutex events_mu_;
  std::vector<events::v1::Envelope> events_;
};

constexpr char kManual[] = R"yaml(
schemaVersion: "0.3"
description: Two manual steps
parameters:
  Service: {type: String, default: checkout}
mainSteps:
  - name: assess
    action: tocsin:manual
    inputs: {Message: "Look at {{ Service }} for {{ incident.title }} ({{ alarm.name }})"}
  - name: fix
    action: aws:pause
    inputs: {Message: "Fix it"}
)yaml";

TEST_F(EngineTest, AppliesVersionsAndSkipsUnchangedDocuments) {
  v1::ApplyRunbookRequest r;
  r.set_name("db");
  r.set_document(kManual);
  auto first = engine_->ApplyRunbook(r);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->outcome(), v1::APPLY_OUTCOME_CREATED);
  EXPECT_EQ(first->runbook().version(), 1);
  EXPECT_EQ(engine_->ApplyRunbook(r)->outcome(), v1::APPLY_OUTCOME_UNCHANGED);
  r.set_document(absl::StrCat(kManual, "    isEnd: true\n"));
  r.set_dry_run(true);
  EXPECT_EQ(engine_->ApplyRunbook(r)->outcome(), v1::APPLY_OUTCOME_UPDATED);
  EXPECT_EQ(engine_->GetRunbook("db", 0)->version(), 1);  // dry run saved nothing
  r.set_dry_run(false);
  auto second = engine_->ApplyRunbook(r);
  EXPECT_EQ(second->outcome(), v1::APPLY_OUTCOME_UPDATED);
  EXPECT_EQ(second->runbook().version(), 2);
  EXPECT_EQ(engine_->GetRunbook("db", 1)->document(), kManual);
  EXPECT_THAT(engine_->GetRunbook("db", 3), StatusIs(absl::StatusCode::kNotFound, _));
  EXPECT_THAT(*engine_->ListRunbookVersions("db"), SizeIs(2));
  auto listed = engine_->ListRunbooks();
  ASSERT_TRUE(listed.ok());
  ASSERT_THAT(*listed, SizeIs(2));
  EXPECT_EQ((*listed)[0].name(), kBuiltinTemplateName);
  EXPECT_TRUE((*listed)[0].builtin());
  EXPECT_EQ((*listed)[1].latest_version(), 2);

  r.set_document("schemaVersion: \"0.3\"\nmainSteps:\n  - {name: a, action: aws:nope}\n");
  EXPECT_THAT(engine_->ApplyRunbook(r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("step \"a\"")));
  r.set_name(std::string(kBuiltinTemplateName));
  r.set_document(kManual);
  EXPECT_THAT(engine_->ApplyRunbook(r), StatusIs(absl::StatusCode::kAlreadyExists, _));
}

TEST_F(EngineTest, ManualStepsWaitForAPersonWithSubstitutedInstructions) {
  Apply("m", kManual);
  v1::Execution e = Run(Start("m").id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_WAITING);
  EXPECT_EQ(e.current_step(), "assess");
  EXPECT_EQ(StepOf(e, "assess").state(), v1::STEP_STATE_WAITING);
  EXPECT_EQ(StepOf(e, "assess").message(),
            "Look at checkout for Checkout \"down\" (checkout-5xx)");
  EXPECT_THAT(Decide(e.id(), "fix", v1::STEP_DECISION_COMPLETE, "cli:bob"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not the current")));
  ASSERT_TRUE(Decide(e.id(), "assess", v1::STEP_DECISION_COMPLETE, "cli:bob", "all fine").ok());
  e = Run(e.id());
  EXPECT_EQ(StepOf(e, "assess").state(), v1::STEP_STATE_SUCCESS);
  EXPECT_EQ(StepOf(e, "assess").decided_by(), "cli:bob");
  EXPECT_EQ(StepOf(e, "fix").state(), v1::STEP_STATE_WAITING);
  ASSERT_TRUE(Decide(e.id(), "fix", v1::STEP_DECISION_SKIP, "cli:bob").ok());
  e = Run(e.id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_EQ(StepOf(e, "fix").state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(CountEvents("runbook.execution.started"), 1);
  EXPECT_EQ(CountEvents("runbook.execution.finished"), 1);
  EXPECT_THAT(Summaries(), ::testing::Contains(HasSubstr("assess (tocsin:manual) succeeded")));
  EXPECT_THAT(Decide(e.id(), "fix", v1::STEP_DECISION_COMPLETE, "cli:bob"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ended")));
}

TEST_F(EngineTest, ParametersAreTypedAndChecked) {
  Apply("p", R"yaml(
schemaVersion: "0.3"
parameters:
  Count: {type: Integer}
  Dry: {type: Boolean, default: false}
  Hosts: {type: StringList, default: []}
  Env: {type: String, default: prod, allowedValues: [prod, staging]}
mainSteps:
  - {name: a, action: tocsin:manual, inputs: {Message: "{{ Count }} {{ Dry }} {{ Hosts }} {{ Env }}"}}
)yaml");
  v1::StartExecutionRequest r;
  r.set_runbook("p");
  r.set_incident_id("inc-1");
  EXPECT_THAT(engine_->Start(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("parameter Count is required")));
  (*r.mutable_parameters())["Count"] = "three";
  EXPECT_THAT(engine_->Start(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("is not an Integer")));
  (*r.mutable_parameters())["Count"] = "3";
  (*r.mutable_parameters())["Env"] = "dev";
  EXPECT_THAT(engine_->Start(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("is not one of")));
  (*r.mutable_parameters())["Env"] = "staging";
  (*r.mutable_parameters())["Nope"] = "x";
  EXPECT_THAT(engine_->Start(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("has no parameter \"Nope\"")));
  r.mutable_parameters()->erase("Nope");
  (*r.mutable_parameters())["Hosts"] = "a, b";
  auto e = engine_->Start(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->parameters().at("Count"), "3");
  EXPECT_EQ(e->parameters().at("Hosts"), R"(["a","b"])");
  EXPECT_EQ(StepOf(Run(e->id()), "a").message(), "3 false a, b staging");
  r.set_incident_id("inc-404");
  EXPECT_THAT(engine_->Start(r), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(EngineTest, ClientTokenMakesStartIdempotent) {
  Apply("m", kManual);
  v1::StartExecutionRequest r;
  r.set_runbook("m");
  r.set_incident_id("inc-1");
  r.set_client_token("tok-1");
  auto a = engine_->Start(r);
  auto b = engine_->Start(r);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id(), b->id());
  EXPECT_THAT(*engine_->ListExecutions("inc-1", 0), SizeIs(1));
}

constexpr char kApproval[] = R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: approve
    action: aws:approve
    inputs:
      Approvers: ["cli:alice", "bob", "cli:carol"]
      MinRequiredApprovals: 2
      Message: Fail over?
  - {name: done, action: tocsin:notify, inputs: {Message: approved}}
)yaml";

TEST_F(EngineTest, ApprovalsNeedTheRightPeopleAndEnoughOfThem) {
  Apply("a", kApproval);
  v1::Execution e = Run(Start("a").id());
  EXPECT_EQ(StepOf(e, "approve").state(), v1::STEP_STATE_WAITING);
  EXPECT_THAT(Decide(e.id(), "approve", v1::STEP_DECISION_APPROVE, "cli:mallory"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not an approver")));
  EXPECT_THAT(Decide(e.id(), "approve", v1::STEP_DECISION_COMPLETE, "cli:alice"),
              StatusIs(absl::StatusCode::kFailedPrecondition, _));
  ASSERT_TRUE(Decide(e.id(), "approve", v1::STEP_DECISION_APPROVE, "cli:alice").ok());
  EXPECT_THAT(Decide(e.id(), "approve", v1::STEP_DECISION_APPROVE, "cli:alice"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already approved")));
  e = Run(e.id());
  EXPECT_EQ(StepOf(e, "approve").state(), v1::STEP_STATE_WAITING);
  EXPECT_THAT(StepOf(e, "approve").waiting_for(), HasSubstr("1 more approval"));
  // A contact name approver is matched by the CLI identity of that name.
  ASSERT_TRUE(Decide(e.id(), "approve", v1::STEP_DECISION_APPROVE, "cli:bob", "ok").ok());
  e = Run(e.id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_THAT(StepOf(e, "approve").approvals(), SizeIs(2));
  EXPECT_EQ(CountEvents("runbook.notified"), 1);
}

TEST_F(EngineTest, OneRejectionFailsTheApproval) {
  Apply("a", kApproval);
  v1::Execution e = Run(Start("a").id());
  ASSERT_TRUE(Decide(e.id(), "approve", v1::STEP_DECISION_REJECT, "cli:carol", "not now").ok());
  e = Run(e.id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_FAILED);
  EXPECT_EQ(StepOf(e, "approve").state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(e.error(), HasSubstr("rejected by cli:carol: not now"));
  EXPECT_EQ(CountEvents("runbook.notified"), 0);
}

TEST_F(EngineTest, SleepEndsOnTheFakeClock) {
  Apply("s", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - {name: wait, action: aws:sleep, inputs: {Duration: PT5M}}
)yaml");
  v1::Execution e = Run(Start("s").id());
  EXPECT_EQ(StepOf(e, "wait").state(), v1::STEP_STATE_IN_PROGRESS);
  clock_.Advance(absl::Minutes(4));
  EXPECT_EQ(Run(e.id()).state(), v1::EXECUTION_STATE_IN_PROGRESS);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Run(e.id()).state(), v1::EXECUTION_STATE_SUCCESS);
}

TEST_F(EngineTest, BranchFollowsTheFirstChoiceThatHolds) {
  Apply("b", R"yaml(
schemaVersion: "0.3"
parameters:
  Verdict: {type: String}
mainSteps:
  - name: decide
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: restart, Variable: "{{ Verdict }}", StringEquals: down}
        - {NextStep: page, Variable: "{{ Verdict }}", StartsWith: slow}
      Default: done
  - {name: restart, action: tocsin:notify, inputs: {Message: restarting}, isEnd: true}
  - {name: page, action: tocsin:notify, inputs: {Message: paging}, isEnd: true}
  - {name: done, action: tocsin:notify, inputs: {Message: fine}}
)yaml");
  for (const auto& [verdict, ran] : std::vector<std::pair<std::string, std::string>>{
           {"down", "restart"}, {"slowish", "page"}, {"up", "done"}}) {
    v1::Execution e = Run(Start("b", {{"Verdict", verdict}}).id());
    EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS) << verdict;
    for (const char* step : {"restart", "page", "done"}) {
      EXPECT_EQ(StepOf(e, step).state() == v1::STEP_STATE_SUCCESS, step == ran)
          << verdict << " " << step;
    }
  }
}

TEST_F(EngineTest, HttpOutputsFeedLaterSteps) {
  Apply("h", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: check
    action: tocsin:http
    inputs: {Url: "http://127.0.0.1:1/status"}
    outputs: [{Name: Verdict, Selector: $.body.verdict, Type: String}]
  - {name: tell, action: tocsin:notify, inputs: {Message: "verdict {{ check.Verdict }}"}}
)yaml");
  runner_.results.push_back(json{{"status", 200}, {"body", {{"verdict", "down \"hard\""}}}});
  v1::Execution e = Run(Start("h").id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_EQ(StepOf(e, "check").outputs().at("Verdict"), R"("down \"hard\"")");
  EXPECT_EQ(StepOf(e, "tell").message(), "verdict down \"hard\"");
  EXPECT_THAT(StepOf(e, "check").result(), HasSubstr("verdict"));
}

TEST_F(EngineTest, FailedAttemptsAreRetriedWithBackoffThenOnFailureApplies) {
  Apply("r", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: call
    action: tocsin:http
    inputs: {Url: "http://127.0.0.1:1/x"}
    maxAttempts: 3
    onFailure: step:fallback
  - {name: ok, action: tocsin:notify, inputs: {Message: ok}, isEnd: true}
  - {name: fallback, action: tocsin:notify, inputs: {Message: fallback}}
)yaml");
  for (int i = 0; i < 3; ++i) runner_.results.push_back(absl::UnavailableError("HTTP 503"));
  v1::Execution e = Run(Start("r").id());
  EXPECT_EQ(StepOf(e, "call").state(), v1::STEP_STATE_IN_PROGRESS);
  EXPECT_EQ(StepOf(e, "call").attempts(), 1);
  EXPECT_EQ(runner_.calls.size(), 1u);
  clock_.Advance(absl::Seconds(4));
  Run(e.id());
  EXPECT_EQ(runner_.calls.size(), 1u);  // backoff 5 s
  clock_.Advance(absl::Seconds(1));
  e = Run(e.id());
  EXPECT_EQ(StepOf(e, "call").attempts(), 2);
  clock_.Advance(absl::Seconds(10));  // then 10 s
  e = Run(e.id());
  EXPECT_EQ(runner_.calls.size(), 3u);
  EXPECT_EQ(StepOf(e, "call").state(), v1::STEP_STATE_FAILED);
  EXPECT_EQ(StepOf(e, "ok").state(), v1::STEP_STATE_PENDING);
  EXPECT_EQ(StepOf(e, "fallback").state(), v1::STEP_STATE_SUCCESS);
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
}

TEST_F(EngineTest, PermanentFailuresAreNotRetriedAndAbortStopsTheExecution) {
  Apply("c", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - {name: run, action: tocsin:command, inputs: {Command: nope}, maxAttempts: 5}
  - {name: after, action: tocsin:notify, inputs: {Message: after}}
)yaml");
  runner_.results.push_back(absl::PermissionDeniedError("command \"nope\" is not allowed"));
  v1::Execution e = Run(Start("c").id());
  EXPECT_EQ(runner_.calls.size(), 1u);
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_FAILED);
  EXPECT_THAT(e.error(), HasSubstr("step run failed"));
  ASSERT_FALSE(runner_.envs.empty());
  EXPECT_THAT(runner_.envs[0], ::testing::Contains(std::make_pair(std::string("TOCSIN_INCIDENT_ID"),
                                                                  std::string("inc-1"))));
  // A person may retry the step that stopped it; this time it works.
  ASSERT_TRUE(Decide(e.id(), "run", v1::STEP_DECISION_RETRY, "cli:alice", "fixed").ok());
  e = Run(e.id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_EQ(StepOf(e, "after").state(), v1::STEP_STATE_SUCCESS);
}

TEST_F(EngineTest, NonZeroExitFailsACommandStep) {
  Apply("c", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: run
    action: tocsin:command
    inputs: {Command: check}
    onFailure: Continue
    outputs: [{Name: Code, Selector: $.exitCode, Type: Integer}]
  - {name: after, action: tocsin:notify, inputs: {Message: after}}
)yaml");
  runner_.results.push_back(json{{"exitCode", 3}, {"stdout", ""}, {"stderr", "disk full"}});
  v1::Execution e = Run(Start("c").id());
  EXPECT_EQ(StepOf(e, "run").state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(StepOf(e, "run").error(), HasSubstr("exited with status 3: disk full"));
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
}

TEST_F(EngineTest, AManualStepTimesOut) {
  Apply("t", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - {name: assess, action: tocsin:manual, inputs: {Message: look}, timeoutSeconds: 600}
)yaml");
  v1::Execution e = Run(Start("t").id());
  clock_.Advance(absl::Minutes(9));
  EXPECT_EQ(Run(e.id()).state(), v1::EXECUTION_STATE_WAITING);
  clock_.Advance(absl::Minutes(1));
  e = Run(e.id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_TIMED_OUT);
  EXPECT_EQ(StepOf(e, "assess").state(), v1::STEP_STATE_TIMED_OUT);
}

TEST_F(EngineTest, WaitForPollsUntilTheConditionHolds) {
  Apply("w", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: healthy
    action: tocsin:waitFor
    inputs:
      Url: "http://127.0.0.1:1/health"
      Until: {Selector: $.body.ok, BooleanEquals: true}
      Interval: PT10S
    timeoutSeconds: 60
)yaml");
  runner_.results.push_back(json{{"status", 200}, {"body", {{"ok", false}}}});
  runner_.results.push_back(json{{"status", 200}, {"body", {{"ok", false}}}});
  runner_.results.push_back(json{{"status", 200}, {"body", {{"ok", true}}}});
  v1::Execution e = Run(Start("w").id());
  EXPECT_EQ(StepOf(e, "healthy").state(), v1::STEP_STATE_IN_PROGRESS);
  clock_.Advance(absl::Seconds(10));
  Run(e.id());
  clock_.Advance(absl::Seconds(10));
  e = Run(e.id());
  EXPECT_EQ(runner_.calls.size(), 3u);
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_FALSE(runner_.calls[0].contains("Until"));
}

TEST_F(EngineTest, WaitForTimesOut) {
  Apply("w", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - name: healthy
    action: tocsin:waitFor
    inputs:
      Url: "http://127.0.0.1:1/health"
      Until: {Selector: $.status, NumericEquals: 200}
      Interval: PT20S
    timeoutSeconds: 30
)yaml");
  for (int i = 0; i < 5; ++i) runner_.results.push_back(json{{"status", 503}, {"body", ""}});
  v1::Execution e = Run(Start("w").id());
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(absl::Seconds(10));
    e = Run(e.id());
  }
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_TIMED_OUT);
  EXPECT_LE(runner_.calls.size(), 3u);
}

TEST_F(EngineTest, UpdateIncidentSetsFieldsAddsANoteAndResolves) {
  Apply("u", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - {name: raise, action: tocsin:updateIncident, inputs: {Impact: 1, Title: "{{ incident.title }} (db)"}}
  - {name: note, action: tocsin:updateIncident, inputs: {Note: "now {{ incident.title }}", Resolve: true}}
)yaml");
  v1::Execution e = Run(Start("u").id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS) << e.error();
  ASSERT_THAT(incidents_.updates, SizeIs(1));
  EXPECT_EQ(incidents_.updates[0].impact(), 1);
  EXPECT_EQ(incidents_.updates[0].title(), "Checkout \"down\" (db)");
  ASSERT_THAT(incidents_.notes, SizeIs(1));
  EXPECT_EQ(incidents_.notes[0].message(), "now Checkout \"down\" (db)");
  EXPECT_FALSE(incidents_.notes[0].source_event_id().empty());
  EXPECT_THAT(incidents_.resolved_by, ElementsAre(HasSubstr("runbook:u/")));
}

TEST_F(EngineTest, CancelStopsAWaitingExecution) {
  Apply("m", kManual);
  v1::Execution e = Run(Start("m").id());
  v1::CancelExecutionRequest c;
  c.set_id(e.id());
  c.set_author("cli:alice");
  c.set_reason("wrong runbook");
  auto cancelled = engine_->Cancel(c);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::EXECUTION_STATE_CANCELLED);
  EXPECT_EQ(StepOf(*cancelled, "assess").state(), v1::STEP_STATE_CANCELLED);
  EXPECT_THAT(cancelled->error(), HasSubstr("wrong runbook"));
  EXPECT_THAT(engine_->Cancel(c), StatusIs(absl::StatusCode::kFailedPrecondition, _));
  EXPECT_THAT(Decide(e.id(), "assess", v1::STEP_DECISION_COMPLETE, "cli:alice"),
              StatusIs(absl::StatusCode::kFailedPrecondition, _));
}

TEST_F(EngineTest, LoopsAreStopped) {
  Apply("l", R"yaml(
schemaVersion: "0.3"
mainSteps:
  - {name: a, action: tocsin:notify, inputs: {Message: a}, nextStep: b}
  - {name: b, action: tocsin:notify, inputs: {Message: b}, nextStep: a}
)yaml");
  v1::Execution e = Run(Start("l").id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_FAILED);
  EXPECT_THAT(e.error(), HasSubstr("loops"));
}

constexpr char kInFlight[] = R"yaml(
schemaVersion: "0.3"
mainSteps:
  - {name: call, action: tocsin:http, inputs: {Url: "http://127.0.0.1:1/x"}, IDEMPOTENT}
  - {name: after, action: tocsin:notify, inputs: {Message: after}}
)yaml";

// The service "dies" during the call: while the first engine's call is in
// flight, a second engine (the restarted service) finds the step.
TEST_F(EngineTest, AnInFlightStepThatIsNotIdempotentWaitsForAPerson) {
  std::string doc = kInFlight;
  doc.replace(doc.find("IDEMPOTENT"), 10, "idempotent: false");
  Apply("f", doc);
  const std::string id = Start("f").id();
  ScriptedRunner after_restart;
  std::unique_ptr<RunbookEngine> restarted = MakeEngine(&after_restart);
  runner_.during_call = [&] {
    ASSERT_TRUE(restarted->Recover().ok());
    ASSERT_TRUE(restarted->RunDue().ok());
  };
  v1::Execution e = Run(id);
  EXPECT_TRUE(after_restart.calls.empty());  // not run a second time
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_WAITING);
  EXPECT_EQ(StepOf(e, "call").state(), v1::STEP_STATE_WAITING);
  EXPECT_THAT(StepOf(e, "call").waiting_for(), HasSubstr("retry, skip or cancel"));
  EXPECT_EQ(StepOf(e, "call").result(), "");  // the dead call's result was dropped
  runner_.during_call = nullptr;
  EXPECT_THAT(Decide(id, "call", v1::STEP_DECISION_COMPLETE, "cli:alice"),
              StatusIs(absl::StatusCode::kFailedPrecondition, _));
  ASSERT_TRUE(Decide(id, "call", v1::STEP_DECISION_SKIP, "cli:alice", "it did run").ok());
  e = Run(id);
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_EQ(StepOf(e, "call").state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(runner_.calls.size(), 1u);
}

TEST_F(EngineTest, AnInFlightIdempotentStepRunsAgainAfterARestart) {
  std::string doc = kInFlight;
  doc.replace(doc.find("IDEMPOTENT"), 10, "idempotent: true");
  Apply("f", doc);
  const std::string id = Start("f").id();
  ScriptedRunner after_restart;
  std::unique_ptr<RunbookEngine> restarted = MakeEngine(&after_restart);
  runner_.during_call = [&] {
    ASSERT_TRUE(restarted->Recover().ok());
    ASSERT_TRUE(restarted->RunDue().ok());
  };
  v1::Execution e = Run(id);
  EXPECT_EQ(after_restart.calls.size(), 1u);
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_SUCCESS);
  EXPECT_EQ(StepOf(e, "call").attempts(), 2);
  EXPECT_EQ(CountEvents("runbook.notified"), 1);
}

TEST_F(EngineTest, AResponsePlansRunbookStartsOncePerIncident) {
  Apply("m", kManual);
  incidents::v1::IncidentOpened opened;
  *opened.mutable_incident() = incidents_.incident;
  opened.mutable_incident()->set_response_plan("web");
  opened.mutable_incident()->mutable_runbook()->set_name("m");
  (*opened.mutable_incident()->mutable_runbook()->mutable_parameters())["Service"] = "cart";
  ASSERT_TRUE(engine_->StartForOpenedIncident(opened, "ev-1").ok());
  ASSERT_TRUE(engine_->StartForOpenedIncident(opened, "ev-1").ok());
  auto listed = engine_->ListExecutions("inc-1", 0);
  ASSERT_THAT(*listed, SizeIs(1));
  EXPECT_EQ((*listed)[0].started_by(), "plan:web");
  EXPECT_THAT(StepOf(Run((*listed)[0].id()), "assess").message(), HasSubstr("Look at cart"));

  opened.mutable_incident()->mutable_runbook()->set_name("missing");
  opened.mutable_incident()->set_id("inc-2");  // another incident (one start per incident)
  incidents_.notes.clear();
  ASSERT_TRUE(engine_->StartForOpenedIncident(opened, "ev-2").ok());
  ASSERT_THAT(incidents_.notes, SizeIs(1));
  EXPECT_THAT(incidents_.notes[0].message(), HasSubstr("did not start"));
}

TEST_F(EngineTest, TheBuiltInTemplateRuns) {
  v1::Execution e = Run(Start(std::string(kBuiltinTemplateName)).id());
  EXPECT_EQ(e.state(), v1::EXECUTION_STATE_WAITING);
  EXPECT_EQ(e.steps_size(), 4);
}

}  // namespace
}  // namespace tocsin::runbook
