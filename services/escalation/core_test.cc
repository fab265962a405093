#include "services/escalation/core.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/status/status_matchers.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::tocsin::testing::StatusIs;

// The names of the events the core emits, as OutboxTypes() lists them.
const std::string kStarted = events::kEngagementStarted.name;
const std::string kStageStarted = events::kEngagementStageStarted.name;
const std::string kRequested = events::kPageRequested.name;
const std::string kStopped = events::kEngagementStopped.name;

// A contact with one channel per delay: email, webhook, email, ...
Contact Person(const std::string& name, const std::vector<int>& delays_seconds) {
  Contact c;
  c.set_name(name);
  c.set_display_name(name + " (on call)");
  for (size_t i = 0; i < delays_seconds.size(); ++i) {
    auto* ch = c.add_channels();
    ch->set_name(absl::StrCat("ch", i));
    if (i % 2 == 0) {
      ch->mutable_email()->set_address(absl::StrCat(name, i, "@example.com"));
    } else {
      ch->mutable_webhook()->set_url(absl::StrCat("https://hooks.example.com/", name, i));
    }
    ch->mutable_delay()->set_seconds(delays_seconds[i]);
  }
  return c;
}

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    core_.reset();
    store_.reset();
    auto store = SqliteEscalationStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    core_ = std::make_unique<EscalationCore>(
        store_.get(), &clock_, &ids_,
        EscalationOptions{[this](const Envelope&) { ++observed_; }});
  }

  template <typename T>
  Envelope Event(const std::string& event_id, const events::EventType<T>& type,
                 const std::string& incident_id, const T& payload) {
    const std::string name = type.name;
    Envelope e;
    e.set_event_id(event_id);
    e.set_type(name);
    *e.mutable_time() = ToProtoTime(clock_.Now());
    e.set_source(name.substr(0, name.find('.')) == "page" ? "paging" : "incidents");
    e.set_incident_id(incident_id);
    e.mutable_payload()->PackFrom(payload);
    return e;
  }

  Envelope Opened(const std::string& event_id, const std::string& incident_id,
                  const std::vector<std::string>& contacts) {
    incidents::v1::IncidentOpened opened;
    auto* i = opened.mutable_incident();
    i->set_id(incident_id);
    i->set_title("Payments latency");
    i->set_impact(2);
    i->set_summary("p99 above 2 s");
    i->set_status(incidents::v1::INCIDENT_STATUS_OPEN);
    for (const auto& c : contacts) i->add_engagements(c);
    return Event(event_id, events::kIncidentOpened, incident_id, opened);
  }

  Envelope Resolved(const std::string& event_id, const std::string& incident_id) {
    incidents::v1::IncidentResolved resolved;
    resolved.mutable_incident()->set_id(incident_id);
    resolved.mutable_incident()->set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
    return Event(event_id, events::kIncidentResolved, incident_id, resolved);
  }

  // page.acknowledged for the page as the escalation service requested it.
  Envelope Ack(const std::string& event_id, const v1::PageRequested& requested) {
    paging::v1::PageAcknowledged ack;
    auto* p = ack.mutable_page();
    p->set_id(requested.page_id());
    p->set_incident_id(requested.incident_id());
    p->set_engagement_id(requested.engagement_id());
    p->set_contact(requested.contact());
    p->set_state(paging::v1::PAGE_STATE_ACKNOWLEDGED);
    return Event(event_id, events::kPageAcknowledged, requested.incident_id(), ack);
  }

  // Every event committed to the outbox, in commit order.
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

  std::vector<std::string> OutboxTypes() {
    std::vector<std::string> types;
    for (const auto& e : Outbox()) types.push_back(e.type());
    return types;
  }

  std::vector<v1::PageRequested> Pages() {
    std::vector<v1::PageRequested> pages;
    for (const auto& e : Outbox()) {
      if (!events::Is(e, events::kPageRequested)) continue;
      absl::StatusOr<v1::PageRequested> p = events::Payload(e, events::kPageRequested);
      EXPECT_OK(p.status());
      if (p.ok()) pages.push_back(*std::move(p));
    }
    return pages;
  }

  // The channel names paged so far, in order.
  std::vector<std::string> PagedChannels() {
    std::vector<std::string> channels;
    for (const auto& p : Pages()) channels.push_back(p.channel().name());
    return channels;
  }

  std::vector<v1::Engagement> EngagementsOf(const std::string& incident_id) {
    v1::ListEngagementsRequest r;
    r.set_incident_id(incident_id);
    auto resp = core_->ListEngagements(r);
    EXPECT_OK(resp);
    return {resp->engagements().begin(), resp->engagements().end()};
  }

  v1::Engagement OnlyEngagement(const std::string& incident_id) {
    auto all = EngagementsOf(incident_id);
    EXPECT_THAT(all, SizeIs(1));
    return all.empty() ? v1::Engagement() : all[0];
  }

  // Stores a contact as is (the directory's rules are DirectoryCore's, tested
  // in directory_test): email and webhook channels without an activation
  // state are grandfathered, so they are paged.
  void Put(const Contact& c) {
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertContact(c); }));
  }
  void Delete(const std::string& name) {
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(bool deleted, tx.DeleteContact(name));
      EXPECT_TRUE(deleted) << name;
      return absl::OkStatus();
    }));
  }

  int Fire() {
    auto fired = core_->RunDueTimers();
    EXPECT_OK(fired);
    return fired.ok() ? *fired : -1;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  int observed_ = 0;
  std::unique_ptr<SqliteEscalationStore> store_;
  std::unique_ptr<EscalationCore> core_;
};

// ---- Stage timing ----

