#include "services/runbook/document.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"
#include "libs/status/status_matchers.h"
#include "services/runbook/builtin_template.h"

namespace tocsin::runbook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::tocsin::testing::StatusIs;

// A document ported from an SSM Automation runbook: branch on a parameter and on a step's
// output, approve, sleep, call, notify.
constexpr char kPorted[] = R"yaml(
description: Restart a service after approval when its health check says it is down.
schemaVersion: "0.3"
assumeRole: "{{ AutomationAssumeRole }}"
parameters:
  AutomationAssumeRole:
    type: String
    default: ""
    description: kept from the SSM original
  Service:
    type: String
    default: checkout
    allowedValues: [checkout, cart]
  Approvers:
    type: StringList
    default: [alice, "cli:bob"]
  Retries:
    type: Integer
    default: 3
  DryRun:
    type: Boolean
    default: false
mainSteps:
  - name: check
    action: tocsin:http
    timeoutSeconds: 30
    maxAttempts: 3
    idempotent: true
    onFailure: step:escalate
    inputs:
      Method: GET
      Url: "https://status.example/{{ Service }}?incident={{ incident.id }}"
      Headers: {Accept: application/json}
      ExpectedStatus: [200, 503]
    outputs:
      - Name: Verdict
        Selector: $.body.verdict
        Type: String
      - Name: Status
        Selector: $.status
        Type: Integer
  - name: decide
    action: aws:branch
    inputs:
      Choices:
        - NextStep: approve
          Variable: "{{ check.Verdict }}"
          StringEquals: down
        - NextStep: approve
          And:
            - Variable: "{{ check.Status }}"
              NumericGreaterOrEquals: 500
            - Not:
                - Variable: "{{ DryRun }}"
                  BooleanEquals: true
      Default: healthy
  - name: approve
    action: aws:approve
    timeoutSeconds: 3600
    onFailure: Abort
    inputs:
      Approvers: [alice, "cli:bob", carol]
      MinRequiredApprovals: 2
      Message: "Restart {{ Service }} for {{ incident.title }}?"
  - name: restart
    action: tocsin:command
    inputs:
      Command: restart-service
      Args: ["--service", "{{ Service }}", "--retries", 3]
    outputs:
      - {Name: ExitCode, Selector: $.exitCode, Type: Integer}
  - name: settle
    action: aws:sleep
    inputs:
      Duration: PT5M
  - name: wait_healthy
    action: tocsin:waitFor
    timeoutSeconds: 900
    inputs:
      Url: "https://status.example/{{ Service }}"
      Until: {Selector: $.body.verdict, StringEquals: up}
      Interval: PT15S
  - name: note
    action: tocsin:updateIncident
    nextStep: tell
    inputs:
      Note: "Restarted {{ Service }} (exit {{ restart.ExitCode }}) on {{ alarm.region }}"
      Impact: 3
  - name: healthy
    action: aws:pause
    inputs:
      Message: "Health check says {{ check.Verdict }}; look at {{ alarm.resources }}"
  - name: tell
    action: tocsin:notify
    inputs:
      Message: "{{ Service }} restarted"
    isEnd: true
  - name: escalate
    action: tocsin:http
    onFailure: Continue
    inputs:
      Method: POST
      Url: https://pager.example/escalate
      Body:
        incident: "{{ incident.id }}"
        alarm: "{{ alarm.name }}"
outputs:
  - check.Verdict
)yaml";

