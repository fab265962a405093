// EscalationCore: a page that failed because its provider is degraded
// (page.failed with fall_through) pages the person's next channel at once.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/status/status_matchers.h"
#include "services/escalation/core.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// alice: mail (email), phone (sms), call (voice), pager (webhook).
Contact Alice() {
  Contact c;
  c.set_name("alice");
  auto* mail = c.add_channels();
  mail->set_name("mail");
  mail->mutable_email()->set_address("alice@example.com");
  auto* phone = c.add_channels();
  phone->set_name("phone");
  phone->mutable_sms()->set_number("+81312345678");
  phone->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  auto* call = c.add_channels();
  call->set_name("call");
  call->mutable_voice()->set_number("+81312345679");
  call->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  auto* sms2 = c.add_channels();
  sms2->set_name("phone2");
  sms2->mutable_sms()->set_number("+81312345670");
  sms2->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  return c;
}

// Stages of (minutes, channels), retries after retry_minutes.
Contact WithPlan(Contact c, const std::vector<std::pair<int, std::vector<std::string>>>& stages,
                 int retry_minutes = 0) {
  for (const auto& [minutes, channels] : stages) {
    auto* stage = c.mutable_personal_plan()->add_stages();
    stage->set_duration_in_minutes(minutes);
    for (const std::string& ch : channels) {
      auto* t = stage->add_targets();
      t->set_channel(ch);
      t->set_retry_interval_in_minutes(retry_minutes);
    }
  }
  return c;
}

class FallThroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, SqliteEscalationStore::Open(path_, &clock_));
    EscalationOptions options;
    options.audit_interval = absl::InfiniteDuration();
    core_ = std::make_unique<EscalationCore>(store_.get(), &clock_, &ids_, options);
  }

  void Put(const Contact& c) {
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertContact(c); }));
  }

  template <typename T>
  Envelope Event(const std::string& event_id, const events::EventType<T>& type,
                 const T& payload) {
    Envelope e;
    e.set_event_id(event_id);
    e.set_type(type.name);
    *e.mutable_time() = ToProtoTime(clock_.Now());
    e.set_incident_id("inc-1");
    e.mutable_payload()->PackFrom(payload);
    return e;
  }

  void Open() {
    incidents::v1::IncidentOpened opened;
    opened.mutable_incident()->set_id("inc-1");
    opened.mutable_incident()->set_title("Payments latency");
    opened.mutable_incident()->set_status(incidents::v1::INCIDENT_STATUS_OPEN);
    opened.mutable_incident()->add_engagements("alice");
    ASSERT_OK(core_->HandleIncidentEvent(Event("open", events::kIncidentOpened, opened)));
  }

  std::vector<Envelope> Outbox() {
    std::vector<Envelope> out;
    EXPECT_OK(store_->database()->Read([&]() -> absl::Status {
      ASSIGN_OR_RETURN(auto s,
                       store_->database()->Prepare("SELECT envelope FROM outbox ORDER BY seq"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        Envelope e;
        EXPECT_TRUE(e.ParseFromString(s.ColumnBlob(0)));
        out.push_back(std::move(e));
      }
      return absl::OkStatus();
    }));
    return out;
  }

  std::vector<v1::PageRequested> Pages() {
    std::vector<v1::PageRequested> out;
    for (const Envelope& e : Outbox()) {
      if (events::Is(e, events::kPageRequested)) {
        out.push_back(*events::Payload(e, events::kPageRequested));
      }
    }
    return out;
  }

  // "channel@seconds since t0" of every page requested.
  std::vector<std::string> Paged() {
    std::vector<std::string> out;
    for (const Envelope& e : Outbox()) {
      if (!events::Is(e, events::kPageRequested)) continue;
      out.push_back(absl::StrCat(events::Payload(e, events::kPageRequested)->channel().name(),
                                 "@", absl::ToInt64Seconds(FromProtoTime(e.time()) - t0_)));
    }
    return out;
  }

  std::vector<std::string> Details() {
    std::vector<std::string> out;
    for (const Envelope& e : Outbox()) {
      if (events::Is(e, events::kEngagementStageStarted)) {
        out.push_back(events::Payload(e, events::kEngagementStageStarted)->detail());
      }
    }
    return out;
  }

  v1::PageRequested PageTo(const std::string& channel) {
    v1::PageRequested found;
    for (const auto& p : Pages()) {
      if (p.channel().name() == channel) found = p;
    }
    EXPECT_FALSE(found.page_id().empty()) << "no page to " << channel;
    return found;
  }

  // page.failed for the page as requested: as paging sends them, a
  // fall-through failure is not final (the page is retried), another is.
  absl::Status Fail(const std::string& event_id, const v1::PageRequested& requested,
                    bool fall_through = true) {
    paging::v1::PageFailed failed;
    auto* p = failed.mutable_page();
    p->set_id(requested.page_id());
    p->set_incident_id(requested.incident_id());
    p->set_engagement_id(requested.engagement_id());
    p->set_contact(requested.contact());
    *p->mutable_channel() = requested.channel();
    p->set_stage(requested.stage());
    p->set_state(fall_through ? paging::v1::PAGE_STATE_PENDING : paging::v1::PAGE_STATE_FAILED);
    failed.set_final(!fall_through);
    failed.set_fall_through(fall_through);
    failed.set_error(fall_through ? "twilio is degraded (3 failures in 5m): paging alice's next "
                                    "channel"
                                  : "rejected");
    return core_->HandlePageEvent(Event(event_id, events::kPageFailed, failed));
  }

  v1::Engagement Engagement() {
    v1::ListEngagementsRequest r;
    r.set_incident_id("inc-1");
    auto resp = core_->ListEngagements(r);
    EXPECT_OK(resp);
    return resp.ok() && resp->engagements_size() > 0 ? resp->engagements(0) : v1::Engagement();
  }

  void At(int seconds) {
    clock_.Set(t0_ + absl::Seconds(seconds));
    ASSERT_OK(core_->RunDueTimers());
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  const absl::Time t0_ = clock_.Now();
  SequentialIdGenerator ids_;
  std::unique_ptr<SqliteEscalationStore> store_;
  std::unique_ptr<EscalationCore> core_;
};

TEST_F(FallThroughTest, ADegradedProviderPagesTheNextChannelAtOnceNeverTwiceInAStage) {
  Put(WithPlan(Alice(), {{5, {"phone"}}, {5, {"phone2", "mail"}}, {0, {"call"}}}));
  Open();
  EXPECT_THAT(Paged(), ElementsAre("phone@0"));
  At(10);
  ASSERT_OK(Fail("f1", PageTo("phone")));
  // phone2 is SMS too: the next of another kind is mail, paged at once, in
  // stage 1.
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10"));
  EXPECT_EQ(PageTo("mail").stage(), 0);
  EXPECT_EQ(Details().back(),
            absl::StrCat("alice, stage 1: sms provider degraded; paging mail (email) at once "
                         "(page ", PageTo("phone").page_id(), " failed: its provider is "
                         "degraded)"));
  // A redelivery changes nothing.
  ASSERT_OK(Fail("f1", PageTo("phone")));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10"));
  // The same page failing again (its retries, the provider still
  // degraded): nothing more.
  At(15);
  ASSERT_OK(Fail("f1b", PageTo("phone")));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10"));
  // The email provider degraded too: mail is not paged twice; phone2 (SMS,
  // stage 2) is the next of another kind, then call (voice).
  At(20);
  ASSERT_OK(Fail("f2", PageTo("mail")));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10", "phone2@20"));
  At(30);
  ASSERT_OK(Fail("f3", PageTo("phone2")));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10", "phone2@20", "call@30"));
  // Nothing is left: said on the timeline, and the plan goes on as before.
  At(40);
  ASSERT_OK(Fail("f4", PageTo("call")));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10", "phone2@20", "call@30"));
  EXPECT_THAT(Details().back(), HasSubstr("no other channel to page at once"));
  EXPECT_THAT(Details().back(), HasSubstr("the plan goes on as before"));
  EXPECT_EQ(Engagement().state(), v1::ENGAGEMENT_STATE_ACTIVE);
  // The stages keep their timing: stage 2 at 5 min pages its own channels.
  At(300);
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@10", "phone2@20", "call@30", "phone2@300",
                                   "mail@300"));
}