TEST_F(CoreTest, StagesArePagedToTheSecond) {
  Put(Person("alice", {0, 60, 120}));
  const absl::Time start = clock_.Now();
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));

  // The first channel at once, with what the page must say.
  ASSERT_THAT(Pages(), SizeIs(1));
  const v1::PageRequested first = Pages()[0];
  EXPECT_THAT(first.page_id(), ::testing::StartsWith("pg-"));
  EXPECT_EQ(first.incident_id(), "inc-1");
  EXPECT_EQ(first.contact(), "alice");
  EXPECT_EQ(first.channel().name(), "ch0");
  EXPECT_EQ(first.channel().email().address(), "alice0@example.com");
  EXPECT_EQ(first.incident_title(), "Payments latency");
  EXPECT_EQ(first.impact(), 2);
  EXPECT_EQ(first.summary(), "p99 above 2 s");
  EXPECT_EQ(first.stage(), 0);
  v1::Engagement e = OnlyEngagement("inc-1");
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(e.next_stage(), 1);
  EXPECT_EQ(FromProtoTime(e.next_due()), start + absl::Seconds(60));
  EXPECT_EQ(e.contact_snapshot().name(), "alice");
  EXPECT_EQ(first.engagement_id(), e.id());

  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(Fire(), 0);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));

  clock_.Advance(absl::Seconds(1));  // +60 s
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1"));
  EXPECT_EQ(Pages()[1].channel().webhook().url(), "https://hooks.example.com/alice1");
  EXPECT_EQ(Pages()[1].stage(), 1);
  EXPECT_EQ(Pages()[1].incident_title(), "Payments latency");
  EXPECT_EQ(FromProtoTime(OnlyEngagement("inc-1").next_due()), start + absl::Seconds(180));

  clock_.Advance(absl::Seconds(119));  // +179 s
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Seconds(1));  // +180 s
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1", "ch2"));

  // The last channel was paged: no further stage, ever.
  e = OnlyEngagement("inc-1");
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_EQ(e.stop_reason(), "all 3 channels paged; no further stage");
  EXPECT_FALSE(e.has_next_due());
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Fire(), 0);
  EXPECT_THAT(OutboxTypes(),
              ElementsAre(kStarted, kStageStarted, kRequested, kStageStarted, kRequested,
                          kStageStarted, kRequested, kStopped));
  // Each page id is new; every event names the incident and its cause.
  EXPECT_NE(Pages()[0].page_id(), Pages()[1].page_id());
  for (const auto& ev : Outbox()) {
    EXPECT_EQ(ev.incident_id(), "inc-1");
    EXPECT_EQ(ev.source(), "escalation");
  }
  EXPECT_EQ(Outbox()[0].causation_id(), "e1");
  EXPECT_EQ(observed_, 8);
}

TEST_F(CoreTest, AnEngagementThatCannotBeFiredIsSetAsideAndTheOthersStillPage) {
  Put(Person("alice", {0, 60}));
  Put(Person("bob", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e2", "inc-2", {"bob"})));
  const std::string broken = OnlyEngagement("inc-1").id();
  // alice's stored engagement becomes unreadable (a bad disk, a bug).
  ASSERT_OK(store_->database()->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto s, store_->database()->Prepare(
                                 "UPDATE engagements SET body = X'FFFFFFFF' WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(broken));
    return s.Run().status();
  }));

  clock_.Advance(absl::Seconds(60));
  // bob's second stage is paged; alice's engagement is set aside, once.
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch0", "ch1"));
  EXPECT_EQ(Pages().back().contact(), "bob");
  v1::Engagement aside = OnlyEngagement("inc-1");
  EXPECT_EQ(aside.id(), broken);
  EXPECT_EQ(aside.state(), v1::ENGAGEMENT_STATE_STOPPED);
  std::vector<v1::EngagementStopped> stops;
  for (const Envelope& e : Outbox()) {
    if (!events::Is(e, events::kEngagementStopped) || e.incident_id() != "inc-1") continue;
    ASSERT_OK_AND_ASSIGN(v1::EngagementStopped one, events::Payload(e, events::kEngagementStopped));
    stops.push_back(one);
  }
  ASSERT_THAT(stops, SizeIs(1));
  const v1::EngagementStopped& stopped = stops[0];
  EXPECT_EQ(stopped.engagement().id(), broken);
  EXPECT_THAT(stopped.engagement().stop_reason(),
              AllOf(HasSubstr("set aside"), HasSubstr("DATA_LOSS")));

  // Never met again: the next passes only page bob.
  const size_t events = Outbox().size();
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Fire(), 0);
  EXPECT_EQ(Outbox().size(), events);
}

TEST_F(CoreTest, LaterStagesSayWhatTheIncidentSaysNow) {
  Put(Person("alice", {0, 60}));
  Envelope opened = Opened("e1", "inc-1", {"alice"});
  incidents::v1::IncidentUpdated updated;
  ASSERT_OK_AND_ASSIGN(incidents::v1::IncidentOpened payload,
                       events::Payload(opened, events::kIncidentOpened));
  *updated.mutable_incident() = payload.incident();
  updated.mutable_incident()->set_title("Payments down");
  updated.mutable_incident()->set_impact(1);
  updated.mutable_incident()->set_version(2);
  // An update that arrives before the opening changes nothing and does not
  // stop the opening from engaging.
  ASSERT_OK(core_->HandleIncidentEvent(Event("u0", events::kIncidentUpdated, "inc-1", updated)));
  ASSERT_OK(core_->HandleIncidentEvent(opened));
  ASSERT_THAT(Pages(), SizeIs(1));
  EXPECT_EQ(Pages()[0].incident_title(), "Payments latency");
  ASSERT_OK(core_->HandleIncidentEvent(Event("u1", events::kIncidentUpdated, "inc-1", updated)));
  clock_.Advance(absl::Seconds(60));
  ASSERT_OK(core_->RunDueTimers());
  ASSERT_THAT(Pages(), SizeIs(2));
  EXPECT_EQ(Pages()[1].incident_title(), "Payments down");
  EXPECT_EQ(Pages()[1].impact(), 1);
}

