#include "services/incidents/core.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "libs/status/status_macros.h"
#include "services/incidents/matching.h"
#include "services/incidents/sqlite_store.h"

namespace tocsin::incidents {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::Lt;
using ::tocsin::testing::StatusIs;

// The names of the events the core emits, as OutboxTypes() lists them (and
// the timeline entries' types that are event names).
const std::string kOpened = events::kIncidentOpened.name;
const std::string kUpdated = events::kIncidentUpdated.name;
const std::string kResolved = events::kIncidentResolved.name;
const std::string kTimelineAdded = events::kTimelineAdded.name;

// Comfortably under the 256 KiB every event must fit in.
constexpr size_t kSmallEventBytes = 100 * 1024;

// The real store, with a transient failure on demand: the emit_to_fail-th
// Emit() (counting from 1, across transactions) answers Unavailable, as a
// busy database would, after the transaction has already written rows.
class FlakyStore final : public IncidentStore {
 public:
  explicit FlakyStore(IncidentStore* inner) : inner_(inner) {}

  int emit_to_fail = 0;
  // Committed writes that emitted events (each one wakes the outbox relay).
  int commits_with_events = 0;

  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override {
    bool emitted = false;
    absl::Status s = inner_->Write([&](Tx& tx) {
      FlakyTx flaky(tx, *this);
      emitted = false;
      absl::Status result = body(flaky);
      emitted = flaky.emitted;
      return result;
    });
    if (s.ok() && emitted) ++commits_with_events;
    return s;
  }
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override {
    return inner_->Read(body);
  }
  absl::Status Ping() override { return inner_->Ping(); }

 private:
  class FlakyTx final : public Tx {
   public:
    FlakyTx(Tx& tx, FlakyStore& store) : tx_(tx), store_(store) {}
    bool emitted = false;
    absl::Status Emit(const Envelope& event) override {
      if (--store_.emit_to_fail == 0) return absl::UnavailableError("database is locked");
      emitted = true;
      return tx_.Emit(event);
    }
    absl::StatusOr<std::optional<ResponsePlan>> GetPlan(const std::string& n) override {
      return tx_.GetPlan(n);
    }
    absl::StatusOr<std::vector<ResponsePlan>> ListPlans() override { return tx_.ListPlans(); }
    absl::Status InsertPlan(const ResponsePlan& p) override { return tx_.InsertPlan(p); }
    absl::Status UpdatePlan(const ResponsePlan& p) override { return tx_.UpdatePlan(p); }
    absl::StatusOr<bool> DeletePlan(const std::string& n) override { return tx_.DeletePlan(n); }
    absl::StatusOr<std::optional<IngestRecord>> GetIngestRecord(const std::string& id) override {
      return tx_.GetIngestRecord(id);
    }
    absl::Status PutIngestRecord(const IngestRecord& r) override {
      return tx_.PutIngestRecord(r);
    }
    absl::StatusOr<int64_t> DeleteIngestRecordsBefore(absl::Time t, int limit) override {
      return tx_.DeleteIngestRecordsBefore(t, limit);
    }
    absl::StatusOr<std::optional<Incident>> GetIncident(const std::string& id) override {
      return tx_.GetIncident(id);
    }
    absl::StatusOr<std::optional<Incident>> FindOpenIncident(const std::string& d) override {
      return tx_.FindOpenIncident(d);
    }
    absl::Status InsertIncident(const Incident& i) override { return tx_.InsertIncident(i); }
    absl::Status UpdateIncident(const Incident& i) override { return tx_.UpdateIncident(i); }
    absl::StatusOr<std::vector<Incident>> ListIncidents(const IncidentFilter& f) override {
      return tx_.ListIncidents(f);
    }
    absl::StatusOr<int64_t> CountIncidents(v1::IncidentStatus s) override {
      return tx_.CountIncidents(s);
    }
    absl::StatusOr<std::optional<std::string>> GetClientToken(const std::string& t) override {
      return tx_.GetClientToken(t);
    }
    absl::Status PutClientToken(const std::string& t, const std::string& id) override {
      return tx_.PutClientToken(t, id);
    }
    absl::StatusOr<std::optional<TimelineEvent>> FindTimelineEvent(
        const std::string& id, const std::string& source, const std::string& type) override {
      return tx_.FindTimelineEvent(id, source, type);
    }
    absl::Status InsertTimelineEvent(const TimelineEvent& e) override {
      return tx_.InsertTimelineEvent(e);
    }
    absl::StatusOr<TimelinePage> ListTimeline(const std::string& id, int64_t after,
                                              int limit) override {
      return tx_.ListTimeline(id, after, limit);
    }
    absl::Status InsertUnmatched(const UnmatchedAlarm& a) override {
      return tx_.InsertUnmatched(a);
    }
    absl::StatusOr<Page<UnmatchedAlarm>> ListUnmatched(int64_t before, int limit,
                                                       size_t max_bytes) override {
      return tx_.ListUnmatched(before, limit, max_bytes);
    }
    absl::Status InsertIncidentAlarm(const v1::IncidentAlarm& a) override {
      return tx_.InsertIncidentAlarm(a);
    }
    absl::StatusOr<Page<v1::IncidentAlarm>> ListIncidentAlarms(const std::string& id,
                                                               int64_t after, int limit,
                                                               size_t max_bytes) override {
      return tx_.ListIncidentAlarms(id, after, limit, max_bytes);
    }