TEST(ParseRunbookDocumentTest, PortedSsmDocument) {
  absl::StatusOr<RunbookDocument> parsed = ParseRunbookDocument(kPorted);
  ASSERT_OK(parsed.status());
  const RunbookDocument& document = *parsed;
  EXPECT_EQ(document.schema_version, "0.3");
  EXPECT_EQ(document.assume_role, "{{ AutomationAssumeRole }}");
  ASSERT_EQ(document.parameters.size(), 5u);
  ASSERT_EQ(document.main_steps.size(), 10u);
  EXPECT_THAT(document.outputs, ElementsAre("check.Verdict"));

  const Step& check = document.main_steps[0];
  EXPECT_EQ(check.name, "check");
  EXPECT_EQ(check.action, "tocsin:http");
  EXPECT_EQ(check.timeout_seconds, 30);
  EXPECT_EQ(check.max_attempts, 3);
  EXPECT_TRUE(check.idempotent);
  EXPECT_EQ(check.on_failure.mode, OnFailure::Mode::kStep);
  EXPECT_EQ(check.on_failure.step, "escalate");
  EXPECT_EQ(check.inputs["Method"], "GET");
  EXPECT_EQ(check.inputs["ExpectedStatus"], nlohmann::json({200, 503}));
  ASSERT_EQ(check.outputs.size(), 2u);
  EXPECT_EQ(check.outputs[0].name, "Verdict");
  EXPECT_EQ(check.outputs[0].selector, "$.body.verdict");
  EXPECT_EQ(check.outputs[1].type, ValueType::kInteger);

  const Step& decide = document.main_steps[1];
  ASSERT_EQ(decide.choices.size(), 2u);
  EXPECT_EQ(decide.choices[0].next_step, "approve");
  EXPECT_EQ(decide.choices[0].condition.op, "StringEquals");
  EXPECT_EQ(decide.choices[0].condition.variable, "{{ check.Verdict }}");
  EXPECT_EQ(decide.choices[0].condition.operand, "down");
  const Condition& both = decide.choices[1].condition;
  EXPECT_EQ(both.op, "And");
  ASSERT_EQ(both.children.size(), 2u);
  EXPECT_EQ(both.children[0].operand, 500);
  EXPECT_EQ(both.children[1].op, "Not");
  ASSERT_EQ(both.children[1].children.size(), 1u);
  EXPECT_EQ(both.children[1].children[0].operand, true);
  EXPECT_EQ(decide.default_step, "healthy");

  EXPECT_EQ(document.main_steps[2].on_failure.mode, OnFailure::Mode::kAbort);
  EXPECT_EQ(document.main_steps[3].inputs["Args"], nlohmann::json({"--service", "{{ Service }}",
                                                                   "--retries", 3}));
  EXPECT_EQ(document.main_steps[4].duration, absl::Minutes(5));
  EXPECT_EQ(document.main_steps[5].until.variable, "$.body.verdict");
  EXPECT_EQ(document.main_steps[5].interval, absl::Seconds(15));
  EXPECT_EQ(document.main_steps[6].next_step, "tell");
  EXPECT_TRUE(document.main_steps[8].is_end);
  EXPECT_EQ(document.main_steps[9].on_failure.mode, OnFailure::Mode::kContinue);
  EXPECT_TRUE(document.main_steps[9].inputs["Body"].is_object());

  std::vector<std::string> parameter_names;
  for (const Parameter& p : document.parameters) parameter_names.push_back(p.name);
  EXPECT_THAT(parameter_names,
              ElementsAre("AutomationAssumeRole", "Service", "Approvers", "Retries", "DryRun"));
  EXPECT_EQ(document.parameters[1].allowed_values,
            std::vector<nlohmann::json>({"checkout", "cart"}));
  EXPECT_EQ(document.parameters[2].type, ValueType::kStringList);
  EXPECT_EQ(document.parameters[0].description, "kept from the SSM original");

  const Parameter* retries = nullptr;
  for (const Parameter& p : document.parameters) {
    if (p.name == "Retries") retries = &p;
  }
  ASSERT_NE(retries, nullptr);
  EXPECT_EQ(retries->type, ValueType::kInteger);
  EXPECT_EQ(*retries->default_value, 3);

  EXPECT_OK(ValidateRunbookDocument(document));
}

TEST(ParseRunbookDocumentTest, JsonDocument) {
  absl::StatusOr<RunbookDocument> parsed = ParseRunbookDocument(R"json({
    "schemaVersion": "0.3",
    "parameters": {"Count": {"type": "Integer", "default": 2, "allowedValues": [1, 2]}},
    "mainSteps": [
      {"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1H30M"}},
      {"name": "ask", "action": "tocsin:manual", "inputs": {"Message": "Count {{Count}}"}}
    ]
  })json");
  ASSERT_OK(parsed.status());
  EXPECT_EQ(parsed->main_steps[0].duration, absl::Minutes(90));
  EXPECT_EQ(*parsed->parameters[0].default_value, 2);
}

