#include "services/postmortem/metrics.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/proto/time.h"
#include "nlohmann/json.hpp"

namespace tocsin::postmortem {
namespace {

namespace inc = ::tocsin::incidents::v1;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Every time in these tests is an offset in seconds from the opening.
const absl::Time kOpened =
    absl::FromCivil(absl::CivilSecond(2024, 3, 1, 10, 0, 0), absl::UTCTimeZone());

absl::Time At(double seconds) { return kOpened + absl::Seconds(seconds); }

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

inc::Incident MakeIncident(inc::IncidentStatus status,
                           std::optional<double> resolved = std::nullopt) {
  inc::Incident incident;
  incident.set_id("inc-1");
  incident.set_status(status);
  *incident.mutable_create_time() = ToProtoTime(kOpened);
  if (resolved.has_value()) *incident.mutable_resolve_time() = ToProtoTime(At(*resolved));
  return incident;
}

// An entry the incidents service wrote itself (its event_time is its time).
inc::TimelineEvent Entry(const std::string& type, double written,
                         const std::string& data_json = "") {
  inc::TimelineEvent entry;
  entry.set_incident_id("inc-1");
  entry.set_type(type);
  *entry.mutable_event_time() = ToProtoTime(At(written));
  entry.set_data_json(data_json);
  return entry;
}

// A reported entry: its event occurred at `occurred`, the entry was written
// at `written` (a second later unless told).
inc::TimelineEvent Reported(const std::string& type, double occurred, nlohmann::json data,
                            std::optional<double> written = std::nullopt) {
  data["occurred"] = Rfc3339(At(occurred));
  return Entry(type, written.value_or(occurred + 1), data.dump());
}

nlohmann::json PageData(const std::string& page_id, const std::string& contact,
                        const std::string& kind, int stage = 0, int attempt = 1) {
  return {{"page_id", page_id},     {"engagement_id", "eng-1"}, {"contact", contact},
          {"channel", kind + "-1"}, {"channel_kind", kind},     {"stage", stage},
          {"attempt", attempt}};
}

inc::TimelineEvent PageSent(double occurred, const std::string& page_id, const std::string& contact,
                            const std::string& kind = "email", int stage = 0, int attempt = 1) {
  return Reported("page.sent", occurred, PageData(page_id, contact, kind, stage, attempt));
}

inc::TimelineEvent PageAcked(double occurred, const std::string& page_id,
                             const std::string& contact, const std::string& acked_by) {
  nlohmann::json data = PageData(page_id, contact, "email");
  data["acked_by"] = acked_by;
  return Reported("page.acknowledged", occurred, data);
}

inc::TimelineEvent MarkMitigated(double written) {
  return Entry("mark", written, R"({"mark":"mitigated"})");
}

inc::TimelineEvent StepChanged(double occurred, const std::string& step, const std::string& state) {
  return Reported("runbook.step.changed", occurred,
                  {{"execution_id", "exe-1"},
                   {"runbook", "Failover"},
                   {"step", step},
                   {"action", "aws:executeScript"},
                   {"state", state}});
}

inc::TimelineEvent StageStarted(double occurred, int stage) {
  return Reported("engagement.stage_started", occurred,
                  {{"engagement_id", "eng-1"},
                   {"contact", "sre"},
                   {"stage", stage},
                   {"channel", "email-1"},
                   {"page_id", "pg-x"}});
}

inc::IncidentAlarm MakeAlarm(inc::IngestOutcome outcome, double state_time, double received,
                             inc::AlarmState state = inc::ALARM_STATE_ALARM) {
  inc::IncidentAlarm alarm;
  alarm.set_incident_id("inc-1");
  alarm.set_outcome(outcome);
  *alarm.mutable_receive_time() = ToProtoTime(At(received));
  alarm.mutable_alarm()->set_alarm_name("HighLatency");
  alarm.mutable_alarm()->set_state(state);
  *alarm.mutable_alarm()->mutable_state_time() = ToProtoTime(At(state_time));
  return alarm;
}

// The full story: an alarm opens it, a page retried once, acknowledged,
// marked mitigated, resolved.
IncidentFacts FullIncident() {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_RESOLVED, 1800);
  facts.incident.set_alarm_count(1);
  facts.alarms = {MakeAlarm(inc::INGEST_OUTCOME_OPENED, -90, -5)};
  facts.timeline = {
      Entry("alarm", -5),
      Entry("incident.opened", 0),
      Reported("engagement.started", 1, {{"engagement_id", "eng-1"}, {"contact", "alice"}}),
      StageStarted(29, 0),
      PageSent(30, "pg-1", "alice"),
      Reported("page.failed", 31, PageData("pg-1", "alice", "email")),
      PageSent(90, "pg-1", "alice", "email", 0, 2),
      Reported("page.delivered", 95, PageData("pg-1", "alice", "email")),
      PageAcked(120, "pg-1", "alice", "alice"),
      Reported("engagement.stopped", 121, {{"engagement_id", "eng-1"}, {"contact", "alice"}}),
      Entry("note", 300, R"({"text":"rolling back"})"),
      MarkMitigated(600),
      Entry("incident.resolved", 1800),
  };
  return facts;
}

TEST(ComputeFactsTest, FullIncident) {
  const ComputedFacts computed = ComputeFacts(FullIncident());
  const v1::Metrics& m = computed.metrics;
  ASSERT_TRUE(m.has_time_to_detect_seconds());
  EXPECT_EQ(m.time_to_detect_seconds(), 90);
  ASSERT_TRUE(m.has_time_to_engage_seconds());
  EXPECT_EQ(m.time_to_engage_seconds(), 30);
  ASSERT_TRUE(m.has_time_to_acknowledge_seconds());
  EXPECT_EQ(m.time_to_acknowledge_seconds(), 120);
  ASSERT_TRUE(m.has_time_to_mitigate_seconds());
  EXPECT_EQ(m.time_to_mitigate_seconds(), 600);
  ASSERT_TRUE(m.has_time_to_resolve_seconds());
  EXPECT_EQ(m.time_to_resolve_seconds(), 1800);
  EXPECT_EQ(m.pages(), 1);  // The retry is the same page.
  EXPECT_EQ(m.people_engaged(), 1);
  EXPECT_EQ(m.stages_reached(), 1);
  EXPECT_EQ(m.alarms(), 1);
  ASSERT_TRUE(computed.first_alarm_time.has_value());
  EXPECT_EQ(*computed.first_alarm_time, At(-90));

  ASSERT_EQ(computed.people.size(), 1u);
  const v1::PersonEngaged& alice = computed.people[0];
  EXPECT_EQ(alice.contact(), "alice");
  EXPECT_THAT(alice.channels(), ElementsAre("email"));
  EXPECT_EQ(alice.pages(), 1);
  EXPECT_EQ(FromProtoTime(alice.first_paged()), At(30));
  ASSERT_TRUE(alice.has_acknowledged());
  EXPECT_EQ(FromProtoTime(alice.acknowledged()), At(120));
  EXPECT_EQ(alice.acknowledged_by(), "alice");
}

TEST(ComputeFactsTest, SameFactsEveryTime) {
  const ComputedFacts a = ComputeFacts(FullIncident());
  const ComputedFacts b = ComputeFacts(FullIncident());
  EXPECT_EQ(a.metrics.SerializeAsString(), b.metrics.SerializeAsString());
  ASSERT_EQ(a.people.size(), b.people.size());
  EXPECT_EQ(a.people[0].SerializeAsString(), b.people[0].SerializeAsString());
}

TEST(ComputeFactsTest, NeverAcknowledged) {
  IncidentFacts facts = FullIncident();
  std::vector<inc::TimelineEvent> timeline;
  for (const inc::TimelineEvent& entry : facts.timeline) {
    if (entry.type() != "page.acknowledged") timeline.push_back(entry);
  }
  facts.timeline = timeline;
  const ComputedFacts computed = ComputeFacts(facts);
  const v1::Metrics& m = computed.metrics;
  EXPECT_FALSE(m.has_time_to_acknowledge_seconds());
  EXPECT_EQ(m.time_to_detect_seconds(), 90);
  EXPECT_EQ(m.time_to_engage_seconds(), 30);
  EXPECT_EQ(m.time_to_mitigate_seconds(), 600);
  EXPECT_EQ(m.time_to_resolve_seconds(), 1800);
  ASSERT_EQ(computed.people.size(), 1u);
  EXPECT_FALSE(computed.people[0].has_acknowledged());
  EXPECT_EQ(computed.people[0].acknowledged_by(), "");
}

TEST(ComputeFactsTest, NoMitigationMark) {
  IncidentFacts facts = FullIncident();
  std::vector<inc::TimelineEvent> timeline;
  for (const inc::TimelineEvent& entry : facts.timeline) {
    if (entry.type() != "mark") timeline.push_back(entry);
  }
  // Other marks are not mitigation.
  timeline.push_back(Entry("mark", 700, R"({"mark":"identified"})"));
  timeline.push_back(Entry("mark", 701, R"({"note":"mitigated"})"));
  facts.timeline = timeline;
  const v1::Metrics m = ComputeFacts(facts).metrics;
  EXPECT_FALSE(m.has_time_to_mitigate_seconds());
  EXPECT_TRUE(m.has_time_to_acknowledge_seconds());
  EXPECT_TRUE(m.has_time_to_resolve_seconds());
}

TEST(ComputeFactsTest, MitigatedByRunbookMitigationStep) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.timeline = {
      Entry("incident.opened", 0),
      StepChanged(50, "diagnose", "STEP_STATE_SUCCESS"),            // Not mitigation.
      StepChanged(100, "Mitigate-failover", "STEP_STATE_WAITING"),  // Not done.
      StepChanged(150, "Mitigate-failover", "STEP_STATE_FAILED"),
      StepChanged(400, "Mitigate-failover", "STEP_STATE_SUCCESS"),
      MarkMitigated(500),  // Later than the step: the earliest counts.
  };
  const v1::Metrics m = ComputeFacts(facts).metrics;
  ASSERT_TRUE(m.has_time_to_mitigate_seconds());
  EXPECT_EQ(m.time_to_mitigate_seconds(), 400);
}