   private:
    Tx& tx_;
    FlakyStore& store_;
  };

  IncidentStore* inner_;
};

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(std::string default_plan = "") {
    core_.reset();
    store_.reset();
    auto store = SqliteIncidentStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    flaky_ = std::make_unique<FlakyStore>(store_.get());
    core_ = std::make_unique<IncidentsCore>(
        flaky_.get(), &clock_, &ids_,
        IncidentsOptions{default_plan});
  }

  v1::IngestAlarmsRequest Batch(std::vector<v1::Alarm> alarms) {
    v1::IngestAlarmsRequest r;
    for (auto& a : alarms) *r.add_alarms() = std::move(a);
    return r;
  }

  // Envelopes in the outbox, in commit order.
  std::vector<Envelope> Outbox() {
    std::vector<Envelope> events;
    EXPECT_OK(store_->database()->Read([&]() -> absl::Status {
      ASSIGN_OR_RETURN(auto s,
                       store_->database()->Prepare("SELECT envelope FROM outbox ORDER BY seq"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        Envelope e;
        EXPECT_TRUE(e.ParseFromString(s.ColumnBlob(0)));
        events.push_back(std::move(e));
      }
      return absl::OkStatus();
    }));
    return events;
  }

  int64_t IncidentCount() {
    auto list = core_->ListIncidents({});
    EXPECT_OK(list);
    return list.ok() ? list->incidents_size() : -1;
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
  std::unique_ptr<SqliteIncidentStore> store_;
  std::unique_ptr<FlakyStore> flaky_;
  std::unique_ptr<IncidentsCore> core_;
};

TEST_F(CoreTest, AlarmOpensIncidentFromPlanTemplate) {
  ResponsePlan plan = CpuPlan();
  plan.mutable_runbook()->set_name("db-failover");
  (*plan.mutable_runbook()->mutable_parameters())["Cluster"] = "orders";
  ASSERT_OK(core_->CreatePlan(plan));
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
  // The plan's runbook travels with the incident (the runbook service starts it).
  EXPECT_EQ(i.runbook().name(), "db-failover");
  EXPECT_EQ(i.runbook().parameters().at("Cluster"), "orders");
  EXPECT_EQ(FromProtoTime(i.create_time()), clock_.Now());
  ASSERT_GE(i.related_items_size(), 2);
  EXPECT_EQ(i.related_items(0).value(), CpuAlarm("x").alarm_arn());
  EXPECT_THAT(i.related_items(1).value(), HasSubstr("/alarm/ServerCpuTooHigh"));
  EXPECT_THAT(OutboxTypes(), ElementsAre(kOpened, kTimelineAdded));
  EXPECT_THAT(TimelineTypes(i.id()), ElementsAre(kOpened));
  EXPECT_GE(flaky_->commits_with_events, 1);
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
  EXPECT_THAT(OutboxTypes(), ElementsAre(kOpened, kTimelineAdded));
}

TEST_F(CoreTest, NewAlarmJoinsOpenIncidentWithSameDedupe) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto first, core_->IngestAlarm(CpuAlarm("e1")));
  ASSERT_OK_AND_ASSIGN(auto second, core_->IngestAlarm(CpuAlarm("e2")));
  EXPECT_EQ(second.outcome(), v1::INGEST_OUTCOME_JOINED);
  EXPECT_EQ(second.incident_id(), first.incident_id());
  ASSERT_OK_AND_ASSIGN(Incident i, core_->GetIncident(first.incident_id()));
  EXPECT_EQ(i.alarm_count(), 2);
  EXPECT_THAT(TimelineTypes(i.id()), ElementsAre(kOpened, "alarm"));
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
  EXPECT_THAT(TimelineTypes(i.id()), ElementsAre(kOpened, kResolved));
  EXPECT_THAT(OutboxTypes(), ElementsAre(kOpened, kTimelineAdded, kResolved, kTimelineAdded));
  // Each timeline entry carries the incident as it stood with it.
  std::vector<Envelope> out = Outbox();
  ASSERT_EQ(out.size(), 4u);
  ASSERT_OK_AND_ASSIGN(auto opened_entry, events::Payload(out[1], events::kTimelineAdded));
  EXPECT_EQ(opened_entry.incident().id(), i.id());
  EXPECT_EQ(opened_entry.incident().status(), v1::INCIDENT_STATUS_OPEN);
  ASSERT_OK_AND_ASSIGN(auto resolved_entry, events::Payload(out[3], events::kTimelineAdded));
  EXPECT_EQ(resolved_entry.incident().status(), v1::INCIDENT_STATUS_RESOLVED);
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

TEST_F(CoreTest, BatchWithABadAlarmStoresNothingAndNamesIt) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::Alarm bad = CpuAlarm("b2");
  bad.clear_alarm_arn();
  v1::Alarm other = CpuAlarm("b3");
  other.set_alarm_arn(other.alarm_arn() + "-other");
  EXPECT_THAT(core_->IngestAlarms(Batch({CpuAlarm("b1"), bad, other})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("alarms[1] (event id \"b2\"): alarm.alarm_arn is required")));
  EXPECT_EQ(IncidentCount(), 0);
  EXPECT_TRUE(Outbox().empty());
  EXPECT_EQ(flaky_->commits_with_events, 0);
  // The first alarm was not recorded either: corrected, it opens as new.
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarms(Batch({CpuAlarm("b1"), other})));
  ASSERT_EQ(r.results_size(), 2);
  EXPECT_EQ(r.results(0).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_FALSE(r.results(0).duplicate());
  EXPECT_EQ(r.results(1).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(IncidentCount(), 2);
}

TEST_F(CoreTest, TestAlarmSaysWhatWouldHappenAndStoresNothing) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ResponsePlan broad = CpuPlan();
  broad.set_name("catch-all");
  broad.set_priority(50);
  broad.mutable_match()->clear_alarm_name_pattern();
  ASSERT_OK(core_->CreatePlan(broad));
  ResponsePlan other = CpuPlan();
  other.set_name("eu-only");
  other.mutable_match()->add_regions("eu-west-1");
  ASSERT_OK(core_->CreatePlan(other));
  const size_t outbox_before = Outbox().size();

  v1::TestAlarmRequest request;
  *request.mutable_alarm() = CpuAlarm("t1");
  ASSERT_OK_AND_ASSIGN(v1::TestAlarmResponse dry, core_->TestAlarm(request));
  EXPECT_EQ(dry.result().outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(dry.result().response_plan(), "cpu");
  EXPECT_EQ(dry.incident().title(), "ServerCpuTooHigh in us-east-1");
  EXPECT_THAT(dry.incident().engagements(), ElementsAre("alice"));
  ASSERT_EQ(dry.plans_size(), 3);
  EXPECT_EQ(dry.plans(0).plan(), "cpu");
  EXPECT_TRUE(dry.plans(0).matches());
  EXPECT_THAT(dry.plans(0).reasons(0), HasSubstr("chosen"));
  EXPECT_EQ(dry.plans(1).plan(), "eu-only");
  EXPECT_FALSE(dry.plans(1).matches());
  EXPECT_THAT(dry.plans(1).reasons(0),
              "region \"us-east-1\" is not one of regions [eu-west-1]");
  EXPECT_EQ(dry.plans(2).plan(), "catch-all");
  EXPECT_THAT(dry.plans(2).reasons(0), HasSubstr("but plan \"cpu\" comes first"));
  // Nothing stored, nothing emitted.
  EXPECT_EQ(IncidentCount(), 0);
  EXPECT_EQ(Outbox().size(), outbox_before);

  // With an incident open, it would join it; the event id does not matter.
  ASSERT_OK(core_->IngestAlarms(Batch({CpuAlarm("t1")})));
  ASSERT_OK_AND_ASSIGN(dry, core_->TestAlarm(request));
  EXPECT_EQ(dry.result().outcome(), v1::INGEST_OUTCOME_JOINED);
  EXPECT_FALSE(dry.result().duplicate());
  EXPECT_EQ(IncidentCount(), 1);
  *request.mutable_alarm() = CpuAlarm("t2", v1::ALARM_STATE_OK);
  ASSERT_OK_AND_ASSIGN(dry, core_->TestAlarm(request));
  EXPECT_EQ(dry.result().outcome(), v1::INGEST_OUTCOME_RESOLVED);
  ASSERT_OK_AND_ASSIGN(auto listed, core_->ListIncidents({}));
  EXPECT_EQ(listed.incidents(0).status(), v1::INCIDENT_STATUS_OPEN) << "still open";
}

TEST_F(CoreTest, ValidBatchIsCommittedOnceAndAnsweredPerAlarmInOrder) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::Alarm disk = CpuAlarm("b3");
  disk.set_alarm_name("DiskFull");
  ASSERT_OK_AND_ASSIGN(auto r,
                       core_->IngestAlarms(Batch({CpuAlarm("b1"), CpuAlarm("b2"), disk})));
  ASSERT_EQ(r.results_size(), 3);
  EXPECT_EQ(r.results(0).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(r.results(1).outcome(), v1::INGEST_OUTCOME_JOINED);
  EXPECT_EQ(r.results(1).incident_id(), r.results(0).incident_id());
  EXPECT_EQ(r.results(2).outcome(), v1::INGEST_OUTCOME_UNMATCHED);
  EXPECT_EQ(flaky_->commits_with_events, 1);
  EXPECT_THAT(OutboxTypes(), ElementsAre(kOpened, kTimelineAdded, kTimelineAdded));
  // Committed: a new core on the same file sees every alarm as seen.
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto again,
                       core_->IngestAlarms(Batch({CpuAlarm("b1"), CpuAlarm("b2"), disk})));
  for (const auto& result : again.results()) EXPECT_TRUE(result.duplicate());
  EXPECT_EQ(again.results(1).incident_id(), r.results(0).incident_id());
}