TEST(ParseRunbookDocumentTest, BuiltinTemplateValidates) {
  EXPECT_EQ(kBuiltinTemplateName, "Tocsin-IncidentResponse");
  absl::StatusOr<RunbookDocument> parsed = ParseRunbookDocument(BuiltinTemplateDocument());
  ASSERT_OK(parsed.status());
  ASSERT_EQ(parsed->main_steps.size(), 4u);
  const std::vector<std::string> names = {"triage", "diagnosis", "mitigation", "recovery"};
  for (size_t i = 0; i < names.size(); ++i) {
    const Step& step = parsed->main_steps[i];
    EXPECT_EQ(step.name, names[i]);
    EXPECT_EQ(step.action, "tocsin:manual");
    EXPECT_THAT(step.inputs["Message"].get<std::string>(), HasSubstr("?")) << step.name;
  }
  EXPECT_THAT(parsed->main_steps[0].inputs["Message"].get<std::string>(),
              HasSubstr("impact"));
  EXPECT_TRUE(parsed->main_steps[3].is_end);
}

TEST(ValidateRunbookDocumentTest, DocumentBuiltInCode) {
  RunbookDocument document;
  document.schema_version = "0.3";
  Step step;
  step.name = "only";
  step.action = "tocsin:notify";
  step.inputs = {{"Message", "hello"}};
  document.main_steps.push_back(step);
  EXPECT_OK(ValidateRunbookDocument(document));
  // Typed fields are derived from inputs, so a code-built branch needs only its inputs.
  Step branch;
  branch.name = "pick";
  branch.action = "aws:branch";
  branch.inputs = nlohmann::json::parse(
      R"({"Choices": [{"NextStep": "only", "Variable": "{{ incident.impact }}",
                       "NumericGreater": 2}]})");
  document.main_steps.insert(document.main_steps.begin(), branch);
  EXPECT_OK(ValidateRunbookDocument(document));
  document.main_steps[0].inputs["Choices"][0]["NextStep"] = "gone";
  EXPECT_THAT(ValidateRunbookDocument(document),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("step \"pick\": aws:branch: Choices[0].NextStep \"gone\"")));
  document.main_steps.erase(document.main_steps.begin());
  document.main_steps[0].max_attempts = 0;
  EXPECT_THAT(ValidateRunbookDocument(document),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("step \"only\": maxAttempts 0 is out of range 1..10")));
}

// ---- The corpus of bad documents ----

struct BadCase {
  const char* label;
  std::string document;
  const char* error;  // a substring the error must contain
};

// A document with `parameters` (YAML under "parameters:", may be empty) and `steps` (YAML list
// items under "mainSteps:").
std::string Doc(absl::string_view steps, absl::string_view parameters = "") {
  return absl::StrCat("schemaVersion: \"0.3\"\n",
                      parameters.empty() ? "" : absl::StrCat("parameters:\n", parameters),
                      "mainSteps:\n", steps);
}

constexpr char kTriage[] = R"(  - name: triage
    action: tocsin:manual
    inputs: {Message: look}
)";