TEST(ComputeFactsTest, MarkEarlierThanMitigationStep) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.timeline = {MarkMitigated(200), StepChanged(400, "mitigation", "STEP_STATE_SUCCESS")};
  EXPECT_EQ(ComputeFacts(facts).metrics.time_to_mitigate_seconds(), 200);
}

TEST(ComputeFactsTest, WaitingMitigationStepDoesNotCount) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.timeline = {
      Entry("incident.opened", 0),
      StepChanged(100, "mitigation", "STEP_STATE_WAITING"),
      StepChanged(120, "mitigation", "STEP_STATE_IN_PROGRESS"),
  };
  EXPECT_FALSE(ComputeFacts(facts).metrics.has_time_to_mitigate_seconds());
}

TEST(ComputeFactsTest, LateAlarmWithEarlierStateTimeCounts) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.alarms = {
      MakeAlarm(inc::INGEST_OUTCOME_OPENED, -60, -55),
      // Arrived five minutes after the opening, but entered ALARM earlier.
      MakeAlarm(inc::INGEST_OUTCOME_JOINED, -200, 300),
      // None of these counts.
      MakeAlarm(inc::INGEST_OUTCOME_JOINED, -1000, 310, inc::ALARM_STATE_INSUFFICIENT_DATA),
      MakeAlarm(inc::INGEST_OUTCOME_IGNORED, -5000, 320, inc::ALARM_STATE_OK),
      MakeAlarm(inc::INGEST_OUTCOME_RESOLVED, -6000, 330),
  };
  const ComputedFacts computed = ComputeFacts(facts);
  ASSERT_TRUE(computed.metrics.has_time_to_detect_seconds());
  EXPECT_EQ(computed.metrics.time_to_detect_seconds(), 200);
  ASSERT_TRUE(computed.first_alarm_time.has_value());
  EXPECT_EQ(*computed.first_alarm_time, At(-200));
  // OPENED and JOINED alarms (whatever their state) opened or joined it.
  EXPECT_EQ(computed.metrics.alarms(), 3);
}