TEST_F(CoreTest, RepeatedEventIdInABatchIsADuplicateOfTheFirst) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarms(Batch({CpuAlarm("e1"), CpuAlarm("e1")})));
  ASSERT_EQ(r.results_size(), 2);
  EXPECT_FALSE(r.results(0).duplicate());
  EXPECT_TRUE(r.results(1).duplicate());
  EXPECT_EQ(r.results(1).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(r.results(1).incident_id(), r.results(0).incident_id());
  EXPECT_EQ(IncidentCount(), 1);
  EXPECT_THAT(OutboxTypes(), ElementsAre(kOpened, kTimelineAdded));
}

TEST_F(CoreTest, TransientFailureCommitsNothingAndTheRetriedBatchIsAnsweredWhole) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::Alarm other = CpuAlarm("e2");
  other.set_alarm_arn(other.alarm_arn() + "-other");
  // The first alarm's two events are written, then the database fails.
  flaky_->emit_to_fail = 3;
  EXPECT_THAT(core_->IngestAlarms(Batch({CpuAlarm("e1"), other})),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  EXPECT_EQ(IncidentCount(), 0);
  EXPECT_TRUE(Outbox().empty());
  EXPECT_EQ(flaky_->commits_with_events, 0);

  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarms(Batch({CpuAlarm("e1"), other})));
  ASSERT_EQ(r.results_size(), 2);
  EXPECT_FALSE(r.results(0).duplicate());
  EXPECT_FALSE(r.results(1).duplicate());
  EXPECT_EQ(IncidentCount(), 2);

  // A sender that lost the answer retries with one more event: what was
  // committed answers duplicate, the new one is applied.
  v1::Alarm third = CpuAlarm("e3");
  third.set_alarm_arn(third.alarm_arn() + "-third");
  ASSERT_OK_AND_ASSIGN(r, core_->IngestAlarms(Batch({CpuAlarm("e1"), other, third})));
  EXPECT_TRUE(r.results(0).duplicate());
  EXPECT_TRUE(r.results(1).duplicate());
  EXPECT_FALSE(r.results(2).duplicate());
  EXPECT_EQ(r.results(2).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(IncidentCount(), 3);
}