std::vector<BadCase> BadCases() {
  return {
      {"not yaml", "mainSteps: [unclosed", "is not valid YAML or JSON"},
      {"empty", "", "the runbook document is empty"},
      {"not a mapping", "- a\n- b\n", "a runbook document is a mapping"},
      {"wrong schema", "schemaVersion: \"0.2\"\nmainSteps:\n" + std::string(kTriage),
       "schemaVersion \"0.2\" must be \"0.3\""},
      {"unquoted schema", "schemaVersion: 0.3\nmainSteps:\n" + std::string(kTriage),
       "schemaVersion must be the string \"0.3\" (quote it)"},
      {"missing schema", "mainSteps:\n" + std::string(kTriage), "missing schemaVersion"},
      {"unknown top-level", Doc(kTriage) + "mainstep: []\n",
       "unknown top-level field \"mainstep\""},
      {"no steps", "schemaVersion: \"0.3\"\nmainSteps: []\n", "mainSteps is empty"},
      {"duplicate key", Doc(kTriage) + "description: a\ndescription: b\n",
       "duplicate key \"description\""},
      {"unknown action", Doc("  - name: x\n    action: aws:foo\n"),
       "step \"x\": unknown action \"aws:foo\""},
      {"missing action", Doc("  - name: x\n"), "step \"x\": missing action"},
      {"missing name", Doc("  - action: aws:pause\n"), "mainSteps[0]: missing name"},
      {"bad name", Doc("  - name: \"my step\"\n    action: aws:pause\n"),
       "mainSteps[0]: name \"my step\" is not valid"},
      {"unknown step field", Doc("  - name: x\n    action: aws:pause\n    nextstep: x\n"),
       "step \"x\": unknown field \"nextstep\""},
      {"duplicate step", Doc(std::string(kTriage) + kTriage),
       "step \"triage\" is defined twice (mainSteps[0] and mainSteps[1])"},
      {"unknown input",
       Doc("  - name: x\n    action: aws:sleep\n    inputs: {Duration: PT1M, Foo: 1}\n"),
       "step \"x\": aws:sleep: unknown input \"Foo\""},
      {"sleep bad duration",
       Doc("  - name: wait\n    action: aws:sleep\n    inputs: {Duration: 5m}\n"),
       "step \"wait\": aws:sleep: Duration \"5m\" is not an ISO 8601 duration (PT5M"},
      {"sleep missing duration", Doc("  - name: wait\n    action: aws:sleep\n"),
       "step \"wait\": aws:sleep: missing input Duration"},
      {"sleep too long",
       Doc("  - name: wait\n    action: aws:sleep\n    inputs: {Duration: P8D}\n"),
       "step \"wait\": aws:sleep: Duration \"P8D\" is out of range PT1S..P7D"},
      {"sleep zero",
       Doc("  - name: wait\n    action: aws:sleep\n    inputs: {Duration: PT0S}\n"),
       "Duration \"PT0S\" is out of range"},
      {"http missing url",
       Doc("  - name: call\n    action: tocsin:http\n    inputs: {Method: GET}\n"),
       "step \"call\": tocsin:http: missing input Url"},
      {"http bad method",
       Doc("  - name: call\n    action: tocsin:http\n"
           "    inputs: {Method: HEAD, Url: \"https://x.example\"}\n"),
       "step \"call\": tocsin:http: Method \"HEAD\" must be GET, POST, PUT, PATCH or DELETE"},
      {"http bad url",
       Doc("  - name: call\n    action: tocsin:http\n    inputs: {Url: \"ftp://x\"}\n"),
       "Url \"ftp://x\" must start with http:// or https://"},
      {"http body list",
       Doc("  - name: call\n    action: tocsin:http\n"
           "    inputs: {Url: \"https://x.example\", Body: [1, 2]}\n"),
       "tocsin:http: Body must be a mapping (sent as JSON) or a string, not a list"},
      {"http header not string",
       Doc("  - name: call\n    action: tocsin:http\n"
           "    inputs: {Url: \"https://x.example\", Headers: {X-A: {b: c}}}\n"),
       "Headers.X-A must be a string"},
      {"http bad status",
       Doc("  - name: call\n    action: tocsin:http\n"
           "    inputs: {Url: \"https://x.example\", ExpectedStatus: 42}\n"),
       "ExpectedStatus 42 must be an HTTP status 100..599"},
      {"command shell string",
       Doc("  - name: run\n    action: tocsin:command\n"
           "    inputs: {Command: restart, Args: \"--all --now\"}\n"),
       "step \"run\": tocsin:command: Args must be a list, never a shell string"},
      {"command with spaces",
       Doc("  - name: run\n    action: tocsin:command\n    inputs: {Command: \"rm -rf /\"}\n"),
       "Command \"rm -rf /\" is a program name from the allow-list; put its arguments in Args"},
      {"command missing", Doc("  - name: run\n    action: tocsin:command\n"),
       "step \"run\": tocsin:command: missing input Command"},
      {"command nested arg",
       Doc("  - name: run\n    action: tocsin:command\n"
           "    inputs: {Command: x, Args: [a, [b]]}\n"),
       "Args[1] must be a string, not a list"},
      {"undefined reference",
       Doc("  - name: notify\n    action: tocsin:notify\n"
           "    inputs: {Message: \"verdict: {{ verdict }}\"}\n"),
       "step \"notify\": {{ verdict }} is not a parameter or an output of an earlier step"},
      {"reference to a later step",
       Doc("  - name: notify\n    action: tocsin:notify\n"
           "    inputs: {Message: \"{{ check.Verdict }}\"}\n"
           "  - name: check\n    action: tocsin:http\n    inputs: {Url: \"https://x.example\"}\n"
           "    outputs: [{Name: Verdict, Selector: $.body.v, Type: String}]\n"),
       "step \"notify\": {{ check.Verdict }} is not a parameter or an output of an earlier step"},
      {"unknown incident field",
       Doc("  - name: n\n    action: tocsin:notify\n"
           "    inputs: {Message: \"{{ incident.owner }}\"}\n"),
       "step \"n\": {{ incident.owner }} is not a parameter"},
      {"reference in a nested body",
       Doc("  - name: call\n    action: tocsin:http\n"
           "    inputs: {Url: \"https://x.example\", Body: {a: {b: [\"{{ nope }}\"]}}}\n"),
       "step \"call\": {{ nope }} is not a parameter"},
      {"branch target",
       Doc("  - name: check\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - {NextStep: check, Variable: \"{{ P }}\", StringEquals: a}\n"
           "        - {NextStep: nope, Variable: \"{{ P }}\", StringEquals: b}\n",
           "  P: {type: String}\n"),
       "step \"check\": aws:branch: Choices[1].NextStep \"nope\" is not a step"},
      {"branch default target",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n"
           "      Choices: [{NextStep: b, Variable: \"{{ P }}\", StringEquals: a}]\n"
           "      Default: nowhere\n",
           "  P: {type: String}\n"),
       "step \"b\": aws:branch: Default \"nowhere\" is not a step"},
      {"branch no choices",
       Doc("  - name: b\n    action: aws:branch\n    inputs: {Choices: []}\n"),
       "step \"b\": aws:branch: Choices must be a non-empty list"},
      {"branch two operators",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - {NextStep: b, Variable: \"{{ P }}\", StringEquals: a, Contains: b}\n",
           "  P: {type: String}\n"),
       "Choices[0] needs exactly one operator"},
      {"branch unknown operator",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - {NextStep: b, Variable: \"{{ P }}\", StringEqual: a}\n",
           "  P: {type: String}\n"),
       "Choices[0]: unknown key \"StringEqual\""},
      {"branch variable not a reference",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - {NextStep: b, Variable: P, StringEquals: a}\n"),
       "Choices[0].Variable must be one reference"},
      {"branch numeric operand",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - {NextStep: b, Variable: \"{{ P }}\", NumericGreater: lots}\n",
           "  P: {type: Integer}\n"),
       "Choices[0].NumericGreater must be a number"},
      {"branch undefined variable",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - {NextStep: b, Variable: \"{{ Q }}\", StringEquals: a}\n"),
       "step \"b\": {{ Q }} is not a parameter"},
      {"branch with nextStep",
       Doc("  - name: b\n    action: aws:branch\n    nextStep: b\n    inputs:\n      Choices:\n"
           "        - {NextStep: b, Variable: \"{{ P }}\", StringEquals: a}\n",
           "  P: {type: String}\n"),
       "step \"b\": aws:branch: chooses the next step itself: remove nextStep"},
      {"nested condition error",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n      Choices:\n"
           "        - NextStep: b\n          And: [{Variable: \"{{ P }}\"}]\n",
           "  P: {type: String}\n"),
       "Choices[0].And[0] needs exactly one operator"},
      {"nextStep target", Doc(std::string(kTriage) + "    nextStep: nope\n"),
       "step \"triage\": nextStep \"nope\" is not a step"},
      {"onFailure target", Doc(std::string(kTriage) + "    onFailure: step:nope\n"),
       "step \"triage\": onFailure step:nope names no step"},
      {"onFailure spelling", Doc(std::string(kTriage) + "    onFailure: retry\n"),
       "step \"triage\": onFailure \"retry\" must be Abort, Continue or step:NAME"},
      {"isEnd with nextStep",
       Doc(std::string(kTriage) + "    isEnd: true\n    nextStep: triage\n"),
       "step \"triage\": isEnd and nextStep exclude each other"},
      {"isEnd not boolean", Doc(std::string(kTriage) + "    isEnd: yes please\n"),
       "step \"triage\": isEnd must be true or false"},
      {"unreachable after isEnd",
       Doc(std::string(kTriage) + "    isEnd: true\n"
           "  - name: orphan\n    action: aws:pause\n"),
       "step \"orphan\" is not reachable from the first step \"triage\""},
      {"unreachable after nextStep",
       Doc(std::string(kTriage) + "    nextStep: last\n"
           "  - name: orphan\n    action: aws:pause\n  - name: last\n    action: aws:pause\n"),
       "step \"orphan\" is not reachable from the first step \"triage\""},
      {"unreachable after branch with default",
       Doc("  - name: b\n    action: aws:branch\n    inputs:\n"
           "      Choices: [{NextStep: end, Variable: \"{{ P }}\", StringEquals: a}]\n"
           "      Default: end\n"
           "  - name: skipped\n    action: aws:pause\n  - name: end\n    action: aws:pause\n",
           "  P: {type: String}\n"),
       "step \"skipped\" is not reachable from the first step \"b\""},
      {"timeout zero", Doc(std::string(kTriage) + "    timeoutSeconds: 0\n"),
       "step \"triage\": timeoutSeconds 0 is out of range 1..604800"},
      {"timeout too long", Doc(std::string(kTriage) + "    timeoutSeconds: 604801\n"),
       "timeoutSeconds 604801 is out of range 1..604800"},
      {"timeout text", Doc(std::string(kTriage) + "    timeoutSeconds: 5m\n"),
       "step \"triage\": timeoutSeconds must be an integer"},
      {"attempts too many", Doc(std::string(kTriage) + "    maxAttempts: 11\n"),
       "step \"triage\": maxAttempts 11 is out of range 1..10"},
      {"approvers empty",
       Doc("  - name: ok\n    action: aws:approve\n    inputs: {Approvers: []}\n"),
       "step \"ok\": aws:approve: Approvers is empty"},
      {"approvers missing", Doc("  - name: ok\n    action: aws:approve\n"),
       "step \"ok\": aws:approve: missing input Approvers"},
      {"approvers twice",
       Doc("  - name: ok\n    action: aws:approve\n    inputs: {Approvers: [a, b, a]}\n"),
       "Approvers[2] \"a\" is listed twice"},
      {"approvers string",
       Doc("  - name: ok\n    action: aws:approve\n    inputs: {Approvers: alice}\n"),
       "Approvers must be a list"},
      {"approvals too many",
       Doc("  - name: ok\n    action: aws:approve\n"
           "    inputs: {Approvers: [a, b], MinRequiredApprovals: 3}\n"),
       "step \"ok\": aws:approve: MinRequiredApprovals 3 is more than the 2 Approvers"},
      {"approvals zero",
       Doc("  - name: ok\n    action: aws:approve\n"
           "    inputs: {Approvers: [a], MinRequiredApprovals: 0}\n"),
       "MinRequiredApprovals 0 must be at least 1"},
      {"manual without message", Doc("  - name: m\n    action: tocsin:manual\n"),
       "step \"m\": tocsin:manual: missing input Message"},
      {"notify message not string",
       Doc("  - name: n\n    action: tocsin:notify\n    inputs: {Message: [a]}\n"),
       "step \"n\": tocsin:notify: Message must be a string, not a list"},
      {"update nothing", Doc("  - name: u\n    action: tocsin:updateIncident\n"),
       "step \"u\": tocsin:updateIncident: needs at least one of Impact, Title, Note, Resolve"},
      {"update impact",
       Doc("  - name: u\n    action: tocsin:updateIncident\n    inputs: {Impact: 9}\n"),
       "Impact 9 must be an integer 1..5"},
      {"update resolve",
       Doc("  - name: u\n    action: tocsin:updateIncident\n    inputs: {Resolve: soon}\n"),
       "Resolve must be true or false"},
      {"waitFor without until",
       Doc("  - name: w\n    action: tocsin:waitFor\n    inputs: {Url: \"https://x.example\"}\n"),
       "step \"w\": tocsin:waitFor: missing input Until"},
      {"waitFor bad selector",
       Doc("  - name: w\n    action: tocsin:waitFor\n"
           "    inputs: {Url: \"https://x.example\", Until: {Selector: body, StringEquals: up}}\n"),
       "Until.Selector must be a JSONPath"},
      {"waitFor bad interval",
       Doc("  - name: w\n    action: tocsin:waitFor\n"
           "    inputs: {Url: \"https://x.example\", Interval: 10s,"
           " Until: {Selector: $.status, NumericEquals: 200}}\n"),
       "tocsin:waitFor: Interval \"10s\" is not an ISO 8601 duration"},
      {"output selector",
       Doc("  - name: c\n    action: tocsin:http\n    inputs: {Url: \"https://x.example\"}\n"
           "    outputs: [{Name: V, Selector: body.v, Type: String}]\n"),
       "step \"c\": output \"V\": Selector \"body.v\" must be a JSONPath starting with \"$\""},
      {"output type",
       Doc("  - name: c\n    action: tocsin:http\n    inputs: {Url: \"https://x.example\"}\n"
           "    outputs: [{Name: V, Selector: $.v, Type: Float}]\n"),
       "step \"c\": outputs[0]: Type \"Float\" must be String, Integer"},
      {"output missing selector",
       Doc("  - name: c\n    action: tocsin:http\n    inputs: {Url: \"https://x.example\"}\n"
           "    outputs: [{Name: V, Type: String}]\n"),
       "step \"c\": outputs[0]: missing Selector"},
      {"output twice",
       Doc("  - name: c\n    action: tocsin:http\n    inputs: {Url: \"https://x.example\"}\n"
           "    outputs: [{Name: V, Selector: $.a, Type: String},"
           " {Name: V, Selector: $.b, Type: String}]\n"),
       "step \"c\": output \"V\": is defined twice"},
      {"document output", Doc(kTriage) + "outputs: [triage.Nothing]\n",
       "outputs: \"triage.Nothing\" is not an output of a step"},
      {"parameter default type", Doc(kTriage, "  Env: {type: String, default: 5}\n"),
       "parameter \"Env\": default 5 is not of type String"},
      {"parameter integer default quoted",
       Doc(kTriage, "  N: {type: Integer, default: \"5\"}\n"),
       "parameter \"N\": default \"5\" is not of type Integer"},
      {"parameter list default", Doc(kTriage, "  L: {type: StringList, default: a}\n"),
       "parameter \"L\": default \"a\" is not of type StringList"},
      {"parameter default not allowed",
       Doc(kTriage, "  Env: {type: String, default: qa, allowedValues: [prod, dev]}\n"),
       "parameter \"Env\": default \"qa\" is not in allowedValues"},
      {"parameter allowed value type",
       Doc(kTriage, "  N: {type: Integer, allowedValues: [1, two]}\n"),
       "parameter \"N\": allowedValues entry \"two\" is not of type Integer"},
      {"parameter unknown type", Doc(kTriage, "  Env: {type: Text}\n"),
       "parameter \"Env\": type \"Text\" must be String, Integer, Boolean, StringList or "
       "StringMap"},
      {"parameter missing type", Doc(kTriage, "  Env: {default: a}\n"),
       "parameter \"Env\": missing type"},
      {"parameter reserved name", Doc(kTriage, "  incident: {type: String}\n"),
       "parameter \"incident\": the name is reserved"},
      {"parameter named secret", Doc(kTriage, "  secret: {type: String}\n"),
       "parameter \"secret\": the name is reserved"},
      {"parameter unknown field", Doc(kTriage, "  Env: {type: String, allowedPattern: x}\n"),
       "parameter \"Env\": unknown field \"allowedPattern\""},
  };
}