TEST(ComputeFactsTest, AlarmWithoutStateTimeIsNotDetection) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.alarms = {MakeAlarm(inc::INGEST_OUTCOME_OPENED, -60, -55)};
  facts.alarms[0].mutable_alarm()->clear_state_time();
  const ComputedFacts computed = ComputeFacts(facts);
  EXPECT_FALSE(computed.metrics.has_time_to_detect_seconds());
  EXPECT_FALSE(computed.first_alarm_time.has_value());
  EXPECT_EQ(computed.metrics.alarms(), 1);
}

TEST(ComputeFactsTest, OpenedByHand) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.incident.set_source("cli");
  facts.timeline = {Entry("incident.opened", 0), PageSent(10, "pg-1", "alice")};
  ComputedFacts computed = ComputeFacts(facts);
  EXPECT_FALSE(computed.metrics.has_time_to_detect_seconds());
  EXPECT_FALSE(computed.first_alarm_time.has_value());
  EXPECT_EQ(computed.metrics.alarms(), 0);
  EXPECT_EQ(computed.metrics.time_to_engage_seconds(), 10);

  // Without the alarms' list, the incident's own count.
  facts.incident.set_alarm_count(3);
  computed = ComputeFacts(facts);
  EXPECT_EQ(computed.metrics.alarms(), 3);
  EXPECT_FALSE(computed.metrics.has_time_to_detect_seconds());
}