TEST_F(CoreTest, OversizedAlarmOpensAnIncidentWithSmallEventsAndIsKeptInFull) {
  ResponsePlan plan = CpuPlan();
  plan.mutable_incident_template()->set_title("{alarm_name}: {reason} {description}");
  plan.mutable_incident_template()->set_summary("{reason} {description} {alarm_arn}");
  ASSERT_OK(core_->CreatePlan(plan));
  v1::Alarm big = CpuAlarm("big-1");
  big.set_kind(v1::ALARM_KIND_COMPOSITE);
  big.set_alarm_name("Server" + std::string(kMaxAlarmNameBytes, 'n'));
  big.set_alarm_arn(big.alarm_arn() + std::string(kMaxArnBytes, 'a'));
  big.set_reason(std::string(900 * 1000, 'r'));
  big.set_description(std::string(kMaxAlarmTextBytes + 1, 'd'));
  big.set_alarm_rule(std::string(kMaxAlarmTextBytes * 4, 'u'));
  for (int i = 0; i < 50; ++i) big.add_triggering_alarms(std::string(kMaxArnBytes * 2, 't'));
  big.set_detail_json("{\"reason\":\"" + big.reason() + "\"}");
  big.set_console_link("https://console.example/" + std::string(kMaxConsoleLinkBytes, 'l'));

  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(big));
  EXPECT_EQ(r.outcome(), v1::INGEST_OUTCOME_OPENED);
  ASSERT_OK_AND_ASSIGN(Incident incident, core_->GetIncident(r.incident_id()));
  EXPECT_THAT(incident.title().size(), Le(kMaxTitleBytes));
  EXPECT_THAT(incident.title(), EndsWith(" bytes]"));
  EXPECT_THAT(incident.summary().size(), Le(kMaxSummaryBytes));
  EXPECT_THAT(incident.dedupe_string().size(), Le(kMaxDedupeBytes));
  // Every event is small by construction (about 90 KiB at worst), far from
  // the bus's limit.
  const auto events = Outbox();
  ASSERT_EQ(events.size(), 2u);
  for (const Envelope& e : events) {
    EXPECT_THAT(e.ByteSizeLong(), Lt(kSmallEventBytes)) << e.type();
  }
  ASSERT_OK_AND_ASSIGN(v1::IncidentOpened opened,
                       events::Payload(events[0], events::kIncidentOpened));
  EXPECT_THAT(opened.alarm().reason(), HasSubstr("[truncated "));
  ASSERT_OK_AND_ASSIGN(auto timeline, core_->ListTimelineEvents([&] {
    v1::ListTimelineEventsRequest t;
    t.set_incident_id(r.incident_id());
    return t;
  }()));
  ASSERT_EQ(timeline.events_size(), 1);
  EXPECT_THAT(timeline.events(0).message(), HasSubstr("[truncated "));
  EXPECT_THAT(timeline.events(0).message().size(), Le(kMaxTimelineMessageBytes));

  // The alarm as received, every field whole.
  v1::ListIncidentAlarmsRequest list;
  list.set_incident_id(r.incident_id());
  ASSERT_OK_AND_ASSIGN(auto alarms, core_->ListIncidentAlarms(list));
  ASSERT_EQ(alarms.alarms_size(), 1);
  EXPECT_EQ(alarms.alarms(0).alarm().SerializeAsString(), big.SerializeAsString());
  EXPECT_EQ(alarms.alarms(0).outcome(), v1::INGEST_OUTCOME_OPENED);

  // The same long alarm again joins the incident: the dedupe string is stable.
  big.set_event_id("big-2");
  ASSERT_OK_AND_ASSIGN(auto joined, core_->IngestAlarm(big));
  EXPECT_EQ(joined.outcome(), v1::INGEST_OUTCOME_JOINED);
  EXPECT_EQ(joined.incident_id(), r.incident_id());
  for (const Envelope& e : Outbox()) {
    EXPECT_THAT(e.ByteSizeLong(), Lt(kSmallEventBytes)) << e.type();
  }
}