TEST(ParseRunbookDocumentTest, BadDocumentsGiveTheirError) {
  for (const BadCase& bad : BadCases()) {
    SCOPED_TRACE(bad.label);
    EXPECT_THAT(ParseRunbookDocument(bad.document).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad.error)))
        << bad.document;
  }
}

TEST(ParseRunbookDocumentTest, ReachabilityFollowsBranchesFallThroughAndOnFailure) {
  // Branch without Default falls through to the next step; onFailure step:NAME reaches NAME.
  EXPECT_OK(ParseRunbookDocument(
                Doc("  - name: b\n    action: aws:branch\n    inputs:\n"
                    "      Choices: [{NextStep: c, Variable: \"{{ P }}\", StringEquals: a}]\n"
                    "  - name: next\n    action: aws:pause\n    isEnd: true\n"
                    "  - name: c\n    action: aws:pause\n    onFailure: step:cleanup\n"
                    "    isEnd: true\n"
                    "  - name: cleanup\n    action: aws:pause\n",
                    "  P: {type: String}\n"))
                .status());
  // A loop back to an earlier step is allowed.
  EXPECT_OK(ParseRunbookDocument(Doc(std::string(kTriage) +
                                     "  - name: again\n    action: aws:pause\n"
                                     "    nextStep: triage\n"))
                .status());
}

