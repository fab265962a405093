// PostmortemCore on a real SQLite file, a fake clock and a scripted
// incidents service: automatic creation exactly once, creation by hand,
// templates, answers, action items, review states, exports and metrics
// across incidents.
#include "services/postmortem/core.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/event_record/event_record.h"
#include "libs/ids/ids.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/postmortem/sqlite_store.h"
#include "services/postmortem/templates.h"

namespace tocsin::postmortem {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::tocsin::testing::StatusIs;

// 2026-03-02T10:00:00Z.
const absl::Time kOpened = absl::FromUnixSeconds(1772445600);

class FakeIncidents final : public IncidentFactsPort {
 public:
  absl::StatusOr<IncidentFacts> Fetch(const std::string& id) override {
    absl::MutexLock l(&mu);
    ++fetches;
    if (!fail.ok()) return fail;
    auto it = known.find(id);
    if (it == known.end()) return absl::NotFoundError(absl::StrCat("no incident ", id));
    return it->second;
  }

  absl::Mutex mu;
  std::map<std::string, IncidentFacts> known;
  absl::Status fail = absl::OkStatus();
  int fetches = 0;
};

incidents::v1::TimelineEvent Entry(const std::string& type, absl::Time t,
                                   const nlohmann::json& data = nullptr) {
  incidents::v1::TimelineEvent e;
  e.set_type(type);
  e.set_message(type);
  *e.mutable_event_time() = ToProtoTime(t);
  if (!data.is_null()) e.set_data_json(data.dump());
  e.set_author("test");
  return e;
}

IncidentFacts Resolved(const std::string& id, const std::string& plan, absl::Time opened,
                       absl::Duration ack_after, absl::Duration resolve_after,
                       const std::string& template_name = "") {
  IncidentFacts f;
  f.incident.set_id(id);
  f.incident.set_title(absl::StrCat("Incident ", id));
  f.incident.set_impact(2);
  f.incident.set_response_plan(plan);
  f.incident.set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
  f.incident.set_post_incident_template(template_name);
  *f.incident.mutable_create_time() = ToProtoTime(opened);
  *f.incident.mutable_resolve_time() = ToProtoTime(opened + resolve_after);
  incidents::v1::IncidentAlarm alarm;
  alarm.set_outcome(incidents::v1::INGEST_OUTCOME_OPENED);
  alarm.mutable_alarm()->set_state(incidents::v1::ALARM_STATE_ALARM);
  *alarm.mutable_alarm()->mutable_state_time() = ToProtoTime(opened - absl::Seconds(60));
  f.alarms.push_back(alarm);
  f.timeline.push_back(Entry("incident.opened", opened));
  f.timeline.push_back(Entry("page.sent", opened + absl::Seconds(5),
                             {{"page_id", "pg-1"}, {"contact", "alice"},
                              {"channel_kind", "email"}, {"stage", 0}}));
  f.timeline.push_back(Entry("page.acknowledged", opened + ack_after,
                             {{"page_id", "pg-1"}, {"contact", "alice"},
                              {"acked_by", "cli:alice"}}));
  f.timeline.push_back(Entry("incident.resolved", opened + resolve_after));
  return f;
}

// The SQLite store, except that recording an incident's automatic analysis
// fails while `fail_record` is set: as a crash between the analysis and its
// record would, if they were not one transaction.
class RecordFailingStore final : public PostmortemStore {
 public:
  explicit RecordFailingStore(PostmortemStore* inner) : inner_(inner) {}
  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override {
    return inner_->Write([&](Tx& tx) {
      FailingTx failing(tx, fail_record);
      return body(failing);
    });
  }
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override {
    return inner_->Read(body);
  }
  absl::Status Ping() override { return inner_->Ping(); }
  bool fail_record = false;