TEST_F(FallThroughTest, OnlyInTheCurrentStageAndOnlyForFallThroughFailures) {
  Put(WithPlan(Alice(), {{5, {"phone"}}, {5, {"mail"}}, {0, {"call"}}}));
  Open();
  At(10);
  // A final failure without fall_through: no page at once (no retries set).
  ASSERT_OK(Fail("f0", PageTo("phone"), /*fall_through=*/false));
  EXPECT_THAT(Paged(), ElementsAre("phone@0"));
  At(300);
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@300"));
  // A fall-through of stage 1's page arriving in stage 2: nothing.
  ASSERT_OK(Fail("f1", Pages()[0]));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@300"));
}

TEST_F(FallThroughTest, ChannelsNotActivatedAreSkippedAndTheStagesOwnTargetsToo) {
  Contact alice = Alice();
  alice.mutable_channels(2)->mutable_activation()->set_state(v1::ACTIVATION_STATE_DEACTIVATED);
  Put(WithPlan(alice, {{5, {"phone", "mail"}}, {0, {"call"}}}));
  Open();
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@0"));
  ASSERT_OK(Fail("f1", PageTo("phone")));
  // mail was paged by this stage already; call is deactivated.
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@0"));
  EXPECT_THAT(Details().back(), HasSubstr("no other channel to page at once"));
}

TEST_F(FallThroughTest, AContactWithoutAPlanFallsThroughToItsNextChannel) {
  Contact alice;
  alice.set_name("alice");
  auto* phone = alice.add_channels();
  phone->set_name("phone");
  phone->mutable_sms()->set_number("+81312345678");
  phone->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  auto* mail = alice.add_channels();
  mail->set_name("mail");
  mail->mutable_email()->set_address("alice@example.com");
  mail->mutable_delay()->set_seconds(600);
  Put(alice);
  Open();
  ASSERT_OK(Fail("f1", PageTo("phone")));
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@0"));
  At(600);
  EXPECT_THAT(Paged(), ElementsAre("phone@0", "mail@0", "mail@600"));
}

}  // namespace
}  // namespace tocsin::escalation