TEST(ComputeFactsTest, StillOpen) {
  IncidentFacts facts = FullIncident();
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.timeline.pop_back();  // incident.resolved
  const v1::Metrics m = ComputeFacts(facts).metrics;
  EXPECT_FALSE(m.has_time_to_resolve_seconds());
  EXPECT_EQ(m.time_to_mitigate_seconds(), 600);
}

TEST(ComputeFactsTest, Reopened) {
  IncidentFacts facts = FullIncident();
  facts.timeline.push_back(Entry("incident.reopened", 2000));
  // Open again; the resolve time still says the first resolution.
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN, 1800);
  EXPECT_FALSE(ComputeFacts(facts).metrics.has_time_to_resolve_seconds());

  // Resolved again: the last resolution.
  facts.timeline.push_back(Entry("incident.resolved", 3000));
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_RESOLVED, 3000);
  const v1::Metrics m = ComputeFacts(facts).metrics;
  ASSERT_TRUE(m.has_time_to_resolve_seconds());
  EXPECT_EQ(m.time_to_resolve_seconds(), 3000);
}

TEST(ComputeFactsTest, ResolvedWithoutResolveTimeUsesLastResolution) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_RESOLVED);
  facts.timeline = {Entry("incident.opened", 0), Entry("incident.resolved", 100),
                    Entry("incident.reopened", 200), Entry("incident.resolved", 900)};
  EXPECT_EQ(ComputeFacts(facts).metrics.time_to_resolve_seconds(), 900);
}