TEST_F(CoreTest, OneChannelIsExhaustedAtOnce) {
  Put(Person("alice", {0}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  v1::Engagement e = OnlyEngagement("inc-1");
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_EQ(e.stop_reason(), "all 1 channels paged; no further stage");
  // A resolution changes nothing; its last page acknowledged later still
  // counts as an acknowledgement (up the tree, for the ack timeout).
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  EXPECT_EQ(OnlyEngagement("inc-1").version(), e.version());
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", Pages()[0])));
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_THAT(OutboxTypes(),
              ElementsAre(kStarted, kStageStarted, kRequested, kStopped, kStopped));
}

TEST_F(CoreTest, ChannelWithoutDelayIsPagedRightAfterThePreviousOne) {
  Put(Person("alice", {0, 0, 30}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1"));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1", "ch2"));
}

TEST_F(CoreTest, UnsetDelayMeansFiveMinutes) {
  Contact c = Person("alice", {0, 0});
  c.mutable_channels(1)->clear_delay();
  Put(c);
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Fire(), 1);
}

TEST_F(CoreTest, AfterALongOutageOnlyTheCurrentStageIsPagedAndTheNextCountsFromNow) {
  Put(Person("alice", {0, 60, 120, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  clock_.Advance(absl::Minutes(10));  // stages 1, 2 and 3 would all be overdue
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1"));
  EXPECT_EQ(FromProtoTime(OnlyEngagement("inc-1").next_due()),
            clock_.Now() + absl::Seconds(120));
  clock_.Advance(absl::Seconds(119));
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1", "ch2"));
}

// ---- Stop on ack, stop on resolve ----

TEST_F(CoreTest, AckStopsFurtherStages) {
  Put(Person("alice", {0, 60, 120}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  const v1::PageRequested first = Pages()[0];
  clock_.Advance(absl::Seconds(10));
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-1", first)));

  v1::Engagement e = OnlyEngagement("inc-1");
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(e.stop_reason(), absl::StrCat("acknowledged (page ", first.page_id(), ")"));
  EXPECT_EQ(FromProtoTime(e.stop_time()), clock_.Now());
  EXPECT_FALSE(e.has_next_due());

  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Fire(), 0);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));
  // A second acknowledgement (another event) and a resolution change nothing.
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-2", first)));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(OnlyEngagement("inc-1").version(), e.version());
  EXPECT_THAT(OutboxTypes(), ElementsAre(kStarted, kStageStarted, kRequested, kStopped));
  EXPECT_EQ(Outbox().back().causation_id(), "ack-1");
}

TEST_F(CoreTest, AckOfAnEarlierStagesPageStillStops) {
  Put(Person("alice", {0, 60, 120}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-1", Pages()[0])));
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Fire(), 0);
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1"));
}

TEST_F(CoreTest, ResolveStopsEveryActiveEngagementOfTheIncident) {
  Put(Person("alice", {0, 60}));
  Put(Person("bob", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice", "bob"})));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e2", "inc-2", {"alice"})));
  clock_.Advance(absl::Seconds(30));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));

  for (const auto& e : EngagementsOf("inc-1")) {
    EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_STOPPED) << e.contact();
    EXPECT_EQ(e.stop_reason(), "incident resolved");
  }
  // The active list shows only inc-2's engagement, which goes on.
  auto active = core_->ListEngagements({});
  ASSERT_OK(active);
  ASSERT_EQ(active->engagements_size(), 1);
  EXPECT_EQ(active->engagements(0).incident_id(), "inc-2");
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Fire(), 1);  // only inc-2's alice
  std::vector<std::string> paged_incidents;
  for (const auto& p : Pages()) paged_incidents.push_back(p.incident_id());
  EXPECT_THAT(paged_incidents, ElementsAre("inc-1", "inc-1", "inc-2", "inc-2"));

  // An ack after the resolution never reopens anything.
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-1", Pages()[0])));
  EXPECT_EQ(EngagementsOf("inc-1")[0].state(), v1::ENGAGEMENT_STATE_STOPPED);
  int stopped = 0;
  for (const auto& t : OutboxTypes()) stopped += t == kStopped;
  EXPECT_EQ(stopped, 3);  // alice and bob on inc-1, then inc-2 exhausted
}