TEST_F(CoreTest, LongDedupeStringsThatDifferOnlyAtTheEndStayApart) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::Alarm a = CpuAlarm("e1");
  a.set_alarm_arn(std::string(4000, 'a') + "1");
  v1::Alarm b = CpuAlarm("e2");
  b.set_alarm_arn(std::string(4000, 'a') + "2");
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarms(Batch({a, b})));
  EXPECT_EQ(r.results(0).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_EQ(r.results(1).outcome(), v1::INGEST_OUTCOME_OPENED);
  EXPECT_NE(r.results(0).incident_id(), r.results(1).incident_id());
}

TEST_F(CoreTest, TextOverTheLimitsThroughTheApiIsRefusedOrCut) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::StartIncidentRequest start;
  start.set_client_token("tok");
  start.set_response_plan("cpu");
  start.set_title(std::string(kMaxTitleBytes + 1, 't'));
  EXPECT_THAT(core_->StartIncident(start),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title is 1025 bytes")));
  start.set_title("ok");
  ASSERT_OK_AND_ASSIGN(Incident i, core_->StartIncident(start));
  v1::UpdateIncidentRequest update;
  update.set_id(i.id());
  update.set_summary(std::string(kMaxSummaryBytes + 1, 's'));
  EXPECT_THAT(core_->UpdateIncident(update),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("summary")));
  // Timeline entries come from other services too: cut, never refused.
  v1::AddTimelineEventRequest add;
  add.set_incident_id(i.id());
  add.set_type("note");
  add.set_message(std::string(500 * 1000, 'm'));
  add.set_data_json("[\"" + std::string(500 * 1000, 'x') + "\"]");
  ASSERT_OK_AND_ASSIGN(TimelineEvent e, core_->AddTimelineEvent(add));
  EXPECT_THAT(e.message().size(), Le(kMaxTimelineMessageBytes));
  EXPECT_THAT(e.message(), EndsWith(" bytes]"));
  EXPECT_THAT(e.data_json(), HasSubstr("truncated"));
  for (const Envelope& ev : Outbox()) EXPECT_THAT(ev.ByteSizeLong(), Lt(kSmallEventBytes));
}