TEST(ParseRunbookDocumentTest, ReferencesMayStandForTypedInputs) {
  EXPECT_OK(ParseRunbookDocument(
                Doc("  - name: ok\n    action: aws:approve\n"
                    "    inputs: {Approvers: \"{{ Who }}\", MinRequiredApprovals: \"{{ N }}\"}\n"
                    "  - name: wait\n    action: aws:sleep\n    inputs: {Duration: \"{{ D }}\"}\n",
                    "  Who: {type: StringList}\n  N: {type: Integer}\n  D: {type: String}\n"))
                .status());
}

// ---- References ----

TEST(ReferencesInTest, FindsNamesTrimmed) {
  EXPECT_THAT(ReferencesIn("a {{ x }} b {{y.Out}} c {{  incident.id}}"),
              ElementsAre("x", "y.Out", "incident.id"));
  EXPECT_THAT(ReferencesIn("{{ x }}{{ x }}"), ElementsAre("x", "x"));
  EXPECT_THAT(ReferencesIn("no references { x } }} {{"), IsEmpty());
  EXPECT_THAT(ReferencesIn("{{ open"), IsEmpty());
  EXPECT_THAT(ReferencesIn("{{}}"), ElementsAre(""));
  EXPECT_THAT(ReferencesIn(""), IsEmpty());
}