TEST_F(CoreTest, ResolutionArrivingBeforeTheOpeningEngagesNobody) {
  Put(Person("alice", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  EXPECT_THAT(EngagementsOf("inc-1"), IsEmpty());
  EXPECT_THAT(Outbox(), IsEmpty());
}

// ---- Races ----

TEST_F(CoreTest, AckAtTheDueTimeBeforeTheTimerPagesNothingMore) {
  Put(Person("alice", {0, 60, 120}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  clock_.Advance(absl::Seconds(60));  // stage 1 due exactly now
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-1", Pages()[0])));
  EXPECT_EQ(Fire(), 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Fire(), 0);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
}

TEST_F(CoreTest, TimerBeforeAckPagesExactlyTheStagesDue) {
  Put(Person("alice", {0, 60, 120}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Fire(), 1);
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-1", Pages()[1])));
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Fire(), 0);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1"));
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
}

TEST_F(CoreTest, AckAndTimerOnTwoThreadsNeverPageAfterTheStop) {
  Put(Person("alice", {0, 60, 60, 60}));
  constexpr int kIncidents = 20;
  for (int i = 0; i < kIncidents; ++i) {
    ASSERT_OK(core_->HandleIncidentEvent(
        Opened(absl::StrCat("e", i), absl::StrCat("inc-", i), {"alice"})));
  }
  std::vector<v1::PageRequested> first_pages = Pages();
  ASSERT_THAT(first_pages, SizeIs(kIncidents));
  clock_.Advance(absl::Seconds(60));
  std::thread timers([&] {
    for (int i = 0; i < 5; ++i) EXPECT_OK(core_->RunDueTimers());
  });
  for (int i = 0; i < kIncidents; ++i) {
    EXPECT_OK(core_->HandlePageEvent(Ack(absl::StrCat("ack-", i), first_pages[i])));
  }
  timers.join();
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Fire(), 0);

  // Per engagement: acknowledged, at most the one stage that was due, and no
  // page committed after its stop.
  for (int i = 0; i < kIncidents; ++i) {
    const std::string incident = absl::StrCat("inc-", i);
    EXPECT_EQ(OnlyEngagement(incident).state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
    int pages = 0;
    bool stopped = false;
    for (const auto& ev : Outbox()) {
      if (ev.incident_id() != incident) continue;
      if (events::Is(ev, events::kEngagementStopped)) stopped = true;
      if (events::Is(ev, events::kPageRequested)) {
        EXPECT_FALSE(stopped) << incident << " paged after its stop";
        ++pages;
      }
    }
    EXPECT_GE(pages, 1);
    EXPECT_LE(pages, 2) << incident;
  }
}

// ---- Duplicates and bad input ----

TEST_F(CoreTest, RedeliveredOpeningStartsNothingTwice) {
  Put(Person("alice", {0, 60}));
  const Envelope opened = Opened("e1", "inc-1", {"alice", "alice"});
  for (int i = 0; i < 5; ++i) ASSERT_OK(core_->HandleIncidentEvent(opened));
  // Another event about the same incident's opening starts nothing either.
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1-again", "inc-1", {"alice"})));
  EXPECT_THAT(EngagementsOf("inc-1"), SizeIs(1));
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1"));
}

TEST_F(CoreTest, RedeliveredAckAndResolveChangeNothing) {
  Put(Person("alice", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  const Envelope ack = Ack("ack-1", Pages()[0]);
  ASSERT_OK(core_->HandlePageEvent(ack));
  const int64_t version = OnlyEngagement("inc-1").version();
  const size_t events = Outbox().size();
  ASSERT_OK(core_->HandlePageEvent(ack));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  EXPECT_EQ(OnlyEngagement("inc-1").version(), version);
  EXPECT_EQ(Outbox().size(), events);
}

TEST_F(CoreTest, UnknownContactStopsWithTheReasonAndOthersArePaged) {
  Put(Person("alice", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"ghost", "alice"})));
  auto engagements = EngagementsOf("inc-1");
  ASSERT_THAT(engagements, SizeIs(2));
  EXPECT_EQ(engagements[0].contact(), "ghost");
  EXPECT_EQ(engagements[0].state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(engagements[0].stop_reason(), "contact \"ghost\" does not exist");
  EXPECT_EQ(engagements[1].state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_THAT(OutboxTypes(), ElementsAre(kStopped, kStarted, kStageStarted, kRequested));
  ASSERT_OK_AND_ASSIGN(v1::EngagementStopped stopped,
                       events::Payload(Outbox()[0], events::kEngagementStopped));
  EXPECT_EQ(stopped.engagement().stop_reason(), "contact \"ghost\" does not exist");
  EXPECT_EQ(Outbox()[0].incident_id(), "inc-1");
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));
}

TEST_F(CoreTest, IncidentWithoutEngagementsDoesNothing) {
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {})));
  EXPECT_THAT(EngagementsOf("inc-1"), IsEmpty());
  EXPECT_THAT(Outbox(), IsEmpty());
  EXPECT_EQ(observed_, 0);
}

TEST_F(CoreTest, AckOfAPageNobodyRequestedChangesNothing) {
  Put(Person("alice", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  v1::PageRequested unknown = Pages()[0];
  unknown.set_page_id("pg-unknown");
  unknown.set_engagement_id("eng-unknown");
  ASSERT_OK(core_->HandlePageEvent(Ack("ack-1", unknown)));
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACTIVE);
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Fire(), 1);
}

TEST_F(CoreTest, PayloadOfTheWrongTypeIsRefusedAndRecordsNothing) {
  Put(Person("alice", {0, 60}));
  Envelope bad = Opened("e1", "inc-1", {"alice"});
  bad.mutable_payload()->PackFrom(v1::Contact());
  EXPECT_THAT(core_->HandleIncidentEvent(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a tocsin.incidents.v1.IncidentOpened")));
  EXPECT_THAT(Outbox(), IsEmpty());
  // Nothing was recorded in the inbox: the good event of that id applies.
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0"));
}

// ---- Durability ----

TEST_F(CoreTest, TimersSurviveReopeningTheDatabase) {
  Put(Person("alice", {0, 60, 120}));
  const absl::Time start = clock_.Now();
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  Reopen();
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Fire(), 1);
  Reopen();
  EXPECT_EQ(FromProtoTime(OnlyEngagement("inc-1").next_due()), start + absl::Seconds(180));
  // The redelivered opening after a restart still starts nothing.
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  clock_.Advance(absl::Seconds(120));
  EXPECT_EQ(Fire(), 1);
  EXPECT_THAT(PagedChannels(), ElementsAre("ch0", "ch1", "ch2"));
  EXPECT_EQ(Pages()[2].incident_title(), "Payments latency");
}

// ---- Snapshots ----

TEST_F(CoreTest, EngagementKeepsItsSnapshotWhenTheContactChangesOrGoes) {
  Put(Person("alice", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  Delete("alice");
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Fire(), 1);
  EXPECT_EQ(Pages()[1].channel().webhook().url(), "https://hooks.example.com/alice1");
}


// ---- Engagement trees: personal plans, schedules, escalation plans ----

// A person with an email (grandfathered: no activation state), an SMS and a
// voice channel (activated).
Contact Human(const std::string& name) {
  Contact c;
  c.set_name(name);
  auto* mail = c.add_channels();
  mail->set_name("mail");
  mail->mutable_email()->set_address(name + "@example.com");
  auto* phone = c.add_channels();
  phone->set_name("phone");
  phone->mutable_sms()->set_number("+81312345678");
  phone->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  auto* call = c.add_channels();
  call->set_name("call");
  call->mutable_voice()->set_number("+81312345679");
  call->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  return c;
}

struct StageSpec {
  int minutes;
  std::vector<std::string> targets;  // channels, or contacts ("!" first: essential)
};

Contact WithPlan(Contact c, const std::vector<StageSpec>& stages, int retry_minutes = 0) {
  for (const StageSpec& s : stages) {
    auto* stage = c.mutable_personal_plan()->add_stages();
    stage->set_duration_in_minutes(s.minutes);
    for (const std::string& ch : s.targets) {
      auto* t = stage->add_targets();
      t->set_channel(ch);
      t->set_retry_interval_in_minutes(retry_minutes);
    }
  }
  return c;
}

Contact Plan(const std::string& name, const std::vector<StageSpec>& stages,
             bool stop_on_first_ack = false, int repeat = 0) {
  Contact c;
  c.set_name(name);
  c.set_type(v1::CONTACT_TYPE_ESCALATION);
  auto* plan = c.mutable_escalation_plan();
  plan->set_stop_on_first_ack(stop_on_first_ack);
  plan->set_repeat(repeat);
  for (const StageSpec& s : stages) {
    auto* stage = plan->add_stages();
    stage->set_duration_in_minutes(s.minutes);
    for (const std::string& name : s.targets) {
      auto* t = stage->add_targets();
      const bool essential = !name.empty() && name[0] == '!';
      t->set_contact(essential ? name.substr(1) : name);
      t->set_is_essential(essential);
    }
  }
  return c;
}

Contact Schedule(const std::string& name, const std::vector<std::string>& rotations) {
  Contact c;
  c.set_name(name);
  c.set_type(v1::CONTACT_TYPE_ONCALL_SCHEDULE);
  for (const auto& r : rotations) c.mutable_schedule()->add_rotation_ids(r);
  return c;
}

// Hands over every day at 00:00 UTC, counting from start.
Rotation DailyRotation(const std::string& name, const std::vector<std::string>& contacts,
                       absl::Time start, int on_call = 1) {
  Rotation r;
  r.set_name(name);
  for (const auto& c : contacts) r.add_contacts(c);
  *r.mutable_start_time() = ToProtoTime(start);
  r.set_time_zone_id("UTC");
  r.mutable_recurrence()->add_daily_settings()->set_hour_of_day(0);
  r.mutable_recurrence()->set_number_of_on_calls(on_call);
  return r;
}

class TreeTest : public CoreTest {
 protected:
  // Whatever a test did, no engagement may be left that nothing would move.
  void TearDown() override {
    if (!expect_stalled_) {
      absl::StatusOr<int> stalled = core_->AuditEngagements();
      ASSERT_OK(stalled);
      EXPECT_EQ(*stalled, 0) << "an engagement was left with no timer and no active child";
    }
  }

  using CoreTest::Put;
  void Put(const Rotation& r) {
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertRotation(r); }));
  }
  void Put(const v1::RotationOverride& o) {
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertOverride(o); }));
  }

  // "contact/channel@seconds since t0_" of every page, in order.
  std::vector<std::string> Paged() {
    std::vector<std::string> out;
    for (const Envelope& e : Outbox()) {
      if (!events::Is(e, events::kPageRequested)) continue;
      auto p = events::Payload(e, events::kPageRequested);
      EXPECT_OK(p.status());
      out.push_back(absl::StrCat(p->contact(), "/", p->channel().name(), "@",
                                 absl::ToInt64Seconds(FromProtoTime(e.time()) - t0_)));
    }
    return out;
  }

  // The page requested for contact's channel, the last one.
  v1::PageRequested PageTo(const std::string& contact, const std::string& channel = "") {
    v1::PageRequested found;
    for (const auto& p : Pages()) {
      if (p.contact() == contact && (channel.empty() || p.channel().name() == channel)) found = p;
    }
    EXPECT_FALSE(found.page_id().empty()) << "no page to " << contact;
    return found;
  }

  std::vector<std::string> Details() {
    std::vector<std::string> out;
    for (const Envelope& e : Outbox()) {
      if (!events::Is(e, events::kEngagementStageStarted)) continue;
      out.push_back(events::Payload(e, events::kEngagementStageStarted)->detail());
    }
    return out;
  }

  // The last engagement of contact in the incident.
  v1::Engagement Of(const std::string& incident, const std::string& contact) {
    v1::Engagement found;
    for (const auto& e : EngagementsOf(incident)) {
      if (e.contact() == contact) found = e;
    }
    EXPECT_FALSE(found.id().empty()) << "no engagement of " << contact;
    return found;
  }

  Envelope Failed(const std::string& event_id, const v1::PageRequested& requested,
                  const std::string& error, bool final) {
    paging::v1::PageFailed failed;
    auto* p = failed.mutable_page();
    p->set_id(requested.page_id());
    p->set_incident_id(requested.incident_id());
    p->set_engagement_id(requested.engagement_id());
    p->set_contact(requested.contact());
    *p->mutable_channel() = requested.channel();
    p->set_stage(requested.stage());
    p->set_state(final ? paging::v1::PAGE_STATE_FAILED : paging::v1::PAGE_STATE_PENDING);
    failed.set_error(error);
    failed.set_final(final);
    return Event(event_id, events::kPageFailed, requested.incident_id(), failed);
  }

  Envelope AckBy(const std::string& event_id, const v1::PageRequested& requested,
                 const std::string& by) {
    Envelope e = Ack(event_id, requested);
    auto ack = events::Payload(e, events::kPageAcknowledged);
    ack->mutable_page()->set_acked_by(by);
    e.mutable_payload()->PackFrom(*ack);
    return e;
  }

  // Moves the clock to t0_ + seconds and fires what is due.
  int At(int seconds) {
    clock_.Set(t0_ + absl::Seconds(seconds));
    return Fire();
  }

  const absl::Time t0_ = clock_.Now();
  bool expect_stalled_ = false;
};