TEST_F(CoreTest, IncidentAlarmsAreListedInOrderAndPaged) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarms(Batch(
                                   {CpuAlarm("e1"), CpuAlarm("e2"),
                                    CpuAlarm("e3", v1::ALARM_STATE_OK)})));
  v1::ListIncidentAlarmsRequest list;
  list.set_incident_id(r.results(0).incident_id());
  list.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(auto page, core_->ListIncidentAlarms(list));
  ASSERT_EQ(page.alarms_size(), 2);
  EXPECT_EQ(page.alarms(0).alarm().event_id(), "e1");
  EXPECT_EQ(page.alarms(1).alarm().event_id(), "e2");
  EXPECT_EQ(page.alarms(1).outcome(), v1::INGEST_OUTCOME_JOINED);
  list.set_page_token(page.next_page_token());
  ASSERT_OK_AND_ASSIGN(page, core_->ListIncidentAlarms(list));
  ASSERT_EQ(page.alarms_size(), 1);
  EXPECT_EQ(page.alarms(0).alarm().event_id(), "e3");
  EXPECT_EQ(page.alarms(0).outcome(), v1::INGEST_OUTCOME_RESOLVED);
  list.set_incident_id("inc-missing");
  EXPECT_THAT(core_->ListIncidentAlarms(list),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("inc-missing")));
}