// ---- ISO 8601 durations ----

TEST(ParseIsoDurationTest, AcceptsTheSubset) {
  struct Good {
    const char* text;
    absl::Duration want;
  };
  const Good goods[] = {
      {"PT5M", absl::Minutes(5)},
      {"PT1H30M", absl::Minutes(90)},
      {"P1D", absl::Hours(24)},
      {"P1DT12H", absl::Hours(36)},
      {"P2W", absl::Hours(14 * 24)},
      {"PT45S", absl::Seconds(45)},
      {"PT1H2M3S", absl::Seconds(3723)},
      {"PT0S", absl::ZeroDuration()},
      {"PT90M", absl::Minutes(90)},
      {"P1W2DT3H", absl::Hours(7 * 24 + 48 + 3)},
  };
  for (const Good& good : goods) {
    SCOPED_TRACE(good.text);
    absl::StatusOr<absl::Duration> parsed = ParseIsoDuration(good.text);
    ASSERT_OK(parsed.status());
    EXPECT_EQ(*parsed, good.want);
  }
}

TEST(ParseIsoDurationTest, RejectsTheRest) {
  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad bads[] = {
      {"", "must start with P"},
      {"5m", "must start with P"},
      {"pt5m", "must start with P"},
      {"P", "no components"},
      {"PT", "no components"},
      {"P1DT", "T must be followed by"},
      {"PT5", "no designator"},
      {"P5H", "come after T"},
      {"PT1D", "unexpected 'D'"},
      {"P1Y", "years and months"},
      {"P1M", "years and months"},
      {"PT1.5H", "fractions"},
      {"PT5M1H", "unexpected 'H'"},
      {"PT5M5M", "unexpected 'M'"},
      {"P1DT2HT3M", "T appears twice"},
      {"PT-5M", "expected a number"},
      {"PT1234567890S", "too large"},
      {"PT5M ", "expected a number"},
  };
  for (const Bad& bad : bads) {
    SCOPED_TRACE(bad.text);
    EXPECT_THAT(ParseIsoDuration(bad.text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad.error)));
  }
}

}  // namespace
}  // namespace tocsin::runbook