TEST(ComputeFactsTest, OccurredPreferredOverEventTime) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  // Written long after they happened (the incidents service was down).
  facts.timeline = {
      Entry("incident.opened", 0),
      Reported("page.sent", 30.25, PageData("pg-1", "alice", "sms"), 400),
      Reported("page.acknowledged", 45.5, PageData("pg-1", "alice", "sms"), 401),
      Reported("runbook.step.changed", 60, {{"step", "mitigate"}, {"state", "STEP_STATE_SUCCESS"}},
               402),
  };
  const ComputedFacts computed = ComputeFacts(facts);
  EXPECT_EQ(computed.metrics.time_to_engage_seconds(), 30.25);
  EXPECT_EQ(computed.metrics.time_to_acknowledge_seconds(), 45.5);
  EXPECT_EQ(computed.metrics.time_to_mitigate_seconds(), 60);
  ASSERT_EQ(computed.people.size(), 1u);
  EXPECT_EQ(FromProtoTime(computed.people[0].first_paged()), At(30.25));
  EXPECT_EQ(FromProtoTime(computed.people[0].acknowledged()), At(45.5));
}

TEST(ComputeFactsTest, NegativeDurationsCountAsZero) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_RESOLVED, -1);
  // Another machine's clock is a little behind, or ahead.
  facts.alarms = {MakeAlarm(inc::INGEST_OUTCOME_OPENED, 2, 3)};
  facts.timeline = {PageSent(-0.5, "pg-1", "alice"), PageAcked(-0.25, "pg-1", "alice", "a"),
                    MarkMitigated(-2)};
  const v1::Metrics m = ComputeFacts(facts).metrics;
  ASSERT_TRUE(m.has_time_to_detect_seconds());
  EXPECT_EQ(m.time_to_detect_seconds(), 0);
  ASSERT_TRUE(m.has_time_to_engage_seconds());
  EXPECT_EQ(m.time_to_engage_seconds(), 0);
  ASSERT_TRUE(m.has_time_to_acknowledge_seconds());
  EXPECT_EQ(m.time_to_acknowledge_seconds(), 0);
  ASSERT_TRUE(m.has_time_to_mitigate_seconds());
  EXPECT_EQ(m.time_to_mitigate_seconds(), 0);
  ASSERT_TRUE(m.has_time_to_resolve_seconds());
  EXPECT_EQ(m.time_to_resolve_seconds(), 0);
}

TEST(ComputeFactsTest, GarbageDataJsonIgnored) {
  IncidentFacts facts = FullIncident();
  const std::vector<std::string> garbage = {
      "",
      "{",
      "not json",
      "null",
      "[1, 2, 3]",
      R"("a string")",
      "42",
      R"({"page_id": 5, "contact": ["x"], "channel_kind": {}, "stage": "two", "occurred": 7})",
      R"({"occurred": "yesterday", "stage": -3, "mark": 1, "step": null, "state": 2})",
      R"({"stage": 1e30, "acked_by": false})",
      R"({"stage": 18446744073709551615})",
      R"({"stage": 9223372036854775807})",
  };
  for (const std::string& data : garbage) {
    for (const char* type : {"page.sent", "page.acknowledged", "engagement.stage_started", "mark",
                             "runbook.step.changed", "page.delivered"}) {
      facts.timeline.push_back(Entry(type, 1000, data));
    }
  }
  const ComputedFacts computed = ComputeFacts(facts);
  const v1::Metrics& m = computed.metrics;
  EXPECT_EQ(m.time_to_detect_seconds(), 90);
  EXPECT_EQ(m.time_to_engage_seconds(), 30);
  EXPECT_EQ(m.time_to_acknowledge_seconds(), 120);
  EXPECT_EQ(m.time_to_mitigate_seconds(), 600);
  EXPECT_EQ(m.time_to_resolve_seconds(), 1800);
  EXPECT_EQ(m.pages(), 1);
  EXPECT_EQ(m.people_engaged(), 1);
  EXPECT_EQ(m.stages_reached(), 1);
  ASSERT_EQ(computed.people.size(), 1u);
  EXPECT_EQ(computed.people[0].contact(), "alice");
  EXPECT_EQ(computed.people[0].pages(), 1);
  EXPECT_THAT(computed.people[0].channels(), ElementsAre("email"));
}