 private:
  class FailingTx final : public Tx {
   public:
    FailingTx(Tx& inner, bool fail) : in_(inner), fail_(fail) {}
    absl::StatusOr<std::optional<v1::Template>> GetTemplate(const std::string& n) override {
      return in_.GetTemplate(n);
    }
    absl::StatusOr<std::vector<v1::Template>> ListTemplates() override {
      return in_.ListTemplates();
    }
    absl::Status PutTemplate(const v1::Template& t) override { return in_.PutTemplate(t); }
    absl::StatusOr<std::optional<v1::Analysis>> GetAnalysis(const std::string& id) override {
      return in_.GetAnalysis(id);
    }
    absl::Status InsertAnalysis(const v1::Analysis& a) override { return in_.InsertAnalysis(a); }
    absl::Status RecordAutomaticAnalysis(const std::string& incident,
                                         const std::string& analysis) override {
      if (fail_) return absl::UnavailableError("disk I/O error (injected)");
      return in_.RecordAutomaticAnalysis(incident, analysis);
    }
    absl::Status UpdateAnalysis(const v1::Analysis& a) override { return in_.UpdateAnalysis(a); }
    absl::StatusOr<std::optional<std::string>> FindAutomaticAnalysis(
        const std::string& incident) override {
      return in_.FindAutomaticAnalysis(incident);
    }
    absl::StatusOr<std::vector<v1::Analysis>> ListAnalyses(const AnalysisFilter& f) override {
      return in_.ListAnalyses(f);
    }
    absl::StatusOr<std::vector<std::pair<v1::AnalysisState, int64_t>>> CountAnalysesByState()
        override {
      return in_.CountAnalysesByState();
    }
    absl::StatusOr<std::optional<v1::ActionItem>> GetActionItem(const std::string& id) override {
      return in_.GetActionItem(id);
    }
    absl::Status InsertActionItem(const v1::ActionItem& i) override {
      return in_.InsertActionItem(i);
    }
    absl::Status UpdateActionItem(const v1::ActionItem& i) override {
      return in_.UpdateActionItem(i);
    }
    absl::StatusOr<std::vector<v1::ActionItem>> ListActionItems(
        const ActionItemFilter& f) override {
      return in_.ListActionItems(f);
    }

   private:
    Tx& in_;
    const bool fail_;
  };
  PostmortemStore* const inner_;
};

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(testing::MakeTempDir("postmortem"), "/postmortem.db");
    auto record = event_record::EventRecord::Open(path_, &clock_, PostmortemMigrations());
    ASSERT_TRUE(record.ok()) << record.status();
    record_ = *std::move(record);
    store_ = std::make_unique<SqlitePostmortemStore>(record_->database());
    CoreOptions options;
    options.on_created = [this](const v1::Analysis& a, bool automatic) {
      created_.push_back(absl::StrCat(a.id(), automatic ? " auto" : " by hand"));
    };
    options.on_analysed = [this](const v1::Analysis& a) { analysed_.push_back(a.incident_id()); };
    failing_ = std::make_unique<RecordFailingStore>(store_.get());
    core_ = std::make_unique<PostmortemCore>(failing_.get(), &incidents_, &clock_, &ids_,
                                             options);
    incidents_.known["inc-1"] =
        Resolved("inc-1", "payments", kOpened, absl::Minutes(3), absl::Minutes(40));
    clock_.Set(kOpened + absl::Hours(1));
  }

  v1::Analysis Only(const std::string& incident_id) {
    auto list = core_->List(incident_id);
    EXPECT_TRUE(list.ok()) << list.status();
    EXPECT_THAT(*list, SizeIs(1));
    auto a = core_->Get(list->front().id());
    EXPECT_TRUE(a.ok()) << a.status();
    return *a;
  }

  v1::Template TeamTemplate() {
    v1::Template t;
    t.set_name("payments-review");
    v1::Section* s = t.add_sections();
    s->set_id("impact");
    s->set_title("Impact");
    v1::Question* q = s->add_questions();
    q->set_id("customers");
    q->set_text("How many customers were affected?");
    q->set_type(v1::QUESTION_TYPE_NUMBER);
    return t;
  }

  std::string path_;
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FakeIncidents incidents_;
  std::unique_ptr<event_record::EventRecord> record_;
  std::unique_ptr<SqlitePostmortemStore> store_;
  std::unique_ptr<PostmortemCore> core_;
  std::unique_ptr<RecordFailingStore> failing_;
  std::vector<std::string> created_;
  std::vector<std::string> analysed_;
};