namespace tocsin::runbook {
namespace {

// Every value survives DocumentYaml and a parse: quoted numbers stay strings, Markdown keeps its
// lines, awkward strings are quoted.
TEST(DocumentYamlTest, ReadsBackToTheSameValues) {
  const std::string source = R"yaml(
schemaVersion: "0.3"
description: |
  Restart the service.

  * check the dashboard
parameters:
  Port: {type: String, default: "8080"}
  Count: {type: Integer, default: 3}
  Odd: {type: String, default: "  leading spaces\nand: a colon\ttab"}
  Empty: {type: String, default: ""}
mainSteps:
  - name: look
    action: tocsin:manual
    inputs: {Message: "Is {{ Port }} open? # not a comment"}
    isEnd: true
)yaml";
  YAML::Node node = YAML::Load(source);
  const std::string emitted = DocumentYaml(node);
  YAML::Node again = YAML::Load(emitted);
  EXPECT_EQ(again["schemaVersion"].Tag(), "!") << emitted;
  EXPECT_EQ(again["schemaVersion"].Scalar(), "0.3");
  EXPECT_EQ(again["description"].Scalar(), node["description"].Scalar());
  EXPECT_EQ(again["parameters"]["Port"]["default"].Tag(), "!") << emitted;
  EXPECT_EQ(again["parameters"]["Count"]["default"].Tag(), "?");
  EXPECT_EQ(again["parameters"]["Odd"]["default"].Scalar(),
            "  leading spaces\nand: a colon\ttab");
  EXPECT_EQ(again["parameters"]["Empty"]["default"].Scalar(), "");
  EXPECT_EQ(again["mainSteps"][0]["inputs"]["Message"].Scalar(),
            "Is {{ Port }} open? # not a comment");
  ASSERT_OK(ParseRunbookDocument(emitted).status()) << emitted;
  EXPECT_EQ(DocumentYaml(again), emitted);
}

}  // namespace
}  // namespace tocsin::runbook