TEST_F(TreeTest, APersonalPlanPagesEachStagesTargetsToTheSecond) {
  Put(WithPlan(Human("alice"), {{5, {"mail", "phone"}}, {10, {"call"}}, {0, {"mail"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  EXPECT_THAT(Paged(), ElementsAre("alice/mail@0", "alice/phone@0"));
  EXPECT_EQ(At(299), 0);
  EXPECT_EQ(At(300), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/mail@0", "alice/phone@0", "alice/call@300"));
  EXPECT_EQ(At(899), 0);
  EXPECT_EQ(At(900), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/mail@0", "alice/phone@0", "alice/call@300",
                                   "alice/mail@900"));
  const v1::Engagement e = OnlyEngagement("inc-1");
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_EQ(e.stop_reason(), "all 3 stages paged; no further stage");
  EXPECT_THAT(Details(), ElementsAre("alice, stage 1 of 3: paging mail (email), phone (sms)",
                                     "alice, stage 2 of 3: paging call (voice)",
                                     "alice, stage 3 of 3: paging mail (email)"));
}

TEST_F(TreeTest, AFailedPageIsSentAgainOnlyWhileItsStageLasts) {
  Put(WithPlan(Human("alice"), {{5, {"phone"}}, {0, {"mail"}}}, /*retry_minutes=*/2));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  At(10);
  // A failure that will be retried by the paging service changes nothing.
  ASSERT_OK(core_->HandlePageEvent(Failed("f0", PageTo("alice"), "timeout", false)));
  EXPECT_EQ(OnlyEngagement("inc-1").retries_size(), 0);
  ASSERT_OK(core_->HandlePageEvent(Failed("f1", PageTo("alice"), "no SMS provider configured",
                                          true)));
  EXPECT_EQ(At(129), 0);
  EXPECT_EQ(At(130), 1);
  ASSERT_OK(core_->HandlePageEvent(Failed("f2", PageTo("alice", "phone"), "no SMS provider",
                                          true)));
  // A redelivered failure schedules nothing more.
  ASSERT_OK(core_->HandlePageEvent(Failed("f2", PageTo("alice", "phone"), "no SMS provider",
                                          true)));
  EXPECT_EQ(At(250), 1);
  // 250 + 120 is past the stage's end (300): no retry; the next stage at 300.
  ASSERT_OK(core_->HandlePageEvent(Failed("f3", PageTo("alice", "phone"), "no SMS provider",
                                          true)));
  EXPECT_EQ(At(299), 0);
  EXPECT_EQ(At(300), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/phone@0", "alice/phone@130", "alice/phone@250",
                                   "alice/mail@300"));
  EXPECT_THAT(Details()[1], HasSubstr("paging phone (sms) again"));
}

TEST_F(TreeTest, SmsWithoutAProviderFailsAndTheNextStageComesAtItsTime) {
  Contact alice = Human("alice");
  alice.mutable_channels()->SwapElements(0, 1);  // phone first, then mail after 60 s
  alice.mutable_channels(1)->mutable_delay()->set_seconds(60);
  alice.mutable_channels()->RemoveLast();
  Put(alice);
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  ASSERT_OK(core_->HandlePageEvent(
      Failed("f1", PageTo("alice"), "no SMS provider configured", true)));
  EXPECT_EQ(At(59), 0);
  EXPECT_EQ(At(60), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/phone@0", "alice/mail@60"));
}

TEST_F(TreeTest, ChannelsNotActivatedAreSkippedAndTheTimelineSaysWhy) {
  Contact alice = Human("alice");
  alice.mutable_channels(1)->mutable_activation()->set_state(v1::ACTIVATION_STATE_PENDING);
  alice.mutable_channels(1)->mutable_delay()->set_seconds(60);
  alice.mutable_channels(2)->mutable_activation()->set_state(v1::ACTIVATION_STATE_DEACTIVATED);
  alice.mutable_channels(2)->mutable_delay()->set_seconds(60);
  auto* hook = alice.add_channels();
  hook->set_name("hook");
  hook->mutable_webhook()->set_url("https://hooks.example.com/alice");
  hook->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  hook->mutable_delay()->set_seconds(60);
  Put(alice);
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  At(60);
  At(120);
  At(180);
  EXPECT_THAT(Paged(), ElementsAre("alice/mail@0", "alice/hook@180"));
  const std::vector<std::string> details = Details();
  ASSERT_THAT(details, SizeIs(4));
  EXPECT_THAT(details[1], AllOf(HasSubstr("alice, stage 2 of 4: pages nobody"),
                                HasSubstr("phone (sms): not activated"),
                                HasSubstr("tocsin contacts activate alice phone CODE")));
  EXPECT_THAT(details[2], HasSubstr("call (voice): deactivated"));
}

TEST_F(TreeTest, AnEssentialTargetsAckStopsThePlanAndEveryoneElse) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Person("carol", {0}));
  Put(Plan("sre", {{1, {"!alice", "bob"}}, {1, {"carol"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0"));
  At(30);
  ASSERT_OK(core_->HandlePageEvent(AckBy("a1", PageTo("alice"), "cli:alice")));
  const v1::Engagement sre = Of("inc-1", "sre");
  EXPECT_EQ(sre.state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(sre.acked_by(), "cli:alice");
  EXPECT_EQ(sre.stop_reason(), absl::StrCat("acknowledged by alice (page ",
                                            PageTo("alice").page_id(), ")"));
  EXPECT_EQ(Of("inc-1", "alice").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Of("inc-1", "bob").state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_THAT(Of("inc-1", "bob").stop_reason(), HasSubstr("acknowledged by alice"));
  EXPECT_EQ(At(3600), 0);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0"));
}

TEST_F(TreeTest, ANonEssentialAckStopsOnlyThatTarget) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Person("carol", {0}));
  Put(Plan("sre", {{1, {"!alice", "bob"}}, {1, {"carol"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", PageTo("bob"))));
  EXPECT_EQ(Of("inc-1", "bob").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Of("inc-1", "sre").state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(Of("inc-1", "alice").state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(At(60), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0", "carol/ch0@60"));
}

TEST_F(TreeTest, StopOnFirstAckStopsOnAnyAck) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Person("carol", {0}));
  Put(Plan("sre", {{1, {"!alice", "bob"}}, {1, {"carol"}}}, /*stop_on_first_ack=*/true));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", PageTo("bob"))));
  EXPECT_EQ(Of("inc-1", "sre").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Of("inc-1", "alice").state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(At(3600), 0);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0"));
}

TEST_F(TreeTest, RepeatRunsTheWholePlanAgainThenItIsExhausted) {
  Put(Person("alice", {0}));
  Put(Plan("sre", {{1, {"alice"}}}, false, /*repeat=*/2));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  EXPECT_EQ(At(59), 0);
  At(60);
  At(120);
  EXPECT_EQ(Of("inc-1", "sre").state(), v1::ENGAGEMENT_STATE_ACTIVE);
  At(180);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "alice/ch0@60", "alice/ch0@120"));
  const v1::Engagement sre = Of("inc-1", "sre");
  EXPECT_EQ(sre.state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_EQ(sre.stop_reason(), "all 1 stages paged 3 times; nobody acknowledged");
  EXPECT_EQ(sre.repeats_done(), 2);
  EXPECT_THAT(Details(), ::testing::Contains("sre, stage 1 of 1 (repeat 2 of 2): engaging alice"));
  EXPECT_EQ(At(3600), 0);
}

TEST_F(TreeTest, NestedPlansAckGoesUpThroughEssentialTargets) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Person("dave", {0}));
  Put(Plan("inner", {{1, {"alice"}}, {5, {"!bob"}}}));
  Put(Plan("outer", {{10, {"!inner"}}, {1, {"dave"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"outer"})));
  At(60);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@60"));
  const v1::Engagement outer = Of("inc-1", "outer");
  const v1::Engagement inner = Of("inc-1", "inner");
  EXPECT_EQ(inner.parent_id(), outer.id());
  EXPECT_EQ(Of("inc-1", "bob").parent_id(), inner.id());
  EXPECT_EQ(Of("inc-1", "bob").root_id(), outer.id());
  EXPECT_EQ(Of("inc-1", "bob").parent_stage(), 1);
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", PageTo("bob"))));
  EXPECT_EQ(Of("inc-1", "inner").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Of("inc-1", "outer").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Of("inc-1", "alice").state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(At(3600), 0);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@60"));
}

TEST_F(TreeTest, AScheduleWithNobodyOnCallStillLetsTheNextStageHappen) {
  Put(Person("alice", {0}));
  Put(Person("bob", {0}));
  Put(DailyRotation("day", {"alice"}, t0_ + absl::Hours(24)));  // starts tomorrow
  Put(Schedule("primary", {"day"}));
  Put(Plan("sre", {{1, {"!primary"}}, {1, {"bob"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  EXPECT_THAT(Paged(), IsEmpty());
  const v1::Engagement primary = Of("inc-1", "primary");
  EXPECT_EQ(primary.state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_THAT(primary.stop_reason(), HasSubstr("has nobody on call"));
  EXPECT_THAT(Details(), ::testing::Contains(AllOf(
                             HasSubstr("sre, stage 1: schedule primary has nobody on call: "),
                             HasSubstr("day"))));
  EXPECT_EQ(At(60), 1);
  EXPECT_THAT(Paged(), ElementsAre("bob/ch0@60"));
}

TEST_F(TreeTest, AScheduleEngagesWhoIsOnCallThenAcrossAnOverride) {
  Put(Person("alice", {0}));
  Put(Person("bob", {0}));
  Put(Person("carol", {0}));
  Put(DailyRotation("day", {"alice", "bob"}, t0_ - absl::Hours(24)));  // bob's turn today
  v1::RotationOverride o;
  o.set_name("swap");
  o.set_rotation("day");
  o.add_contacts("carol");
  *o.mutable_start() = ToProtoTime(t0_ + absl::Hours(1));
  *o.mutable_end() = ToProtoTime(t0_ + absl::Hours(2));
  Put(o);
  Put(Schedule("primary", {"day"}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"primary"})));
  clock_.Set(t0_ + absl::Minutes(90));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e2", "inc-2", {"primary"})));
  clock_.Set(t0_ + absl::Hours(3));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e3", "inc-3", {"primary"})));
  EXPECT_THAT(Paged(), ElementsAre("bob/ch0@0", "carol/ch0@5400", "bob/ch0@10800"));
  EXPECT_THAT(Details(), ::testing::Contains("schedule primary: on call carol"));
  // A member's ack acknowledges the schedule.
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", PageTo("carol"))));
  EXPECT_EQ(Of("inc-2", "primary").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  // The others ended when their one channel was paged, and so did their
  // schedules.
  EXPECT_EQ(Of("inc-1", "primary").state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_EQ(Of("inc-1", "primary").stop_reason(),
            "every target's engagement ended; nobody acknowledged");
}

TEST_F(TreeTest, TheAckTimeoutPagesTheAcknowledgerAgainUntilResolved) {
  Contact alice = Person("alice", {0, 600});
  alice.set_ack_timeout_in_minutes(30);
  Put(alice);
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));
  At(10);
  ASSERT_OK(core_->HandlePageEvent(AckBy("a1", PageTo("alice"), "cli:alice")));
  const v1::Engagement root = OnlyEngagement("inc-1");
  EXPECT_EQ(root.state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(FromProtoTime(root.next_due()), t0_ + absl::Seconds(10) + absl::Minutes(30));
  EXPECT_EQ(At(10 + 1799), 0);
  EXPECT_EQ(At(10 + 1800), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "alice/ch0@1810"));
  EXPECT_THAT(Details().back(),
              HasSubstr("acknowledged 30 min ago and not resolved: paging alice again: alice, "
                        "stage 1 of 2"));
  std::vector<v1::Engagement> all = EngagementsOf("inc-1");
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[1].parent_id(), root.id());
  EXPECT_EQ(all[1].state(), v1::ENGAGEMENT_STATE_ACTIVE);
  // Acknowledged again: the timer starts over; a resolution ends it.
  At(1900);
  ASSERT_OK(core_->HandlePageEvent(Ack("a2", PageTo("alice"))));
  EXPECT_EQ(FromProtoTime(EngagementsOf("inc-1")[0].next_due()),
            t0_ + absl::Seconds(1900) + absl::Minutes(30));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  EXPECT_FALSE(EngagementsOf("inc-1")[0].has_next_due());
  EXPECT_EQ(At(7200), 0);
  EXPECT_THAT(Paged(), SizeIs(2));
}

TEST_F(TreeTest, TheAckTimeoutOfAPlanPagesThePersonWhoAcknowledged) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Contact sre = Plan("sre", {{5, {"alice", "!bob"}}});
  sre.set_ack_timeout_in_minutes(10);
  Put(sre);
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", PageTo("bob"))));
  EXPECT_EQ(At(600), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0", "bob/ch0@600"));
}

TEST_F(TreeTest, AnAckAndTheNextStageRaceInBothOrdersAndNothingIsPagedTwice) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Plan("sre", {{1, {"!alice"}}, {1, {"bob"}}}));
  // The ack first, at the very second the next stage is due.
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  clock_.Set(t0_ + absl::Seconds(60));
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", PageTo("alice"))));
  EXPECT_EQ(Fire(), 0);
  // The timer first.
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e2", "inc-2", {"sre"})));
  At(120);
  v1::PageRequested alice2;
  for (const auto& p : Pages()) {
    if (p.incident_id() == "inc-2" && p.contact() == "alice") alice2 = p;
  }
  ASSERT_OK(core_->HandlePageEvent(Ack("a2", alice2)));
  EXPECT_EQ(Of("inc-2", "bob").state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(At(7200), 0);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "alice/ch0@60", "bob/ch0@120"));
  EXPECT_EQ(Of("inc-1", "sre").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Of("inc-2", "sre").state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
}

TEST_F(TreeTest, ResolveStopsTheWholeTree) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Plan("inner", {{1, {"alice"}}}));
  Put(Plan("outer", {{1, {"inner", "bob"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"outer"})));
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  for (const auto& e : EngagementsOf("inc-1")) {
    EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_STOPPED) << e.contact();
    EXPECT_EQ(e.stop_reason(), "incident resolved");
  }
  EXPECT_THAT(EngagementsOf("inc-1"), SizeIs(4));
  EXPECT_EQ(At(7200), 0);
}

TEST_F(TreeTest, AnEngagementByHandWithoutAnIncidentPagesItsSubjectAndIsAcknowledged) {
  Put(Person("alice", {0, 60}));
  v1::StartEngagementRequest start;
  start.set_contact("alice");
  start.set_sender("bob");
  start.set_subject("Disk full on db-3");
  start.set_content("Please look at /var");
  ASSERT_OK_AND_ASSIGN(v1::Engagement e, core_->StartEngagement(start));
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_ACTIVE);
  ASSERT_THAT(Pages(), SizeIs(1));
  EXPECT_EQ(Pages()[0].incident_id(), "");
  EXPECT_EQ(Pages()[0].incident_title(), "Disk full on db-3");
  EXPECT_EQ(Pages()[0].summary(), "Please look at /var");
  EXPECT_EQ(Pages()[0].engagement_id(), e.id());
  EXPECT_THAT(Details()[0], HasSubstr("engaged by hand by bob: alice, stage 1 of 2"));
  ASSERT_OK(core_->HandlePageEvent(Ack("a1", Pages()[0])));
  ASSERT_OK_AND_ASSIGN(v1::Engagement acked, core_->GetEngagement(e.id()));
  EXPECT_EQ(acked.state(), v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(At(600), 0);
}

TEST_F(TreeTest, AnEngagementByHandForAnIncidentIsOnItsTimeline) {
  Put(Person("alice", {0, 60}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {})));
  v1::StartEngagementRequest start;
  start.set_contact("alice");
  start.set_incident_id("inc-1");
  ASSERT_OK_AND_ASSIGN(v1::Engagement e, core_->StartEngagement(start));
  EXPECT_EQ(e.incident_id(), "inc-1");
  ASSERT_THAT(Pages(), SizeIs(1));
  EXPECT_EQ(Pages()[0].incident_title(), "Payments latency");
  for (const Envelope& ev : Outbox()) EXPECT_EQ(ev.incident_id(), "inc-1");
  ASSERT_OK(core_->HandleIncidentEvent(Resolved("r1", "inc-1")));
  EXPECT_THAT(core_->StartEngagement(start),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("resolved")));
}

TEST_F(TreeTest, StoppingASubtreeLeavesTheRestOfThePlanRunning) {
  Put(Person("alice", {0, 600}));
  Put(Person("bob", {0, 600}));
  Put(Person("carol", {0}));
  Put(DailyRotation("day", {"alice", "bob"}, t0_ - absl::Hours(1), /*on_call=*/2));
  Put(Schedule("primary", {"day"}));
  Put(Plan("sre", {{10, {"primary"}}, {1, {"carol"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0"));
  ASSERT_OK_AND_ASSIGN(v1::Engagement stopped,
                       core_->StopEngagement(Of("inc-1", "primary").id(), "handled in chat"));
  EXPECT_EQ(stopped.state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(Of("inc-1", "alice").state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(Of("inc-1", "bob").stop_reason(), "stopped by hand: handled in chat");
  EXPECT_EQ(Of("inc-1", "sre").state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(At(600), 1);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@0", "carol/ch0@600"));
  EXPECT_THAT(core_->StopEngagement("eng-none", ""), StatusIs(absl::StatusCode::kNotFound,
                                                              HasSubstr("eng-none")));
}

TEST_F(TreeTest, ThePreviewIsWhatTheEnginePages) {
  Put(WithPlan(Human("alice"), {{2, {"mail"}}, {3, {"phone", "call"}}}));
  Put(Person("bob", {0, 90}));
  Contact carol = Human("carol");
  carol.mutable_channels(1)->mutable_activation()->set_state(v1::ACTIVATION_STATE_PENDING);
  Put(carol);
  Put(DailyRotation("day", {"bob", "carol"}, t0_ - absl::Hours(24)));  // carol today
  v1::RotationOverride o;
  o.set_name("cover");
  o.set_rotation("day");
  o.add_contacts("bob");
  *o.mutable_start() = ToProtoTime(t0_ + absl::Minutes(4));
  *o.mutable_end() = ToProtoTime(t0_ + absl::Minutes(20));
  Put(o);
  Put(Schedule("primary", {"day"}));
  Put(Schedule("empty", {"missing-rotation"}));
  Put(Plan("sre", {{4, {"!primary", "empty"}}, {3, {"alice", "ghost"}}}, false, /*repeat=*/1));

  v1::PreviewEngagementRequest request;
  request.add_contacts("sre");
  *request.mutable_at() = ToProtoTime(t0_);
  ASSERT_OK_AND_ASSIGN(v1::PreviewEngagementResponse preview, core_->PreviewEngagement(request));
  EXPECT_THAT(EngagementsOf(""), IsEmpty());
  EXPECT_THAT(Outbox(), IsEmpty());

  // The engine, on the fake clock, from the same instant.
  v1::StartEngagementRequest start;
  start.set_contact("sre");
  start.set_subject("drill");
  ASSERT_OK(core_->StartEngagement(start));
  for (int i = 0; i < 100; ++i) {
    std::optional<absl::Time> next;
    ASSERT_OK(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(auto due, tx.DueEngagements(absl::InfiniteFuture(), 1));
      if (due.empty()) return absl::OkStatus();
      ASSIGN_OR_RETURN(auto e, tx.GetEngagement(due[0]));
      next = FromProtoTime(e->next_due());
      return absl::OkStatus();
    }));
    if (!next.has_value()) break;
    clock_.Set(std::max(*next, clock_.Now()));
    Fire();
  }
  std::vector<std::string> planned;
  for (const v1::PlannedPage& p : preview.pages()) {
    if (p.channel().empty()) continue;
    planned.push_back(absl::StrCat(p.contact(), "/", p.channel(), "@",
                                   absl::ToInt64Seconds(FromProtoTime(p.time()) - t0_)));
  }
  EXPECT_THAT(planned, ::testing::ElementsAreArray(Paged()));
  // carol (on call until the override at 4 min) pages mail, skips her
  // pending phone, then calls; in the repeat, primary is still engaged (carol)
  // and is not engaged twice.
  EXPECT_THAT(planned, ElementsAre("carol/mail@0", "alice/mail@240", "alice/phone@360",
                                   "alice/call@360", "carol/call@600", "alice/mail@660",
                                   "alice/phone@780", "alice/call@780"));
  // What pages nobody is listed too, saying why.
  std::vector<std::string> nobody;
  for (const v1::PlannedPage& p : preview.pages()) {
    if (p.channel().empty()) nobody.push_back(absl::StrCat(p.contact(), ": ", p.detail()));
  }
  EXPECT_THAT(nobody, ::testing::Contains(AllOf(HasSubstr("empty: "),
                                                HasSubstr("rotation missing-rotation does not "
                                                          "exist"))));
  EXPECT_THAT(nobody, ::testing::Contains(HasSubstr("contact \"ghost\" does not exist")));
  EXPECT_THAT(nobody, ::testing::Contains(
                          "carol: carol, stage 2 of 3: pages nobody; not paging phone (sms): not "
                          "activated (a code was sent; confirm it with `tocsin contacts activate "
                          "carol phone CODE`)"));
  // Paths lead from the engaged contact to the person.
  for (const v1::PlannedPage& p : preview.pages()) {
    if (p.contact() == "carol" && !p.channel().empty()) {
      EXPECT_THAT(std::vector<std::string>(p.path().begin(), p.path().end()),
                  ElementsAre("sre", "primary", "carol"));
    }
  }
}

TEST_F(TreeTest, ANewCoreOverTheSameDatabaseFiresEachDueStageOnce) {
  Put(Person("alice", {0, 120}));
  Put(Person("bob", {0}));
  Put(Plan("sre", {{1, {"alice"}}, {1, {"bob"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"sre"})));
  clock_.Set(t0_ + absl::Seconds(60));
  Reopen();
  EXPECT_EQ(Fire(), 1);
  Reopen();
  EXPECT_EQ(Fire(), 0);
  clock_.Set(t0_ + absl::Seconds(120));
  Reopen();
  EXPECT_EQ(Fire(), 2);  // alice's second channel, and sre's end of its last stage
  Reopen();
  EXPECT_EQ(Fire(), 0);
  EXPECT_THAT(Paged(), ElementsAre("alice/ch0@0", "bob/ch0@60", "alice/ch1@120"));
  EXPECT_EQ(Of("inc-1", "sre").state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
}

TEST_F(TreeTest, TheAuditorEndsAnEngagementThatNothingWouldMove) {
  expect_stalled_ = true;
  Put(Person("alice", {0, 60}));
  v1::Engagement stuck;
  stuck.set_id("eng-stuck");
  stuck.set_incident_id("inc-9");
  stuck.set_contact("alice");
  stuck.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  stuck.set_version(1);
  *stuck.mutable_contact_snapshot() = Person("alice", {0, 60});
  ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertEngagement(stuck); }));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"alice"})));  // healthy
  ASSERT_OK_AND_ASSIGN(int found, core_->AuditEngagements());
  EXPECT_EQ(found, 1);
  EXPECT_EQ(core_->StalledEngagements(), 1);
  const v1::Engagement ended = OnlyEngagement("inc-9");
  EXPECT_EQ(ended.state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
  EXPECT_THAT(ended.stop_reason(), HasSubstr("ended by the auditor"));
  EXPECT_EQ(OnlyEngagement("inc-1").state(), v1::ENGAGEMENT_STATE_ACTIVE);
  ASSERT_OK_AND_ASSIGN(found, core_->AuditEngagements());
  EXPECT_EQ(found, 0);
  EXPECT_EQ(core_->StalledEngagements(), 0);
}

TEST_F(TreeTest, ACycleIsCutAtTheDepthLimit) {
  Put(Person("alice", {0}));
  Put(Plan("a", {{1, {"b"}}}));
  Put(Plan("b", {{1, {"a", "alice"}}}));
  ASSERT_OK(core_->HandleIncidentEvent(Opened("e1", "inc-1", {"a"})));
  int refused = 0;
  for (const auto& e : EngagementsOf("inc-1")) {
    refused += absl::StrContains(e.stop_reason(), "more than 10 levels");
  }
  // At depth 10: b's targets a and alice.
  EXPECT_EQ(refused, 2);
  EXPECT_THAT(EngagementsOf("inc-1"), SizeIs(16));  // 11 plans and 5 alices
}

}  // namespace
}  // namespace tocsin::escalation