TEST_F(CoreTest, AFailureBeforeTheRecordLeavesNoAnalysisAndTheRetryMakesOne) {
  failing_->fail_record = true;
  EXPECT_THAT(core_->AnalyseResolved(incidents_.known["inc-1"].incident),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  ASSERT_OK_AND_ASSIGN(auto none, core_->List("inc-1"));
  EXPECT_THAT(none, SizeIs(0));  // the analysis went with its record
  EXPECT_THAT(created_, SizeIs(0));
  failing_->fail_record = false;
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  EXPECT_TRUE(Only("inc-1").automatic());
  EXPECT_THAT(analysed_, ::testing::ElementsAre("inc-1"));
}

TEST_F(CoreTest, MetricsCountTheAutomaticAnalysisOfEachIncident) {
  // Made by hand before the resolution: H1 (a draft), then H2, published.
  IncidentFacts open = incidents_.known["inc-1"];
  open.incident.set_status(incidents::v1::INCIDENT_STATUS_OPEN);
  open.incident.clear_resolve_time();
  incidents_.known["inc-1"] = open;
  v1::CreateAnalysisRequest create;
  create.set_incident_id("inc-1");
  ASSERT_OK_AND_ASSIGN(v1::Analysis h1, core_->Create(create));
  ASSERT_OK_AND_ASSIGN(v1::Analysis h2, core_->Create(create));
  v1::SetAnalysisStateRequest state;
  state.set_analysis_id(h2.id());
  state.set_change(v1::STATE_CHANGE_IN_REVIEW);
  ASSERT_OK(core_->SetState(state).status());
  state.set_change(v1::STATE_CHANGE_PUBLISHED);
  ASSERT_OK(core_->SetState(state).status());
  incidents_.known["inc-1"] =
      Resolved("inc-1", "payments", kOpened, absl::Minutes(3), absl::Minutes(40));
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  ASSERT_OK_AND_ASSIGN(v1::Analysis refreshed, core_->Get(h1.id()));
  EXPECT_TRUE(refreshed.automatic());
  // H2 is the newest, but H1 has the final facts and is the one counted.
  ASSERT_OK_AND_ASSIGN(v1::GetMetricsResponse metrics, core_->Metrics({}));
  ASSERT_GE(metrics.groups_size(), 1);
  const v1::MetricSummary& resolve = metrics.groups(0).metrics(4);
  EXPECT_EQ(resolve.metric(), "time_to_resolve");
  EXPECT_EQ(resolve.count(), 1);
  EXPECT_DOUBLE_EQ(resolve.p50(), 2400);
  // The histograms see the incident once, with its final metrics.
  EXPECT_THAT(analysed_, ::testing::ElementsAre("inc-1"));
  EXPECT_THAT(created_, SizeIs(2));  // the two made by hand; none more
}

TEST_F(CoreTest, ResolvedIncidentGetsOneAnalysisHoweverOftenDelivered) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  }
  v1::Analysis a = Only("inc-1");
  EXPECT_EQ(a.created_by(), "auto");
  EXPECT_EQ(a.state(), v1::ANALYSIS_STATE_DRAFT);
  EXPECT_EQ(a.template_().name(), kDefaultTemplate);
  EXPECT_THAT(a.timeline(), SizeIs(4));
  EXPECT_DOUBLE_EQ(a.metrics().time_to_detect_seconds(), 60);
  EXPECT_DOUBLE_EQ(a.metrics().time_to_engage_seconds(), 5);
  EXPECT_DOUBLE_EQ(a.metrics().time_to_acknowledge_seconds(), 180);
  EXPECT_FALSE(a.metrics().has_time_to_mitigate_seconds());
  EXPECT_DOUBLE_EQ(a.metrics().time_to_resolve_seconds(), 2400);
  ASSERT_THAT(a.people(), SizeIs(1));
  EXPECT_EQ(a.people(0).contact(), "alice");
  EXPECT_THAT(created_, SizeIs(1));
  // Later deliveries do not even ask the incidents service again.
  EXPECT_EQ(incidents_.fetches, 1);
}