TEST(ComputeFactsTest, GarbageEntriesStillHappened) {
  // A page sent with unreadable details was still sent, at its entry's time.
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  facts.timeline = {Entry("page.sent", 15, "{oops"), Entry("page.acknowledged", 20, "")};
  const ComputedFacts computed = ComputeFacts(facts);
  EXPECT_EQ(computed.metrics.time_to_engage_seconds(), 15);
  EXPECT_EQ(computed.metrics.time_to_acknowledge_seconds(), 20);
  EXPECT_EQ(computed.metrics.pages(), 0);
  EXPECT_EQ(computed.metrics.people_engaged(), 0);
  EXPECT_THAT(computed.people, IsEmpty());
}

TEST(ComputeFactsTest, PeopleOrderChannelsAndAcknowledgements) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  nlohmann::json no_kind = PageData("pg-5", "dave", "other");
  no_kind.erase("channel_kind");
  no_kind["channel"] = "Desk phone";
  facts.timeline = {
      // Written first, but alice was paged after bob.
      Reported("page.sent", 20, PageData("pg-2", "alice", "email"), 5),
      PageSent(10, "pg-1", "bob", "sms"),
      PageSent(25, "pg-3", "alice", "webhook"),
      PageSent(40, "pg-4", "bob", "voice", 1),
      PageSent(50, "pg-1", "bob", "sms", 0, 2),  // A retry: no new page, no new channel.
      PageSent(55, "pg-6", "bob", "email", 1),
      // Someone acknowledged bob's page for him; his second ack changes nothing.
      PageAcked(60, "pg-4", "bob", "carol"),
      PageAcked(70, "pg-1", "bob", "bob"),
      // An acknowledgement for someone never paged names nobody.
      PageAcked(75, "pg-9", "erin", "erin"),
      Reported("page.sent", 80, no_kind),
  };
  const ComputedFacts computed = ComputeFacts(facts);
  EXPECT_EQ(computed.metrics.pages(), 6);  // pg-1 to pg-6, the retry of pg-1 not again
  EXPECT_EQ(computed.metrics.people_engaged(), 3);
  EXPECT_EQ(computed.metrics.time_to_engage_seconds(), 10);
  EXPECT_EQ(computed.metrics.time_to_acknowledge_seconds(), 60);
  ASSERT_EQ(computed.people.size(), 3u);

  const v1::PersonEngaged& bob = computed.people[0];
  EXPECT_EQ(bob.contact(), "bob");
  EXPECT_THAT(bob.channels(), ElementsAre("sms", "voice", "email"));
  EXPECT_EQ(bob.pages(), 3);
  EXPECT_EQ(FromProtoTime(bob.first_paged()), At(10));
  ASSERT_TRUE(bob.has_acknowledged());
  EXPECT_EQ(FromProtoTime(bob.acknowledged()), At(60));
  EXPECT_EQ(bob.acknowledged_by(), "carol");

  const v1::PersonEngaged& alice = computed.people[1];
  EXPECT_EQ(alice.contact(), "alice");
  EXPECT_THAT(alice.channels(), ElementsAre("email", "webhook"));
  EXPECT_EQ(alice.pages(), 2);
  EXPECT_EQ(FromProtoTime(alice.first_paged()), At(20));
  EXPECT_FALSE(alice.has_acknowledged());
  EXPECT_EQ(alice.acknowledged_by(), "");

  const v1::PersonEngaged& dave = computed.people[2];
  EXPECT_EQ(dave.contact(), "dave");
  EXPECT_THAT(dave.channels(), ElementsAre("Desk phone"));  // No kind: the channel's name.
  EXPECT_EQ(dave.pages(), 1);
}