TEST_F(CoreTest, IngestRecordsArePrunedByAgeButNeverYoungerThan48Hours) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  v1::Alarm unmatched = CpuAlarm("old-unmatched");
  unmatched.set_alarm_name("DiskFull");
  ASSERT_OK(core_->IngestAlarms(Batch({CpuAlarm("old"), unmatched})));
  clock_.Advance(absl::Hours(49));
  ASSERT_OK(core_->IngestAlarm(CpuAlarm("new")));
  EXPECT_THAT(core_->PruneIngestRecords(clock_.Now() - absl::Hours(47)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 48h")));
  ASSERT_OK_AND_ASSIGN(int64_t pruned, core_->PruneIngestRecords(clock_.Now() - absl::Hours(48)));
  EXPECT_EQ(pruned, 2);
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarms(Batch({CpuAlarm("new"), CpuAlarm("old"),
                                                          unmatched})));
  EXPECT_TRUE(r.results(0).duplicate());
  // A pruned key lets the event in again: it is handled as new, and what
  // was kept of it before (its unmatched copy, its incident) is not doubled.
  EXPECT_FALSE(r.results(1).duplicate());
  EXPECT_EQ(r.results(1).outcome(), v1::INGEST_OUTCOME_JOINED);
  EXPECT_FALSE(r.results(2).duplicate());
  ASSERT_OK_AND_ASSIGN(auto listed, core_->ListUnmatchedAlarms({}));
  EXPECT_EQ(listed.alarms_size(), 1);
  ASSERT_OK_AND_ASSIGN(pruned, core_->PruneIngestRecords(clock_.Now() - absl::Hours(48)));
  EXPECT_EQ(pruned, 0);
}

TEST_F(CoreTest, PruningGoesThroughManyRecordsInBoundedTransactions) {
  constexpr int kRecords = 2 * kPruneBatchSize + 17;
  for (int done = 0; done < kRecords;) {
    std::vector<v1::Alarm> batch;
    for (; done < kRecords && static_cast<int>(batch.size()) < kMaxAlarmsPerBatch; ++done) {
      v1::Alarm change = CpuAlarm("c" + std::to_string(done), v1::ALARM_STATE_UNSPECIFIED);
      change.set_kind(v1::ALARM_KIND_CONFIGURATION_CHANGE);
      batch.push_back(std::move(change));
    }
    ASSERT_OK(core_->IngestAlarms(Batch(std::move(batch))));
  }
  clock_.Advance(absl::Hours(100));
  ASSERT_OK_AND_ASSIGN(int64_t pruned, core_->PruneIngestRecords(clock_.Now() - absl::Hours(48)));
  EXPECT_EQ(pruned, kRecords);
}

TEST_F(CoreTest, CountOpenIncidentsFollowsOpeningAndResolving) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(int64_t open, core_->CountOpenIncidents());
  EXPECT_EQ(open, 0);
  v1::Alarm other = CpuAlarm("e2");
  other.set_alarm_arn(other.alarm_arn() + "-other");
  ASSERT_OK(core_->IngestAlarms(Batch({CpuAlarm("e1"), other})));
  ASSERT_OK_AND_ASSIGN(open, core_->CountOpenIncidents());
  EXPECT_EQ(open, 2);
  ASSERT_OK(core_->IngestAlarm(CpuAlarm("e3", v1::ALARM_STATE_OK)));
  ASSERT_OK_AND_ASSIGN(open, core_->CountOpenIncidents());
  EXPECT_EQ(open, 1);
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
              ElementsAre(kOpened, kUpdated, kResolved));
  res.set_id("inc-missing");
  EXPECT_THAT(core_->ResolveIncident(res),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("inc-missing")));
}

TEST_F(CoreTest, TimelineEntryWithSourceEventIdIsWrittenOnce) {
  ASSERT_OK(core_->CreatePlan(CpuPlan()));
  ASSERT_OK_AND_ASSIGN(auto r, core_->IngestAlarm(CpuAlarm("e1")));
  v1::AddTimelineEventRequest add;
  add.set_incident_id(r.incident_id());
  add.set_type(events::kPageSent.name);
  add.set_message("Paged alice by email");
  add.set_source_event_id("evt-page-1");
  ASSERT_OK_AND_ASSIGN(auto a, core_->AddTimelineEvent(add));
  ASSERT_OK_AND_ASSIGN(auto b, core_->AddTimelineEvent(add));
  EXPECT_EQ(a.id(), b.id());
  EXPECT_THAT(TimelineTypes(r.incident_id()), ElementsAre(kOpened, events::kPageSent.name));
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