TEST_F(CoreTest, IncidentsServiceDownIsTransientAndNothingIsStored) {
  incidents_.fail = absl::UnavailableError("incidents service unreachable");
  EXPECT_THAT(core_->AnalyseResolved(incidents_.known["inc-1"].incident),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  ASSERT_OK_AND_ASSIGN(auto none, core_->List("inc-1"));
  EXPECT_THAT(none, SizeIs(0));
  incidents_.fail = absl::OkStatus();
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  Only("inc-1");
}

TEST_F(CoreTest, PlanTemplateIsUsedAndAMissingOneFallsBackVisibly) {
  ASSERT_OK(core_->SaveTemplate([&] {
    v1::SaveTemplateRequest r;
    *r.mutable_template_() = TeamTemplate();
    r.set_author("cli:alice");
    return r;
  }()).status());
  incidents_.known["inc-2"] = Resolved("inc-2", "payments", kOpened, absl::Minutes(1),
                                       absl::Minutes(9), "payments-review");
  incidents_.known["inc-3"] =
      Resolved("inc-3", "payments", kOpened, absl::Minutes(1), absl::Minutes(9), "gone");
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-2"].incident));
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-3"].incident));
  EXPECT_EQ(Only("inc-2").template_().name(), "payments-review");
  v1::Analysis fallback = Only("inc-3");
  EXPECT_EQ(fallback.template_().name(), kDefaultTemplate);
  ASSERT_THAT(fallback.history(), SizeIs(2));
  EXPECT_THAT(fallback.history(1).reason(), HasSubstr("\"gone\", which does not exist"));
}

TEST_F(CoreTest, AnalysisByHandBeforeResolutionBecomesTheAutomaticOne) {
  IncidentFacts open = incidents_.known["inc-1"];
  open.incident.set_status(incidents::v1::INCIDENT_STATUS_OPEN);
  open.incident.clear_resolve_time();
  open.timeline.pop_back();
  incidents_.known["inc-1"] = open;
  v1::CreateAnalysisRequest create;
  create.set_incident_id("inc-1");
  create.set_author("cli:bob");
  ASSERT_OK_AND_ASSIGN(v1::Analysis early, core_->Create(create));
  EXPECT_FALSE(early.metrics().has_time_to_resolve_seconds());
  v1::AnswerQuestionRequest answer;
  answer.set_analysis_id(early.id());
  answer.set_question_id("why-1");
  answer.set_text("The disk filled up");
  ASSERT_OK(core_->Answer(answer).status());

  incidents_.known["inc-1"] =
      Resolved("inc-1", "payments", kOpened, absl::Minutes(3), absl::Minutes(40));
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  v1::Analysis a = Only("inc-1");
  EXPECT_EQ(a.id(), early.id());
  EXPECT_EQ(a.created_by(), "cli:bob");
  EXPECT_DOUBLE_EQ(a.metrics().time_to_resolve_seconds(), 2400);
  EXPECT_EQ(a.history(a.history_size() - 1).action(), "refreshed");
  // What people wrote before is kept; the facts are the final ones.
  ASSERT_EQ(a.answers_size(), 1);
  EXPECT_EQ(a.answers(0).text(), "The disk filled up");
  EXPECT_THAT(a.timeline(), SizeIs(4));
}

TEST_F(CoreTest, CreateByHandNamesUnknownTemplateOrIncident) {
  v1::CreateAnalysisRequest create;
  create.set_incident_id("inc-1");
  create.set_template_("nope");
  EXPECT_THAT(core_->Create(create),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no analysis template \"nope\"")));
  create.set_template_("");
  create.set_incident_id("inc-404");
  EXPECT_THAT(core_->Create(create), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  create.set_incident_id("");
  EXPECT_THAT(core_->Create(create), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(CoreTest, AnswersAreCheckedAgainstTheirQuestion) {
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  const std::string id = Only("inc-1").id();
  v1::AnswerQuestionRequest answer;
  answer.set_analysis_id(id);
  answer.set_author("cli:alice");
  answer.set_question_id("right-alarm");
  answer.set_text("Y");
  ASSERT_OK_AND_ASSIGN(v1::Analysis a, core_->Answer(answer));
  ASSERT_THAT(a.answers(), SizeIs(1));
  EXPECT_EQ(a.answers(0).text(), "yes");
  answer.set_text("maybe");
  EXPECT_THAT(core_->Answer(answer),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yes or no")));
  answer.set_question_id("mitigation-helped");
  answer.set_text("restart, rollback");
  ASSERT_OK_AND_ASSIGN(a, core_->Answer(answer));
  EXPECT_EQ(a.answers(1).text(), "Rollback, Restart");
  answer.set_question_id("no-such-question");
  EXPECT_THAT(core_->Answer(answer),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("detect-halve")));
  // Answering again replaces the answer.
  answer.set_question_id("right-alarm");
  answer.set_text("no");
  ASSERT_OK_AND_ASSIGN(a, core_->Answer(answer));
  ASSERT_THAT(a.answers(), SizeIs(2));
  EXPECT_EQ(a.answers(0).text(), "no");
}

TEST_F(CoreTest, PublishedAnalysisIsReadOnlyUntilReopenedButActionsCanBeDone) {
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  const std::string id = Only("inc-1").id();
  v1::AddActionItemRequest add;
  add.set_analysis_id(id);
  add.set_title("Alarm on p99 latency");
  add.set_owner("alice");
  add.set_due_date("2026-03-20");
  ASSERT_OK_AND_ASSIGN(v1::ActionItem item, core_->AddActionItem(add));
  EXPECT_EQ(item.priority(), "medium");
  EXPECT_EQ(item.state(), v1::ACTION_ITEM_STATE_OPEN);

  v1::SetAnalysisStateRequest state;
  state.set_analysis_id(id);
  state.set_author("cli:alice");
  state.set_change(v1::STATE_CHANGE_PUBLISHED);
  EXPECT_THAT(core_->SetState(state),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in-review first")));
  state.set_change(v1::STATE_CHANGE_IN_REVIEW);
  ASSERT_OK(core_->SetState(state).status());
  state.set_change(v1::STATE_CHANGE_PUBLISHED);
  ASSERT_OK_AND_ASSIGN(v1::Analysis published, core_->SetState(state));
  EXPECT_EQ(published.state(), v1::ANALYSIS_STATE_PUBLISHED);
  // Publishing again changes nothing.
  ASSERT_OK_AND_ASSIGN(v1::Analysis again, core_->SetState(state));
  EXPECT_EQ(again.revision(), published.revision());

  v1::AnswerQuestionRequest answer;
  answer.set_analysis_id(id);
  answer.set_question_id("why-1");
  answer.set_text("A full disk");
  EXPECT_THAT(core_->Answer(answer),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reopen")));
  EXPECT_THAT(core_->AddActionItem(add), StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  state.set_change(v1::STATE_CHANGE_DRAFT);
  EXPECT_THAT(core_->SetState(state), StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));

  v1::CompleteActionItemRequest done;
  done.set_id(item.id());
  done.set_author("cli:alice");
  ASSERT_OK_AND_ASSIGN(v1::ActionItem completed, core_->CompleteActionItem(done));
  EXPECT_EQ(completed.state(), v1::ACTION_ITEM_STATE_DONE);
  EXPECT_EQ(completed.done_by(), "cli:alice");

  state.set_change(v1::STATE_CHANGE_REOPEN);
  EXPECT_THAT(core_->SetState(state),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  state.set_reason("the root cause was wrong");
  ASSERT_OK_AND_ASSIGN(v1::Analysis reopened, core_->SetState(state));
  EXPECT_EQ(reopened.state(), v1::ANALYSIS_STATE_DRAFT);
  const v1::HistoryEntry& last = reopened.history(reopened.history_size() - 1);
  EXPECT_EQ(last.action(), "reopened");
  EXPECT_EQ(last.reason(), "the root cause was wrong");
  EXPECT_EQ(last.author(), "cli:alice");
  ASSERT_OK(core_->Answer(answer).status());
}

TEST_F(CoreTest, ActionItemInputIsChecked) {
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  v1::AddActionItemRequest add;
  add.set_analysis_id(Only("inc-1").id());
  add.set_title("Fix it");
  add.set_owner("alice");
  add.set_due_date("2026-02-30");
  EXPECT_THAT(core_->AddActionItem(add),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("YYYY-MM-DD")));
  add.set_due_date("2026-3-1");
  EXPECT_THAT(core_->AddActionItem(add), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  add.set_due_date("2026-03-01");
  add.set_priority("urgent");
  EXPECT_THAT(core_->AddActionItem(add),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("critical, high")));
  add.set_priority("HIGH");
  add.set_link("javascript:alert(1)");
  EXPECT_THAT(core_->AddActionItem(add),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http or https")));
  add.set_link("https://tracker.example.com/T-1");
  ASSERT_OK_AND_ASSIGN(v1::ActionItem item, core_->AddActionItem(add));
  EXPECT_EQ(item.priority(), "high");
  add.set_analysis_id("pia-nope");
  EXPECT_THAT(core_->AddActionItem(add), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(CoreTest, OverdueActionItemsByOwner) {
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  const std::string id = Only("inc-1").id();
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 3, 10, 12, 0, 0), absl::UTCTimeZone()));
  auto add = [&](const std::string& owner, const std::string& due) {
    v1::AddActionItemRequest r;
    r.set_analysis_id(id);
    r.set_title(absl::StrCat("Item for ", owner, " due ", due));
    r.set_owner(owner);
    r.set_due_date(due);
    auto item = core_->AddActionItem(r);
    EXPECT_TRUE(item.ok()) << item.status();
    return *item;
  };
  v1::ActionItem late = add("alice", "2026-03-09");
  add("alice", "2026-03-10");
  add("bob", "2026-03-01");
  v1::ListActionItemsRequest list;
  list.set_overdue(true);
  ASSERT_OK_AND_ASSIGN(auto overdue, core_->ListActionItems(list));
  ASSERT_THAT(overdue, SizeIs(2));
  list.set_owner("alice");
  ASSERT_OK_AND_ASSIGN(overdue, core_->ListActionItems(list));
  ASSERT_THAT(overdue, SizeIs(1));
  EXPECT_EQ(overdue[0].id(), late.id());
  EXPECT_TRUE(overdue[0].overdue());
  ASSERT_OK_AND_ASSIGN(PostmortemCore::ActionCounts counts, core_->CountActionItems());
  EXPECT_EQ(counts.open, 3);
  EXPECT_EQ(counts.overdue, 2);
  ASSERT_OK_AND_ASSIGN(v1::GetMetricsResponse metrics, core_->Metrics({}));
  ASSERT_THAT(metrics.owners(), SizeIs(2));
  EXPECT_EQ(metrics.owners(0).owner(), "alice");
  EXPECT_EQ(metrics.owners(0).open(), 2);
  EXPECT_EQ(metrics.owners(0).overdue(), 1);
}

TEST_F(CoreTest, MetricsAcrossIncidentsPerPlanAndMonth) {
  const absl::Time april = kOpened + absl::Hours(24 * 31);
  incidents_.known["inc-2"] =
      Resolved("inc-2", "payments", kOpened + absl::Hours(2), absl::Minutes(1), absl::Hours(1));
  incidents_.known["inc-3"] =
      Resolved("inc-3", "payments", april, absl::Minutes(10), absl::Hours(2));
  IncidentFacts never_acked =
      Resolved("inc-4", "search", kOpened, absl::Minutes(1), absl::Minutes(30));
  never_acked.timeline.erase(never_acked.timeline.begin() + 2);
  incidents_.known["inc-4"] = never_acked;
  for (const char* id : {"inc-1", "inc-2", "inc-3", "inc-4"}) {
    ASSERT_OK(core_->AnalyseResolved(incidents_.known[id].incident));
  }
  // A second analysis by hand of inc-1 is not counted twice.
  v1::CreateAnalysisRequest again;
  again.set_incident_id("inc-1");
  ASSERT_OK(core_->Create(again).status());

  v1::GetMetricsRequest request;
  request.set_plan("payments");
  ASSERT_OK_AND_ASSIGN(v1::GetMetricsResponse payments, core_->Metrics(request));
  ASSERT_THAT(payments.groups(), SizeIs(3));  // March, April, total
  EXPECT_EQ(payments.groups(0).month(), "2026-03");
  EXPECT_EQ(payments.groups(0).incidents(), 2);
  EXPECT_EQ(payments.groups(1).month(), "2026-04");
  EXPECT_EQ(payments.groups(2).month(), "");
  EXPECT_EQ(payments.groups(2).incidents(), 3);
  const v1::MetricSummary& ack = payments.groups(2).metrics(2);
  EXPECT_EQ(ack.metric(), "time_to_acknowledge");
  EXPECT_EQ(ack.count(), 3);
  EXPECT_DOUBLE_EQ(ack.mean(), (180 + 60 + 600) / 3.0);
  EXPECT_DOUBLE_EQ(ack.p50(), 180);
  EXPECT_DOUBLE_EQ(ack.p90(), 600);

  request.set_plan("search");
  ASSERT_OK_AND_ASSIGN(v1::GetMetricsResponse search, core_->Metrics(request));
  const v1::MetricSummary& never = search.groups(1).metrics(2);
  EXPECT_EQ(never.count(), 0);
  EXPECT_FALSE(never.has_mean());

  request.set_plan("");
  *request.mutable_from() = ToProtoTime(april - absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(v1::GetMetricsResponse from_april, core_->Metrics(request));
  ASSERT_THAT(from_april.groups(), SizeIs(2));
  EXPECT_EQ(from_april.groups(1).incidents(), 1);
}

TEST_F(CoreTest, TemplatesSaveOnceAndTheBuiltInIsNotSavedOver) {
  v1::SaveTemplateRequest save;
  *save.mutable_template_() = TeamTemplate();
  save.set_author("cli:alice");
  save.set_dry_run(true);
  ASSERT_OK_AND_ASSIGN(auto dry, core_->SaveTemplate(save));
  EXPECT_EQ(dry.outcome(), v1::SAVE_OUTCOME_CREATED);
  EXPECT_THAT(core_->GetTemplate("payments-review"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  save.set_dry_run(false);
  ASSERT_OK_AND_ASSIGN(auto created, core_->SaveTemplate(save));
  EXPECT_EQ(created.outcome(), v1::SAVE_OUTCOME_CREATED);
  EXPECT_EQ(created.template_().version(), 1);
  ASSERT_OK_AND_ASSIGN(auto unchanged, core_->SaveTemplate(save));
  EXPECT_EQ(unchanged.outcome(), v1::SAVE_OUTCOME_UNCHANGED);
  save.mutable_template_()->set_description("For payments incidents");
  ASSERT_OK_AND_ASSIGN(auto updated, core_->SaveTemplate(save));
  EXPECT_EQ(updated.outcome(), v1::SAVE_OUTCOME_UPDATED);
  EXPECT_EQ(updated.template_().version(), 2);
  ASSERT_OK_AND_ASSIGN(auto all, core_->ListTemplates());
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].name(), kDefaultTemplate);
  EXPECT_TRUE(all[0].builtin());

  save.mutable_template_()->set_name(kDefaultTemplate);
  EXPECT_THAT(core_->SaveTemplate(save), StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  save.mutable_template_()->set_name("bad");
  save.mutable_template_()->mutable_sections(0)->mutable_questions(0)->clear_type();
  EXPECT_THAT(core_->SaveTemplate(save),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type is required")));
}

TEST_F(CoreTest, ExportsMarkdownAndJsonWithMissingAsNull) {
  ASSERT_OK(core_->AnalyseResolved(incidents_.known["inc-1"].incident));
  const std::string id = Only("inc-1").id();
  v1::ExportAnalysisRequest request;
  request.set_analysis_id(id);
  ASSERT_OK_AND_ASSIGN(auto md, core_->Export(request));
  EXPECT_EQ(md.content_type(), "text/markdown");
  EXPECT_THAT(md.content(), HasSubstr("Incident inc-1"));
  request.set_format(v1::EXPORT_FORMAT_JSON);
  ASSERT_OK_AND_ASSIGN(auto js, core_->Export(request));
  nlohmann::json doc = nlohmann::json::parse(js.content());
  EXPECT_TRUE(doc["metrics"]["timeToMitigateSeconds"].is_null());
  EXPECT_EQ(doc["metrics"]["timeToAcknowledgeSeconds"], 180);
}

}  // namespace
}  // namespace tocsin::postmortem