TEST(ComputeFactsTest, StagesReached) {
  IncidentFacts facts;
  facts.incident = MakeIncident(inc::INCIDENT_STATUS_OPEN);
  EXPECT_EQ(ComputeFacts(facts).metrics.stages_reached(), 0);

  facts.timeline = {StageStarted(0, 0), PageSent(1, "pg-1", "alice", "email", 0)};
  EXPECT_EQ(ComputeFacts(facts).metrics.stages_reached(), 1);

  facts.timeline.push_back(StageStarted(300, 2));
  facts.timeline.push_back(PageSent(301, "pg-2", "bob", "email", 1));
  EXPECT_EQ(ComputeFacts(facts).metrics.stages_reached(), 3);

  // A page of a later stage than any stage_started entry shows.
  facts.timeline.push_back(PageSent(600, "pg-3", "carol", "sms", 3));
  EXPECT_EQ(ComputeFacts(facts).metrics.stages_reached(), 4);
}

TEST(ComputeFactsTest, NothingKnown) {
  const ComputedFacts computed = ComputeFacts(IncidentFacts{});
  const v1::Metrics& m = computed.metrics;
  EXPECT_FALSE(m.has_time_to_detect_seconds());
  EXPECT_FALSE(m.has_time_to_engage_seconds());
  EXPECT_FALSE(m.has_time_to_acknowledge_seconds());
  EXPECT_FALSE(m.has_time_to_mitigate_seconds());
  EXPECT_FALSE(m.has_time_to_resolve_seconds());
  EXPECT_EQ(m.pages(), 0);
  EXPECT_EQ(m.people_engaged(), 0);
  EXPECT_EQ(m.stages_reached(), 0);
  EXPECT_EQ(m.alarms(), 0);
  EXPECT_THAT(computed.people, IsEmpty());
  EXPECT_FALSE(computed.first_alarm_time.has_value());
}

TEST(ComputeFactsTest, NoCreateTimeMeasuresNoDuration) {
  IncidentFacts facts = FullIncident();
  facts.incident.clear_create_time();
  const ComputedFacts computed = ComputeFacts(facts);
  EXPECT_FALSE(computed.metrics.has_time_to_detect_seconds());
  EXPECT_FALSE(computed.metrics.has_time_to_engage_seconds());
  EXPECT_FALSE(computed.metrics.has_time_to_resolve_seconds());
  EXPECT_EQ(computed.metrics.pages(), 1);
  EXPECT_TRUE(computed.first_alarm_time.has_value());
}

TEST(EntryTimeTest, OccurredWhenValidElseEventTime) {
  inc::TimelineEvent entry = Entry("page.sent", 100);
  EXPECT_EQ(EntryTime(entry), At(100));

  entry.set_data_json(nlohmann::json{{"occurred", Rfc3339(At(12.125))}}.dump());
  EXPECT_EQ(EntryTime(entry), At(12.125));

  entry.set_data_json(R"({"occurred":"2024-03-01T10:00:07Z"})");
  EXPECT_EQ(EntryTime(entry), At(7));

  entry.set_data_json(R"({"occurred":"2024-03-01T12:00:07+02:00"})");
  EXPECT_EQ(EntryTime(entry), At(7));

  for (const char* bad :
       {"", "{", "[]", "null", R"({"occurred":"yesterday"})", R"({"occurred":1709287200})",
        R"({"occurred":null})", R"({"occurred":""})", R"({"mark":"mitigated"})"}) {
    entry.set_data_json(bad);
    EXPECT_EQ(EntryTime(entry), At(100)) << bad;
  }
}

TEST(IsMitigationStepTest, NamesStartingWithMitigat) {
  EXPECT_TRUE(IsMitigationStep("mitigation"));
  EXPECT_TRUE(IsMitigationStep("Mitigate"));
  EXPECT_TRUE(IsMitigationStep("mitigate-failover"));
  EXPECT_TRUE(IsMitigationStep("MITIGATED"));
  EXPECT_TRUE(IsMitigationStep("mitigat"));
  EXPECT_FALSE(IsMitigationStep("mitiga"));
  EXPECT_FALSE(IsMitigationStep("diagnose"));
  EXPECT_FALSE(IsMitigationStep("pre-mitigation"));
  EXPECT_FALSE(IsMitigationStep(""));
}

}  // namespace
}  // namespace tocsin::postmortem
