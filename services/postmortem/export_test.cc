#include "services/postmortem/export.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/proto/time.h"
#include "nlohmann/json.hpp"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {
namespace {

namespace inc = ::tocsin::incidents::v1;
using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Timestamp At(int day, int hour, int minute, int second) {
  return ToProtoTime(
      absl::FromCivil(absl::CivilSecond(2026, 3, day, hour, minute, second), absl::UTCTimeZone()));
}

void AddEntry(v1::Analysis& analysis, const std::string& id,
              const google::protobuf::Timestamp& time, const std::string& type,
              const std::string& message, const std::string& author,
              const std::string& data_json = "") {
  inc::TimelineEvent* entry = analysis.add_timeline();
  entry->set_id(id);
  entry->set_incident_id(analysis.incident_id());
  *entry->mutable_event_time() = time;
  entry->set_type(type);
  entry->set_message(message);
  entry->set_author(author);
  entry->set_data_json(data_json);
}

v1::Question* AddQuestion(v1::Section* section, const std::string& id, const std::string& text,
                          v1::QuestionType type) {
  v1::Question* question = section->add_questions();
  question->set_id(id);
  question->set_text(text);
  question->set_type(type);
  return question;
}

void AddAnswer(v1::Analysis& analysis, const std::string& question_id, const std::string& text,
               const std::string& author, const google::protobuf::Timestamp& time) {
  v1::Answer* answer = analysis.add_answers();
  answer->set_question_id(question_id);
  answer->set_text(text);
  answer->set_author(author);
  *answer->mutable_update_time() = time;
}

void AddHistory(v1::Analysis& analysis, const google::protobuf::Timestamp& time,
                const std::string& author, const std::string& action,
                const std::string& reason = "") {
  v1::HistoryEntry* entry = analysis.add_history();
  *entry->mutable_time() = time;
  entry->set_author(author);
  entry->set_action(action);
  entry->set_reason(reason);
}

// A resolved incident with an alarm, two people paged, a template of two
// sections partly answered and two action items; time to mitigate missing.
v1::Analysis FullAnalysis() {
  v1::Analysis analysis;
  analysis.set_id("pia-7f3a2c");
  analysis.set_incident_id("inc-42b9e1");
  analysis.set_state(v1::ANALYSIS_STATE_IN_REVIEW);
  analysis.set_created_by("auto");
  *analysis.mutable_create_time() = At(1, 15, 7, 20);
  *analysis.mutable_update_time() = At(2, 10, 0, 0);
  analysis.set_revision(6);
  *analysis.mutable_first_alarm_time() = At(1, 14, 0, 59);

  inc::Incident& incident = *analysis.mutable_incident();
  incident.set_id("inc-42b9e1");
  incident.set_title("Checkout latency high (eu-west-1)");
  incident.set_impact(2);
  incident.set_summary(
      "p99 latency of checkout above 2 s in eu-west-1.\n"
      "Customers saw slow and failed payments.");
  incident.set_status(inc::INCIDENT_STATUS_RESOLVED);
  incident.set_source("aws.cloudwatch");
  incident.set_response_plan("checkout-latency");
  *incident.mutable_create_time() = At(1, 14, 5, 9);
  *incident.mutable_resolve_time() = At(1, 15, 7, 14);
  incident.set_alarm_count(1);
  inc::RelatedItem* alarm = incident.add_related_items();
  alarm->set_type(inc::RELATED_ITEM_TYPE_ALARM);
  alarm->set_title("checkout-p99-latency");
  alarm->set_value("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-p99-latency");
  inc::RelatedItem* link = incident.add_related_items();
  link->set_type(inc::RELATED_ITEM_TYPE_URL);
  link->set_title("CloudWatch console");
  link->set_value(
      "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
      "#alarmsV2:alarm/checkout-p99-latency");

  v1::Template& tmpl = *analysis.mutable_template_();
  tmpl.set_name("checkout-review");
  tmpl.set_version(2);
  v1::Section* detection = tmpl.add_sections();
  detection->set_id("detection");
  detection->set_title("Detection");
  AddQuestion(detection, "detected-by-alarm",
              "Was the incident detected by an alarm before customers noticed?",
              v1::QUESTION_TYPE_YES_NO);
  AddQuestion(detection, "detect-halve", "What would halve the time to detect?",
              v1::QUESTION_TYPE_TEXT);
  v1::Section* response = tmpl.add_sections();
  response->set_id("response");
  response->set_title("Response");
  v1::Question* factors =
      AddQuestion(response, "contributing-factors", "Which factors contributed?",
                  v1::QUESTION_TYPE_MULTIPLE_CHOICE);
  for (const char* choice : {"deploy", "config", "capacity", "dependency"}) {
    factors->add_choices(choice);
  }
  AddQuestion(response, "what-went-well", "What went well?", v1::QUESTION_TYPE_TEXT);

  v1::Metrics& metrics = *analysis.mutable_metrics();
  metrics.set_time_to_detect_seconds(250);
  metrics.set_time_to_engage_seconds(12.7);
  metrics.set_time_to_acknowledge_seconds(261);
  metrics.set_time_to_resolve_seconds(3725);
  metrics.set_pages(3);
  metrics.set_people_engaged(2);
  metrics.set_stages_reached(2);
  metrics.set_alarms(1);

  AddEntry(analysis, "tl-1", At(1, 14, 5, 9), "alarm",
           "checkout-p99-latency is ALARM: Threshold Crossed: 1 datapoint [2.41] was greater "
           "than the threshold (2.0).",
           "gateway", R"({"state":"ALARM","previous_state":"OK"})");
  AddEntry(analysis, "tl-2", At(1, 14, 5, 9), "incident.opened",
           "Incident opened by plan checkout-latency", "incidents");
  AddEntry(analysis, "tl-3", At(1, 14, 5, 21), "page.sent", "Paged alice by sms", "paging",
           R"({"contact":"alice","channel":"sms","occurred":"2026-03-01T14:05:21Z"})");
  AddEntry(analysis, "tl-4", At(1, 14, 9, 30), "engagement.acknowledged", "alice acknowledged",
           "escalation");
  AddEntry(analysis, "tl-5", At(1, 14, 15, 21), "page.sent", "Paged bob by email (stage 2)",
           "paging");
  AddEntry(analysis, "tl-6", At(1, 14, 20, 0), "note",
           "Rolled back deploy 4812 | cache warm-up\nLatency recovering", "cli:alice");
  AddEntry(analysis, "tl-7", At(1, 15, 7, 14), "incident.resolved",
           "Resolved: latency back under 2 s", "cli:alice");

  v1::PersonEngaged* alice = analysis.add_people();
  alice->set_contact("alice");
  alice->add_channels("sms");
  alice->add_channels("email");
  alice->set_pages(2);
  *alice->mutable_first_paged() = At(1, 14, 5, 21);
  *alice->mutable_acknowledged() = At(1, 14, 9, 30);
  alice->set_acknowledged_by("alice");
  v1::PersonEngaged* bob = analysis.add_people();
  bob->set_contact("bob");
  bob->add_channels("email");
  bob->set_pages(1);
  *bob->mutable_first_paged() = At(1, 14, 15, 21);

  AddAnswer(analysis, "detected-by-alarm", "yes", "cli:alice", At(2, 9, 12, 0));
  AddAnswer(analysis, "detect-halve",
            "Alert on p95 as well as p99.\n\n# Not a heading\nShorter evaluation periods.",
            "cli:bob", At(2, 9, 30, 45));
  AddAnswer(analysis, "contributing-factors", "deploy, capacity", "cli:alice", At(2, 9, 40, 0));

  v1::ActionItem* p95 = analysis.add_action_items();
  p95->set_id("act-1c9d");
  p95->set_analysis_id(analysis.id());
  p95->set_incident_id(analysis.incident_id());
  p95->set_title("Add a p95 latency alarm | checkout");
  p95->set_owner("alice");
  p95->set_due_date("2026-03-10");
  p95->set_priority("high");
  p95->set_state(v1::ACTION_ITEM_STATE_OPEN);
  p95->set_link("https://tracker.example.com/OPS-101");
  *p95->mutable_create_time() = At(2, 9, 45, 0);
  p95->set_author("cli:alice");
  p95->set_overdue(true);
  v1::ActionItem* warm = analysis.add_action_items();
  warm->set_id("act-88e0");
  warm->set_analysis_id(analysis.id());
  warm->set_incident_id(analysis.incident_id());
  warm->set_title("Warm the cache before shifting traffic");
  warm->set_owner("bob");
  warm->set_due_date("2026-03-20");
  warm->set_priority("medium");
  warm->set_state(v1::ACTION_ITEM_STATE_DONE);
  *warm->mutable_create_time() = At(2, 9, 50, 0);
  warm->set_author("cli:bob");
  *warm->mutable_done_time() = At(5, 16, 30, 0);
  warm->set_done_by("cli:bob");

  AddHistory(analysis, At(1, 15, 7, 20), "auto", "created");
  AddHistory(analysis, At(2, 10, 0, 0), "cli:alice", "in-review", "Ready for review");
  return analysis;
}

// An open incident started by hand: no alarm, nobody paged, nothing
// answered, no action items, every duration missing.
v1::Analysis MinimalAnalysis() {
  v1::Analysis analysis;
  analysis.set_id("pia-0001");
  analysis.set_incident_id("inc-0001");
  analysis.set_state(v1::ANALYSIS_STATE_DRAFT);
  analysis.set_created_by("cli:carol");
  *analysis.mutable_create_time() = At(5, 8, 30, 0);
  *analysis.mutable_update_time() = At(5, 8, 30, 0);
  analysis.set_revision(1);

  inc::Incident& incident = *analysis.mutable_incident();
  incident.set_id("inc-0001");
  incident.set_title("Manual incident");
  incident.set_impact(3);
  incident.set_status(inc::INCIDENT_STATUS_OPEN);
  incident.set_source("cli");
  incident.set_response_plan("ops-manual");
  *incident.mutable_create_time() = At(5, 8, 0, 0);

  v1::Template& tmpl = *analysis.mutable_template_();
  tmpl.set_name("Short");
  tmpl.set_version(1);
  v1::Section* section = tmpl.add_sections();
  section->set_id("what");
  section->set_title("What happened");
  AddQuestion(section, "cause", "What caused it?", v1::QUESTION_TYPE_TEXT);

  AddEntry(analysis, "tl-1", At(5, 8, 0, 0), "incident.opened", "Incident started by cli:carol",
           "cli:carol");
  AddHistory(analysis, At(5, 8, 30, 0), "cli:carol", "created");
  return analysis;
}

// The expected file, from the runfiles (the test runs in the workspace's
// runfiles root).
std::string ReadTestdata(const std::string& name) {
  std::ifstream in("services/postmortem/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open testdata/" << name;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// On a mismatch, the actual export is saved with the test's outputs
// (bazel-testlogs/.../test.outputs) to compare or to copy over the expected
// file after reading it.
void ExpectMatchesTestdata(const std::string& actual, const std::string& name) {
  const std::string expected = ReadTestdata(name);
  EXPECT_EQ(actual, expected) << "export differs from testdata/" << name;
  if (actual == expected) return;
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(absl::StrCat(dir, "/", name), std::ios::binary) << actual;
  }
}

TEST(ExportMarkdownTest, FullAnalysisMatchesTestdata) {
  ExpectMatchesTestdata(ExportMarkdown(FullAnalysis()), "full.md");
}

TEST(ExportMarkdownTest, MinimalAnalysisMatchesTestdata) {
  ExpectMatchesTestdata(ExportMarkdown(MinimalAnalysis()), "minimal.md");
}

TEST(ExportMarkdownTest, Deterministic) {
  EXPECT_EQ(ExportMarkdown(FullAnalysis()), ExportMarkdown(FullAnalysis()));
}

TEST(ExportMarkdownTest, EndsWithOneNewline) {
  for (const v1::Analysis& analysis : {FullAnalysis(), MinimalAnalysis(), v1::Analysis()}) {
    const std::string markdown = ExportMarkdown(analysis);
    ASSERT_GE(markdown.size(), 2u);
    EXPECT_EQ(markdown.back(), '\n');
    EXPECT_NE(markdown[markdown.size() - 2], '\n');
  }
}

TEST(ExportMarkdownTest, TableCellsEscapePipesAndNewlines) {
  const std::string markdown = ExportMarkdown(FullAnalysis());
  EXPECT_THAT(markdown, HasSubstr("| Rolled back deploy 4812 \\| cache warm-up<br>Latency "
                                  "recovering |"));
  EXPECT_THAT(markdown, HasSubstr("| Add a p95 latency alarm \\| checkout |"));
}

TEST(ExportMarkdownTest, FreeTextCannotStartHeadings) {
  v1::Analysis analysis = MinimalAnalysis();
  analysis.mutable_incident()->set_summary("# Not a title\n  ## nor this\nbut a # here stays");
  AddAnswer(analysis, "cause", "## Root cause\nA typo", "cli:carol", At(5, 9, 0, 0));
  const std::string markdown = ExportMarkdown(analysis);
  EXPECT_THAT(markdown, HasSubstr("\n\\# Not a title\n  \\## nor this\nbut a # here stays\n"));
  EXPECT_THAT(markdown, HasSubstr("\n> \\## Root cause\n> A typo\n"));
  EXPECT_THAT(markdown, Not(HasSubstr("\n# Not")));
  EXPECT_THAT(markdown, Not(HasSubstr("\n## Root")));
}

TEST(ExportMarkdownTest, TitleStaysOnTheHeadingLine) {
  v1::Analysis analysis = MinimalAnalysis();
  analysis.mutable_incident()->set_title("Disk full\n## on db-1");
  EXPECT_THAT(ExportMarkdown(analysis),
              HasSubstr("# Post-incident analysis: Disk full ## on db-1\n"));
}

TEST(ExportMarkdownTest, ImpactNames) {
  v1::Analysis analysis = MinimalAnalysis();
  const std::pair<int, std::string> cases[] = {{1, "1 (critical)"},
                                               {2, "2 (high)"},
                                               {3, "3 (medium)"},
                                               {4, "4 (low)"},
                                               {5, "5 (no impact)"}};
  for (const auto& [impact, text] : cases) {
    analysis.mutable_incident()->set_impact(impact);
    EXPECT_THAT(ExportMarkdown(analysis), HasSubstr(absl::StrCat("- Impact: ", text, "\n")));
  }
}

TEST(ExportMarkdownTest, TimelineOldestFirst) {
  v1::Analysis analysis = MinimalAnalysis();
  AddEntry(analysis, "tl-0", At(5, 7, 59, 0), "alarm", "earlier, listed last", "gateway");
  const std::string markdown = ExportMarkdown(analysis);
  EXPECT_LT(markdown.find("earlier, listed last"), markdown.find("Incident started by"));
}

TEST(ExportMarkdownTest, AnEntryRecordedLateIsShownWhenItHappened) {
  v1::Analysis a = MinimalAnalysis();
  a.clear_timeline();
  AddEntry(a, "tl-1", At(1, 10, 0, 0), "incident.resolved", "Resolved", "cli:alice");
  // Written at 10:05 by the incidents service, sent at 09:59 by paging.
  AddEntry(a, "tl-2", At(1, 10, 5, 0), "page.sent", "Paged bob", "paging",
           R"({"occurred":"2026-03-01T09:59:00Z"})");
  const std::string md = ExportMarkdown(a);
  EXPECT_LT(md.find("| 2026-03-01 09:59:00 | page.sent"), md.find("| incident.resolved"))
      << md;
  EXPECT_NE(md.find("| 2026-03-01 09:59:00 | page.sent"), std::string::npos) << md;
  const Json timeline = ExportJson(a)["timeline"];
  EXPECT_EQ(timeline[0]["type"], "page.sent");
  EXPECT_EQ(timeline[0]["time"], "2026-03-01T09:59:00Z");
}

TEST(ExportMarkdownTest, AnswerToAQuestionNotInTheTemplateIsKept) {
  v1::Analysis analysis = MinimalAnalysis();
  AddAnswer(analysis, "removed-question", "still here", "cli:carol", At(5, 9, 0, 0));
  EXPECT_THAT(ExportMarkdown(analysis),
              HasSubstr("### Other answers\n\n**removed-question**\n\n> still here\n"));
}

TEST(FormatDurationTest, Forms) {
  EXPECT_EQ(FormatDuration(std::nullopt), "—");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(12), "12s");
  EXPECT_EQ(FormatDuration(12.9), "12s");
  EXPECT_EQ(FormatDuration(250), "4m 10s");
  EXPECT_EQ(FormatDuration(245), "4m 05s");
  EXPECT_EQ(FormatDuration(60), "1m 00s");
  EXPECT_EQ(FormatDuration(3725), "1h 02m 05s");
  EXPECT_EQ(FormatDuration(3600), "1h 00m 00s");
  EXPECT_EQ(FormatDuration(49 * 3600), "49h 00m 00s");
  EXPECT_EQ(FormatDuration(-3), "0s");
}

TEST(ExportJsonTest, MissingMetricIsNullOthersAreNumbers) {
  const Json doc = ExportJson(FullAnalysis());
  const Json& metrics = doc["metrics"];
  EXPECT_TRUE(metrics["timeToMitigateSeconds"].is_null());
  EXPECT_TRUE(metrics["timeToDetectSeconds"].is_number());
  EXPECT_EQ(metrics["timeToDetectSeconds"], 250);
  EXPECT_EQ(metrics["timeToEngageSeconds"], 12.7);
  EXPECT_EQ(metrics["timeToResolveSeconds"], 3725);
  EXPECT_EQ(metrics["pages"], 3);
  EXPECT_EQ(metrics["peopleEngaged"], 2);
  EXPECT_EQ(metrics["stagesReached"], 2);
  EXPECT_EQ(metrics["alarms"], 1);

  const Json minimal = ExportJson(MinimalAnalysis())["metrics"];
  for (const char* key :
       {"timeToDetectSeconds", "timeToEngageSeconds", "timeToAcknowledgeSeconds",
        "timeToMitigateSeconds", "timeToResolveSeconds"}) {
    EXPECT_TRUE(minimal[key].is_null()) << key;
  }
  EXPECT_EQ(minimal["pages"], 0);
}

TEST(ExportJsonTest, StatesAndTimes) {
  const Json doc = ExportJson(FullAnalysis());
  EXPECT_EQ(doc["id"], "pia-7f3a2c");
  EXPECT_EQ(doc["incidentId"], "inc-42b9e1");
  EXPECT_EQ(doc["state"], "in-review");
  EXPECT_EQ(doc["createdBy"], "auto");
  EXPECT_EQ(doc["createTime"], "2026-03-01T15:07:20Z");
  EXPECT_EQ(doc["firstAlarmTime"], "2026-03-01T14:00:59Z");
  EXPECT_EQ(doc["incident"]["status"], "resolved");
  EXPECT_EQ(doc["incident"]["impact"], 2);
  EXPECT_EQ(doc["incident"]["responsePlan"], "checkout-latency");
  EXPECT_EQ(doc["incident"]["resolveTime"], "2026-03-01T15:07:14Z");
  EXPECT_EQ(doc["template"], (Json{{"name", "checkout-review"}, {"version", 2}}));

  const Json minimal = ExportJson(MinimalAnalysis());
  EXPECT_EQ(minimal["state"], "draft");
  EXPECT_EQ(minimal["incident"]["status"], "open");
  EXPECT_TRUE(minimal["incident"]["resolveTime"].is_null());
  EXPECT_TRUE(minimal["firstAlarmTime"].is_null());
  EXPECT_EQ(minimal["actionItems"], Json::array());

  v1::Analysis published = MinimalAnalysis();
  published.set_state(v1::ANALYSIS_STATE_PUBLISHED);
  EXPECT_EQ(ExportJson(published)["state"], "published");
}

TEST(ExportJsonTest, TimelineDataIsParsed) {
  const Json timeline = ExportJson(FullAnalysis())["timeline"];
  ASSERT_EQ(timeline.size(), 7u);
  EXPECT_EQ(timeline[0]["time"], "2026-03-01T14:05:09Z");
  EXPECT_EQ(timeline[0]["type"], "alarm");
  EXPECT_EQ(timeline[0]["author"], "gateway");
  EXPECT_EQ(timeline[0]["data"], (Json{{"state", "ALARM"}, {"previous_state", "OK"}}));
  EXPECT_TRUE(timeline[1]["data"].is_null());
  EXPECT_EQ(timeline[5]["message"], "Rolled back deploy 4812 | cache warm-up\nLatency recovering");
}

TEST(ExportJsonTest, QuestionsWithTheirAnswers) {
  const Json questions = ExportJson(FullAnalysis())["questions"];
  ASSERT_EQ(questions.size(), 4u);
  EXPECT_EQ(questions[0]["section"], "detection");
  EXPECT_EQ(questions[0]["id"], "detected-by-alarm");
  EXPECT_EQ(questions[0]["type"], "yes-no");
  EXPECT_EQ(questions[0]["answer"], "yes");
  EXPECT_EQ(questions[0]["answeredBy"], "cli:alice");
  EXPECT_EQ(questions[0]["answeredAt"], "2026-03-02T09:12:00Z");
  EXPECT_EQ(questions[1]["type"], "text");
  EXPECT_EQ(questions[2]["section"], "response");
  EXPECT_EQ(questions[2]["type"], "multiple-choice");
  EXPECT_EQ(questions[2]["choices"], (Json::array({"deploy", "config", "capacity", "dependency"})));
  EXPECT_EQ(questions[2]["answer"], "deploy, capacity");
  EXPECT_EQ(questions[3]["id"], "what-went-well");
  EXPECT_TRUE(questions[3]["answer"].is_null());
  EXPECT_TRUE(questions[3]["answeredBy"].is_null());
  EXPECT_TRUE(questions[3]["answeredAt"].is_null());
}

TEST(ExportJsonTest, ActionItemsPeopleAndHistory) {
  const Json doc = ExportJson(FullAnalysis());
  const Json& items = doc["actionItems"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["id"], "act-1c9d");
  EXPECT_EQ(items[0]["state"], "open");
  EXPECT_EQ(items[0]["overdue"], true);
  EXPECT_EQ(items[0]["dueDate"], "2026-03-10");
  EXPECT_EQ(items[0]["priority"], "high");
  EXPECT_TRUE(items[0]["doneTime"].is_null());
  EXPECT_EQ(items[1]["state"], "done");
  EXPECT_EQ(items[1]["overdue"], false);
  EXPECT_EQ(items[1]["doneTime"], "2026-03-05T16:30:00Z");
  EXPECT_EQ(items[1]["doneBy"], "cli:bob");

  ASSERT_EQ(doc["people"].size(), 2u);
  EXPECT_EQ(doc["people"][0]["channels"], (Json::array({"sms", "email"})));
  EXPECT_EQ(doc["people"][1]["acknowledged"], nullptr);
  ASSERT_EQ(doc["relatedItems"].size(), 2u);
  EXPECT_EQ(doc["relatedItems"][0]["type"], "alarm");
  ASSERT_EQ(doc["history"].size(), 2u);
  EXPECT_EQ(doc["history"][1]["action"], "in-review");
  EXPECT_EQ(doc["history"][1]["reason"], "Ready for review");
}

TEST(ExportJsonTest, DumpsDeterministically) {
  EXPECT_EQ(ExportJson(FullAnalysis()).dump(2), ExportJson(FullAnalysis()).dump(2));
}

}  // namespace
}  // namespace tocsin::postmortem
