// tocsin postmortems, actions and templates, and kind AnalysisTemplate in
// tocsin apply, against the real postmortem core and API in the test's
// process (services/postmortem/test_service.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/options.h"
#include "libs/client/postmortem_client.h"
#include "nlohmann/json.hpp"
#include "services/postmortem/test_service.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

namespace inc = ::tocsin::incidents::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

inc::TimelineEvent Entry(const std::string& type, int64_t seconds_after_opening,
                         const nlohmann::json& data = nullptr) {
  inc::TimelineEvent entry;
  entry.set_type(type);
  entry.set_message(type);
  entry.set_author("test");
  entry.mutable_event_time()->set_seconds(kNewYear2026 + seconds_after_opening);
  if (!data.is_null()) entry.set_data_json(data.dump());
  return entry;
}

// inc-1 of plan payments, resolved: an alarm a minute before it opened,
// alice paged after 5s who acknowledged after 3 minutes, resolved after 40
// minutes, never marked mitigated (its time to mitigate is missing).
postmortem::IncidentFacts Resolved() {
  postmortem::IncidentFacts facts;
  inc::Incident& incident = facts.incident;
  incident.set_id("inc-1");
  incident.set_title("Payments latency");
  incident.set_impact(2);
  incident.set_response_plan("payments");
  incident.set_status(inc::INCIDENT_STATUS_RESOLVED);
  incident.mutable_create_time()->set_seconds(kNewYear2026);
  incident.mutable_resolve_time()->set_seconds(kNewYear2026 + 2400);
  inc::IncidentAlarm alarm;
  alarm.set_outcome(inc::INGEST_OUTCOME_OPENED);
  alarm.mutable_alarm()->set_state(inc::ALARM_STATE_ALARM);
  alarm.mutable_alarm()->mutable_state_time()->set_seconds(kNewYear2026 - 60);
  facts.alarms.push_back(alarm);
  facts.timeline.push_back(Entry("incident.opened", 0));
  facts.timeline.push_back(Entry(
      "page.sent", 5,
      {{"page_id", "pg-1"}, {"contact", "alice"}, {"channel_kind", "email"}, {"stage", 0}}));
  facts.timeline.push_back(Entry(
      "page.acknowledged", 180,
      {{"page_id", "pg-1"}, {"contact", "alice"}, {"acked_by", "cli:alice"}}));
  facts.timeline.push_back(Entry("incident.resolved", 2400));
  return facts;
}

// inc-2 of plan search, still open, opened by hand: no alarm, no page.
postmortem::IncidentFacts Open() {
  postmortem::IncidentFacts facts;
  facts.incident.set_id("inc-2");
  facts.incident.set_title("Search down");
  facts.incident.set_impact(3);
  facts.incident.set_response_plan("search");
  facts.incident.set_status(inc::INCIDENT_STATUS_OPEN);
  facts.incident.mutable_create_time()->set_seconds(kNewYear2026);
  facts.timeline.push_back(Entry("incident.opened", 0));
  return facts;
}

constexpr char kTemplate[] = R"yaml(
kind: AnalysisTemplate
name: payments-review
description: For payments incidents
sections:
  - id: impact
    title: Impact
    help: Who was hurt, and how much.
    questions:
      - id: customers
        text: How many customers were affected?
        help: An estimate is fine.
        type: number
      - id: who
        text: Who noticed first?
        type: single-choice
        choices: [An alarm, A customer]
)yaml";

// `text` with its first `from` replaced by `to`.
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class PostmortemsCommandsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_OK_AND_ASSIGN(postmortems_, postmortem::TestPostmortemService::Start());
    postmortems_->AddIncident(Resolved());
    postmortems_->AddIncident(Open());
  }

  GlobalOptions Options() const {
    GlobalOptions options = Defaults();
    options.postmortem = postmortems_->address();
    return options;
  }
  Result Tocsin(const std::vector<std::string>& args, const std::string& in = "") const {
    return RunWith(Options(), args, in);
  }

  // Creates an analysis of `incident` and returns its id.
  std::string Create(const std::string& incident) {
    Result created =
        Tocsin({"postmortems", "create", "--incident", incident, "--output", "json"});
    EXPECT_EQ(created.exit_code, kExitOk) << created.err;
    if (created.exit_code != kExitOk) return "";
    return nlohmann::json::parse(created.out)["id"];
  }

  std::unique_ptr<postmortem::TestPostmortemService> postmortems_;
};

TEST_F(PostmortemsCommandsTest, CreateListAndShow) {
  Result created = Tocsin({"postmortems", "create", "--incident", "inc-1"});
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "created pia-1 for inc-1 (template Tocsin-Default)\n");

  Result list = Tocsin({"postmortems", "list"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_EQ(list.out,
            "ID     INCIDENT  TITLE             STATE  TEMPLATE        CREATED               BY\n"
            "pia-1  inc-1     Payments latency  draft  Tocsin-Default  2026-01-01T00:00:00Z  "
            "cli:alice\n");
  Result other = Tocsin({"postmortems", "list", "--incident", "inc-2"});
  ASSERT_EQ(other.exit_code, kExitOk) << other.err;
  EXPECT_EQ(other.out, "ID  INCIDENT  TITLE  STATE  TEMPLATE  CREATED  BY\n");
  Result json = Tocsin({"postmortems", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json listed = nlohmann::json::parse(json.out);
  ASSERT_EQ(listed.size(), 1);
  EXPECT_EQ(listed[0]["id"], "pia-1");
  // The same shape as `show --output json`: states as the CLI spells them, a
  // missing metric null.
  EXPECT_EQ(listed[0]["state"], "draft");
  EXPECT_EQ(listed[0]["createdBy"], "cli:alice");
  EXPECT_EQ(listed[0]["incidentId"], "inc-1");
  ASSERT_TRUE(listed[0]["metrics"].contains("timeToMitigateSeconds"));
  EXPECT_TRUE(listed[0]["metrics"]["timeToMitigateSeconds"].is_null());

  Result show = Tocsin({"postmortems", "show", "pia-1"});
  ASSERT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_THAT(show.out, StartsWith("ID:               pia-1\n"
                                   "Incident:         inc-1: Payments latency\n"
                                   "Incident status:  resolved\n"
                                   "Response plan:    payments\n"));
  EXPECT_THAT(show.out, HasSubstr("State:            draft\n"));
  EXPECT_THAT(show.out, HasSubstr("Template:         Tocsin-Default (version 1)\n"));
  EXPECT_THAT(show.out, HasSubstr("Created:          2026-01-01T00:00:00Z by cli:alice\n"));
  EXPECT_THAT(show.out, HasSubstr("METRIC                     VALUE\n"
                                  "Time to detect             1m 00s\n"
                                  "Time to engage             5s\n"
                                  "Time to acknowledge        3m 00s\n"
                                  "Time to mitigate           —\n"
                                  "Time to resolve            40m 00s\n"
                                  "Pages                      1\n"
                                  "People engaged             1\n"));
  EXPECT_THAT(show.out, HasSubstr("People engaged:\nCONTACT  CHANNELS  PAGES  FIRST PAGED"));
  EXPECT_THAT(show.out, HasSubstr("\nalice    email     1      2026-01-01T00:00:05Z  "
                                  "2026-01-01T00:03:00Z  cli:alice\n"));
  EXPECT_THAT(show.out, HasSubstr("\ndetection: Detection\n"
                                  "  detect-halve (text): How could the time to detect be "
                                  "halved?\n    —\n"
                                  "  right-alarm (yes-no): Was the alarm that fired the right "
                                  "one?\n    —\n"));
  EXPECT_THAT(show.out, HasSubstr("  engaged-teams (number): How many teams were involved?\n"));
  EXPECT_THAT(show.out, HasSubstr("\nAction items: none\n"));
  EXPECT_THAT(show.out, HasSubstr("History:\nTIME                  BY         ACTION   REASON\n"
                                  "2026-01-01T00:00:00Z  cli:alice  created  by hand\n"));
  EXPECT_THAT(show.out, HasSubstr("\nTimeline: 4 entries (the full timeline: tocsin postmortems "
                                  "export pia-1)\n"));

  Result unknown = Tocsin({"postmortems", "show", "pia-9"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_EQ(unknown.err,
            "error: NOT_FOUND: no post-incident analysis pia-9 (tocsin postmortems list shows "
            "them)\n");
  Result no_incident = Tocsin({"postmortems", "create", "--incident", "inc-9"});
  EXPECT_EQ(no_incident.exit_code, kExitFailed);
  EXPECT_THAT(no_incident.err, StartsWith("error: NOT_FOUND: no incident inc-9"));
  Result no_template =
      Tocsin({"postmortems", "create", "--incident", "inc-1", "--template", "nope"});
  EXPECT_EQ(no_template.exit_code, kExitFailed);
  EXPECT_THAT(no_template.err, HasSubstr("no analysis template \"nope\" (tocsin templates list"));
  Result usage = Tocsin({"postmortems", "create"});
  EXPECT_EQ(usage.exit_code, kExitUsage);
  EXPECT_THAT(usage.err, StartsWith("error: \"postmortems create\" needs --incident ID\n"));
}

TEST_F(PostmortemsCommandsTest, ShowJsonIsTheServicesExportWithNullForAMissingMetric) {
  const std::string id = Create("inc-1");
  Result json = Tocsin({"postmortems", "show", id, "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  auto postmortems = client::PostmortemClient::Create(client::MakeChannel(postmortems_->address()));
  ASSERT_OK_AND_ASSIGN(postmortem::v1::ExportAnalysisResponse exported,
                       postmortems->ExportAnalysis(id, postmortem::v1::EXPORT_FORMAT_JSON));
  EXPECT_EQ(json.out, exported.content());
  nlohmann::json doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["id"], id);
  EXPECT_TRUE(doc["metrics"]["timeToMitigateSeconds"].is_null());
  EXPECT_EQ(doc["metrics"]["timeToAcknowledgeSeconds"], 180);
}

TEST_F(PostmortemsCommandsTest, AnswersAreCheckedAgainstTheirQuestionsType) {
  const std::string id = Create("inc-1");
  Result yes = Tocsin({"postmortems", "answer", id, "right-alarm", "--text", "Y"});
  ASSERT_EQ(yes.exit_code, kExitOk) << yes.err;
  EXPECT_EQ(yes.out, "answered right-alarm on pia-1: yes\n");
  Result choice = Tocsin({"postmortems", "answer", id, "detected-by", "--text", "a customer"});
  ASSERT_EQ(choice.exit_code, kExitOk) << choice.err;
  EXPECT_EQ(choice.out, "answered detected-by on pia-1: A customer\n");
  Result text = Tocsin({"postmortems", "answer", id, "why-1", "--text",
                        "The cache expired.\n\nEvery key at once."});
  ASSERT_EQ(text.exit_code, kExitOk) << text.err;

  Result maybe = Tocsin({"postmortems", "answer", id, "right-alarm", "--text", "maybe"});
  EXPECT_EQ(maybe.exit_code, kExitFailed);
  EXPECT_EQ(maybe.err,
            "error: INVALID_ARGUMENT: right-alarm is a yes/no question: answer yes or no, not "
            "\"maybe\"\n");
  Result number = Tocsin({"postmortems", "answer", id, "engaged-teams", "--text", "two"});
  EXPECT_EQ(number.exit_code, kExitFailed);
  EXPECT_THAT(number.err, HasSubstr("engaged-teams takes a number"));
  Result unknown = Tocsin({"postmortems", "answer", id, "why-6", "--text", "x"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.err, StartsWith("error: NOT_FOUND: analysis pia-1 has no question "
                                      "\"why-6\"; its questions: detect-halve, right-alarm"));
  Result no_text = Tocsin({"postmortems", "answer", id, "why-1"});
  EXPECT_EQ(no_text.exit_code, kExitUsage);

  Result show = Tocsin({"postmortems", "show", id});
  ASSERT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_THAT(show.out, HasSubstr("  right-alarm (yes-no): Was the alarm that fired the right "
                                  "one?\n    yes\n"));
  EXPECT_THAT(show.out, HasSubstr("  detected-by (single-choice): Who or what noticed the "
                                  "problem first?\n    A customer\n"));
  EXPECT_THAT(show.out, HasSubstr("  why-1 (text): Why did the problem happen?\n"
                                  "    The cache expired.\n\n    Every key at once.\n"
                                  "  why-2 (text): Why did that happen?\n    —\n"));
}

TEST_F(PostmortemsCommandsTest, ActionItemsAreAddedListedAndDone) {
  const std::string id = Create("inc-1");
  Result added = Tocsin({"postmortems", "action-add", id, "--title", "Alarm on p99 latency",
                         "--owner", "payments-team", "--due", "2026-01-15", "--priority",
                         "high", "--link", "https://tracker.example.com/PAY-1"});
  ASSERT_EQ(added.exit_code, kExitOk) << added.err;
  EXPECT_EQ(added.out, "act-2\n");
  // Due before today (the service's clock: 2026-01-01): overdue at once.
  Result late = Tocsin({"postmortems", "action-add", id, "--title", "Write the runbook",
                        "--owner", "bob", "--due", "2025-12-30"});
  ASSERT_EQ(late.exit_code, kExitOk) << late.err;
  EXPECT_EQ(late.out, "act-3\n");

  Result bad_due = Tocsin({"postmortems", "action-add", id, "--title", "x", "--owner", "bob",
                           "--due", "15/01/2026"});
  EXPECT_EQ(bad_due.exit_code, kExitFailed);
  EXPECT_EQ(bad_due.err,
            "error: INVALID_ARGUMENT: due date \"15/01/2026\" must be a day as YYYY-MM-DD "
            "(--due 2026-12-31)\n");
  Result bad_priority = Tocsin({"postmortems", "action-add", id, "--title", "x", "--owner",
                                "bob", "--due", "2026-01-15", "--priority", "urgent"});
  EXPECT_EQ(bad_priority.exit_code, kExitFailed);
  EXPECT_THAT(bad_priority.err, HasSubstr("must be critical, high, medium or low"));
  Result no_owner =
      Tocsin({"postmortems", "action-add", id, "--title", "x", "--due", "2026-01-15"});
  EXPECT_EQ(no_owner.exit_code, kExitUsage);
  EXPECT_THAT(no_owner.err, StartsWith("error: \"postmortems action-add\" needs --owner OWNER"));

  Result list = Tocsin({"actions", "list"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_THAT(list.out, StartsWith("ID     TITLE                 OWNER          DUE         "
                                   "PRIORITY  STATE           INCIDENT  ANALYSIS  LINK\n"));
  EXPECT_THAT(list.out, HasSubstr("act-2  Alarm on p99 latency  payments-team  2026-01-15  "
                                  "high      open            inc-1     pia-1     "
                                  "https://tracker.example.com/PAY-1\n"));
  EXPECT_THAT(list.out, HasSubstr("act-3  Write the runbook     bob            2025-12-30  "
                                  "medium    open (overdue)  inc-1     pia-1     -\n"));
  Result overdue = Tocsin({"actions", "list", "--overdue"});
  ASSERT_EQ(overdue.exit_code, kExitOk) << overdue.err;
  EXPECT_THAT(overdue.out, HasSubstr("act-3"));
  EXPECT_THAT(overdue.out, Not(HasSubstr("act-2")));
  Result owner = Tocsin({"actions", "list", "--owner", "payments-team", "--output", "json"});
  ASSERT_EQ(owner.exit_code, kExitOk) << owner.err;
  nlohmann::json owned = nlohmann::json::parse(owner.out);
  ASSERT_EQ(owned.size(), 1);
  EXPECT_EQ(owned[0]["id"], "act-2");
  EXPECT_EQ(owned[0]["author"], "cli:alice");

  Result done = Tocsin({"actions", "done", "act-3"});
  ASSERT_EQ(done.exit_code, kExitOk) << done.err;
  EXPECT_EQ(done.out, "action act-3 done\n");
  Result none_overdue = Tocsin({"actions", "list", "--overdue"});
  ASSERT_EQ(none_overdue.exit_code, kExitOk) << none_overdue.err;
  EXPECT_EQ(none_overdue.out,
            "ID  TITLE  OWNER  DUE  PRIORITY  STATE  INCIDENT  ANALYSIS  LINK\n");
  Result after = Tocsin({"actions", "list", "--owner", "bob"});
  EXPECT_THAT(after.out, HasSubstr("medium    done   inc-1"));
  Result unknown = Tocsin({"actions", "done", "act-9"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.err, StartsWith("error: NOT_FOUND: no action item act-9"));

  Result show = Tocsin({"postmortems", "show", id});
  EXPECT_THAT(show.out, HasSubstr("Action items:\nID     TITLE"));
  EXPECT_THAT(show.out, HasSubstr("act-3  Write the runbook     bob            2025-12-30  "
                                  "medium    done"));
}

TEST_F(PostmortemsCommandsTest, ReviewStatesAndReopening) {
  const std::string id = Create("inc-1");
  Result early = Tocsin({"postmortems", "status", id, "published"});
  EXPECT_EQ(early.exit_code, kExitFailed);
  EXPECT_THAT(early.err, HasSubstr("move it to in-review first (tocsin postmortems status pia-1 "
                                   "in-review)"));
  Result review = Tocsin({"postmortems", "status", id, "in-review"});
  ASSERT_EQ(review.exit_code, kExitOk) << review.err;
  EXPECT_EQ(review.out, "analysis pia-1 is in-review\n");
  Result published = Tocsin({"postmortems", "status", id, "published"});
  ASSERT_EQ(published.exit_code, kExitOk) << published.err;
  EXPECT_EQ(published.out, "analysis pia-1 is published\n");

  // A published analysis's answers are read-only until it is reopened.
  Result answer = Tocsin({"postmortems", "answer", id, "right-alarm", "--text", "no"});
  EXPECT_EQ(answer.exit_code, kExitFailed);
  EXPECT_EQ(answer.err,
            "error: FAILED_PRECONDITION: analysis pia-1 is published: its answers are "
            "read-only. To change an answer, reopen it first: tocsin postmortems status pia-1 "
            "reopen --reason TEXT\n");
  Result action = Tocsin({"postmortems", "action-add", id, "--title", "x", "--owner", "bob",
                          "--due", "2026-01-15"});
  EXPECT_EQ(action.exit_code, kExitFailed);
  EXPECT_THAT(action.err, HasSubstr("To add action items, reopen it first"));

  Result no_reason = Tocsin({"postmortems", "status", id, "reopen"});
  EXPECT_EQ(no_reason.exit_code, kExitFailed);
  EXPECT_THAT(no_reason.err, HasSubstr("reopening needs a reason (--reason TEXT)"));
  Result reopened =
      Tocsin({"postmortems", "status", id, "reopen", "--reason", "the root cause was wrong"});
  ASSERT_EQ(reopened.exit_code, kExitOk) << reopened.err;
  EXPECT_EQ(reopened.out, "analysis pia-1 is draft (reopened)\n");
  Result again = Tocsin({"postmortems", "answer", id, "right-alarm", "--text", "no"});
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;

  Result show = Tocsin({"postmortems", "show", id});
  EXPECT_THAT(show.out, HasSubstr("cli:alice  in-review  -\n"));
  EXPECT_THAT(show.out, HasSubstr("cli:alice  published  -\n"));
  EXPECT_THAT(show.out, HasSubstr("cli:alice  reopened   the root cause was wrong\n"));

  Result bad = Tocsin({"postmortems", "status", id, "done"});
  EXPECT_EQ(bad.exit_code, kExitUsage);
  EXPECT_THAT(bad.err, HasSubstr("must be one of draft, in-review, published, reopen"));
}

TEST_F(PostmortemsCommandsTest, ExportPrintsTheServicesContentAsItIs) {
  const std::string id = Create("inc-1");
  ASSERT_EQ(Tocsin({"postmortems", "answer", id, "why-1", "--text", "A | pipe"}).exit_code,
            kExitOk);
  auto postmortems = client::PostmortemClient::Create(client::MakeChannel(postmortems_->address()));

  Result markdown = Tocsin({"postmortems", "export", id});
  ASSERT_EQ(markdown.exit_code, kExitOk) << markdown.err;
  ASSERT_OK_AND_ASSIGN(postmortem::v1::ExportAnalysisResponse expected,
                       postmortems->ExportAnalysis(id, postmortem::v1::EXPORT_FORMAT_MARKDOWN));
  EXPECT_EQ(markdown.out, expected.content());
  EXPECT_THAT(markdown.out, StartsWith("# Post-incident analysis: Payments latency"));
  Result explicit_markdown = Tocsin({"postmortems", "export", id, "--format", "markdown"});
  EXPECT_EQ(explicit_markdown.out, expected.content());

  Result json = Tocsin({"postmortems", "export", id, "--format", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  ASSERT_OK_AND_ASSIGN(expected,
                       postmortems->ExportAnalysis(id, postmortem::v1::EXPORT_FORMAT_JSON));
  EXPECT_EQ(json.out, expected.content());
  nlohmann::json doc = nlohmann::json::parse(json.out);
  EXPECT_TRUE(doc["metrics"]["timeToMitigateSeconds"].is_null());
  EXPECT_EQ(doc["metrics"]["timeToResolveSeconds"], 2400);

  Result bad = Tocsin({"postmortems", "export", id, "--format", "pdf"});
  EXPECT_EQ(bad.exit_code, kExitUsage);
}

TEST_F(PostmortemsCommandsTest, MetricsPerPlanAndMonthWithADashForMissingOnes) {
  Create("inc-1");
  const std::string search = Create("inc-2");
  ASSERT_EQ(Tocsin({"postmortems", "action-add", search, "--title", "Add a search alarm",
                    "--owner", "bob", "--due", "2025-12-31"})
                .exit_code,
            kExitOk);

  Result metrics = Tocsin({"postmortems", "metrics"});
  ASSERT_EQ(metrics.exit_code, kExitOk) << metrics.err;
  const std::vector<std::string> lines = absl::StrSplit(metrics.out, '\n');
  // A header, four groups of eight metrics with a blank line between, a blank
  // line, the owners' header and one owner, and the last newline.
  ASSERT_EQ(lines.size(), 1u + 4 * 8 + 3 + 1 + 2 + 1) << metrics.out;
  EXPECT_EQ(lines[0], "PLAN      MONTH    INCIDENTS  METRIC               MEAN     P50      P90");
  EXPECT_EQ(lines[1], "payments  2026-01  1          "
                      "time_to_detect       1m 00s   1m 00s   1m 00s");
  EXPECT_EQ(lines[2], "payments  2026-01  1          time_to_engage       5s       5s       5s");
  EXPECT_EQ(lines[4], "payments  2026-01  1          time_to_mitigate     —        —        —");
  EXPECT_EQ(lines[5], "payments  2026-01  1          "
                      "time_to_resolve      40m 00s  40m 00s  40m 00s");
  EXPECT_EQ(lines[6], "payments  2026-01  1          pages                1        1        1");
  EXPECT_EQ(lines[9], "");
  EXPECT_EQ(lines[10], "payments  all      1          "
                       "time_to_detect       1m 00s   1m 00s   1m 00s");
  EXPECT_EQ(lines[19], "search    2026-01  1          time_to_detect       —        —        —");
  EXPECT_EQ(lines[24], "search    2026-01  1          pages                0        0        0");
  EXPECT_EQ(lines[28], "search    all      1          time_to_detect       —        —        —");
  EXPECT_EQ(lines[36], "");
  EXPECT_EQ(lines[37], "OWNER  OPEN  OVERDUE");
  EXPECT_EQ(lines[38], "bob    1     1");

  Result json = Tocsin({"postmortems", "metrics", "--plan", "search", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["groups"].size(), 2) << json.out;
  EXPECT_EQ(doc["groups"][1]["month"], "");
  const nlohmann::json& detect = doc["groups"][0]["metrics"][0];
  EXPECT_EQ(detect["metric"], "time_to_detect");
  EXPECT_EQ(detect["count"], "0");
  ASSERT_TRUE(detect.contains("mean"));
  EXPECT_TRUE(detect["mean"].is_null());
  EXPECT_TRUE(detect["p50"].is_null());
  EXPECT_TRUE(detect["p90"].is_null());
  EXPECT_EQ(doc["owners"][0]["owner"], "bob");

  Result payments = Tocsin({"postmortems", "metrics", "--plan", "payments", "--output", "json"});
  nlohmann::json paid = nlohmann::json::parse(payments.out);
  EXPECT_EQ(paid["groups"][0]["metrics"][2]["metric"], "time_to_acknowledge");
  EXPECT_EQ(paid["groups"][0]["metrics"][2]["mean"], 180);

  Result later = Tocsin({"postmortems", "metrics", "--from", "2026-02-01"});
  ASSERT_EQ(later.exit_code, kExitOk) << later.err;
  EXPECT_EQ(later.out,
            "PLAN  MONTH  INCIDENTS  METRIC  MEAN  P50  P90\n\nOWNER  OPEN  OVERDUE\n");
  Result window = Tocsin({"postmortems", "metrics", "--from", "2025-12-31T00:00:00Z", "--to",
                          "2026-01-02"});
  ASSERT_EQ(window.exit_code, kExitOk) << window.err;
  EXPECT_THAT(window.out, HasSubstr("payments  2026-01"));
  Result backwards =
      Tocsin({"postmortems", "metrics", "--from", "2026-02-01", "--to", "2026-01-01"});
  EXPECT_EQ(backwards.exit_code, kExitFailed);
  EXPECT_THAT(backwards.err, HasSubstr("--to must be after --from"));
  Result bad = Tocsin({"postmortems", "metrics", "--from", "March"});
  EXPECT_EQ(bad.exit_code, kExitUsage);
  EXPECT_THAT(bad.err, HasSubstr("\"March\" is not a day such as 2026-03-01"));
}

TEST_F(PostmortemsCommandsTest, TemplatesListAndShow) {
  Result list = Tocsin({"templates", "list"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_EQ(list.out,
            "NAME            VERSION  SECTIONS  QUESTIONS  BUILT-IN\n"
            "Tocsin-Default  1        4         19         yes\n");
  Result json = Tocsin({"templates", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)[0]["builtin"], true);

  Result show = Tocsin({"templates", "show", "Tocsin-Default"});
  ASSERT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_THAT(show.out, StartsWith("Name:         Tocsin-Default\n"
                                   "Version:      1\n"
                                   "Built in:     yes\n"));
  EXPECT_THAT(show.out, HasSubstr("\ndetection: Detection\n"
                                  "  How the problem was noticed. The metrics table has the time "
                                  "to detect.\n"
                                  "  detect-halve (text): How could the time to detect be "
                                  "halved?\n    help: Think of an earlier signal"));
  EXPECT_THAT(show.out, HasSubstr("  detected-by (single-choice): Who or what noticed the "
                                  "problem first?\n"));
  EXPECT_THAT(show.out, HasSubstr("    choices: An alarm, A customer, A team member, Another "
                                  "team, A synthetic check\n"));
  Result shown_json = Tocsin({"templates", "show", "Tocsin-Default", "--output", "json"});
  ASSERT_EQ(shown_json.exit_code, kExitOk) << shown_json.err;
  nlohmann::json t = nlohmann::json::parse(shown_json.out);
  EXPECT_EQ(t["sections"][0]["questions"][1]["type"], "QUESTION_TYPE_YES_NO");

  Result missing = Tocsin({"templates", "show", "nope"});
  EXPECT_EQ(missing.exit_code, kExitFailed);
  EXPECT_EQ(missing.err,
            "error: NOT_FOUND: no analysis template \"nope\" (tocsin templates list shows "
            "them)\n");
}

TEST_F(PostmortemsCommandsTest, ApplySavesAnAnalysisTemplateOnlyWhenItChanges) {
  Result created = Tocsin({"apply", "-f", "-"}, kTemplate);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "analysistemplate/payments-review created\n");
  Result again = Tocsin({"apply", "-f", "-"}, kTemplate);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out, "analysistemplate/payments-review unchanged\n");
  const std::string changed = Replaced(kTemplate, "An estimate is fine.", "A range is fine.");
  Result updated = Tocsin({"apply", "-f", "-"}, changed);
  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out, "analysistemplate/payments-review updated\n");

  Result list = Tocsin({"templates", "list"});
  EXPECT_THAT(list.out, HasSubstr("\npayments-review  2        1         2          no\n"));
  Result show = Tocsin({"templates", "show", "payments-review"});
  ASSERT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_THAT(show.out, HasSubstr("By:           cli:alice\n"));
  EXPECT_THAT(show.out, HasSubstr("\nimpact: Impact\n"
                                  "  Who was hurt, and how much.\n"
                                  "  customers (number): How many customers were affected?\n"
                                  "    help: A range is fine.\n"
                                  "  who (single-choice): Who noticed first?\n"
                                  "    choices: An alarm, A customer\n"));

  // An analysis made with it asks its questions.
  Result made =
      Tocsin({"postmortems", "create", "--incident", "inc-1", "--template", "payments-review"});
  ASSERT_EQ(made.exit_code, kExitOk) << made.err;
  EXPECT_THAT(made.out, HasSubstr("(template payments-review)"));
  Result answered = Tocsin({"postmortems", "answer", "pia-1", "customers", "--text", "1200"});
  ASSERT_EQ(answered.exit_code, kExitOk) << answered.err;
}

TEST_F(PostmortemsCommandsTest, ABadAnalysisTemplateSavesNothing) {
  const std::string bad_type = Replaced(kTemplate, "type: number", "type: numeric");
  const std::string manifest = std::string(kTwoPlans) + "---\n" + bad_type;
  Result bad = Tocsin({"apply", "-f", "-"}, manifest);
  EXPECT_EQ(bad.exit_code, kExitFailed);
  EXPECT_EQ(bad.err,
            "error: INVALID_ARGUMENT: document 3 (AnalysisTemplate \"payments-review\"): field "
            "\"sections[0].questions[0].type\": question type \"numeric\" is not one of text, "
            "yes-no, single-choice, multiple-choice, number\n");
  EXPECT_TRUE(plans_.plans().empty());

  const std::string unknown_key = Replaced(kTemplate, "help: An estimate", "hint: An estimate");
  Result unknown = Tocsin({"apply", "-f", "-"}, unknown_key);
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.err, HasSubstr("unknown field \"sections[0].questions[0].hint\""));

  const std::string no_choices =
      Replaced(kTemplate, "        choices: [An alarm, A customer]\n", "");
  Result choices = Tocsin({"apply", "-f", "-"}, no_choices);
  EXPECT_EQ(choices.exit_code, kExitFailed);
  EXPECT_THAT(choices.err, HasSubstr("sections[0] (impact) questions[1] (who): single-choice "
                                     "needs 2 to 20 choices, got 0"));

  // The built-in template is refused by the service's dry run, before the
  // plans are written.
  const std::string builtin =
      Replaced(kTemplate, "name: payments-review", "name: Tocsin-Default");
  Result over = Tocsin({"apply", "-f", "-"}, std::string(kTwoPlans) + "---\n" + builtin);
  EXPECT_EQ(over.exit_code, kExitFailed);
  EXPECT_THAT(over.err, StartsWith("error: ALREADY_EXISTS: document 3 (AnalysisTemplate "
                                   "\"Tocsin-Default\"): Tocsin-Default is built in"));
  EXPECT_TRUE(plans_.plans().empty());

  Result list = Tocsin({"templates", "list"});
  EXPECT_THAT(list.out, Not(HasSubstr("payments-review")));
}

TEST_F(PostmortemsCommandsTest, APlanNamesItsPostIncidentTemplate) {
  const std::string manifest = std::string(R"yaml(
kind: ResponsePlan
name: payments
incidentTemplate: {title: Payments down}
postIncidentTemplate: payments-review
---
)yaml") + kTemplate;
  Result applied = Tocsin({"apply", "-f", "-"}, manifest);
  ASSERT_EQ(applied.exit_code, kExitOk) << applied.err;
  // The template is saved before the plan that names it.
  EXPECT_EQ(applied.out,
            "responseplan/payments created\nanalysistemplate/payments-review created\n");
  EXPECT_EQ(plans_.plans().at("payments").post_incident_template(), "payments-review");
  Result again = Tocsin({"apply", "-f", "-"}, manifest);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "responseplan/payments unchanged\nanalysistemplate/payments-review unchanged\n");

  // An incident of the plan carries the template's name; its analysis uses it.
  postmortem::IncidentFacts facts = Resolved();
  facts.incident.set_post_incident_template("payments-review");
  postmortems_->AddIncident(facts);
  Result created = Tocsin({"postmortems", "create", "--incident", "inc-1"});
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "created pia-1 for inc-1 (template payments-review)\n");
  EXPECT_EQ(created.err, "");

  // One naming a template that does not exist gets Tocsin-Default, and a note.
  facts.incident.set_id("inc-3");
  facts.incident.set_post_incident_template("gone");
  postmortems_->AddIncident(facts);
  Result fallback = Tocsin({"postmortems", "create", "--incident", "inc-3"});
  ASSERT_EQ(fallback.exit_code, kExitOk) << fallback.err;
  EXPECT_EQ(fallback.out, "created pia-2 for inc-3 (template Tocsin-Default)\n");
  EXPECT_THAT(fallback.err, StartsWith("note: the response plan names template \"gone\", which "
                                       "does not exist; used Tocsin-Default\n"));
}

TEST_F(PostmortemsCommandsTest, WritesNeedAnAuthor) {
  GlobalOptions options = Options();
  options.author.clear();
  Result result = RunWith(options, {"postmortems", "create", "--incident", "inc-1"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("needs --author USER"));
  Result done = RunWith(options, {"actions", "done", "act-1"});
  EXPECT_EQ(done.exit_code, kExitUsage);
}

}  // namespace
}  // namespace tocsin::cli
