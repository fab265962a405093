#include "services/paging/core.h"

#include <cstdlib>
#include <deque>
#include <memory>

#include "gmock/gmock.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"

namespace tocsin::paging {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

// Records every delivery and answers scripted results (OK once the script
// is used up). `during` runs inside Deliver, as something racing it would.
class FakeNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page& page, const std::string& ack_url) override {
    calls.push_back({page, ack_url});
    if (during) during();
    if (results.empty()) return absl::OkStatus();
    absl::Status s = results.front();
    if (results.size() > 1 || !repeat_last) results.pop_front();
    return s;
  }

  struct Call {
    Page page;
    std::string ack_url;
  };
  std::vector<Call> calls;
  std::deque<absl::Status> results;
  // Keeps answering the last scripted result.
  bool repeat_last = false;
  std::function<void()> during;
};

// Passes writes through to a real store until told to fail them, as a crash
// between two transactions would leave things.
class CrashingStore final : public PagingStore {
 public:
  explicit CrashingStore(PagingStore* inner) : inner_(inner) {}
  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override {
    if (writes_left_ == 0) return absl::UnavailableError("the process died");
    if (writes_left_ > 0) --writes_left_;
    return inner_->Write(body);
  }
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override {
    return inner_->Read(body);
  }
  absl::Status Ping() override { return inner_->Ping(); }
  // Writes after the next n fail.
  void CrashAfterWrites(int n) { writes_left_ = n; }

 private:
  PagingStore* inner_;
  int writes_left_ = -1;
};

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    random_.Script({12345678});
    Reopen();
  }

  // Opens the database file again with a new core: a restart.
  void Reopen() {
    core_.reset();
    crashing_.reset();
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    crashing_ = std::make_unique<CrashingStore>(store_.get());
    PagingOptions options;
    options.public_url = "https://tocsin.example/";
    options.on_commit = [this] { ++commits_; };
    core_ = std::make_unique<PagingCore>(crashing_.get(), &clock_, &ids_, &random_, &notifier_,
                                         options);
  }

  Page Stored(const std::string& id) {
    std::optional<Page> page;
    EXPECT_OK(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(page, tx.GetPage(id));
      return absl::OkStatus();
    }));
    EXPECT_TRUE(page.has_value()) << id;
    return page.value_or(Page());
  }

  int Deliveries() {
    auto n = core_->RunDueDeliveries();
    EXPECT_OK(n);
    return n.value_or(-1);
  }

  std::vector<v1::PageFailed> FailedEvents() {
    std::vector<v1::PageFailed> out;
    for (const Envelope& e : OutboxEvents(*store_)) {
      v1::PageFailed f;
      if (e.type() == "page.failed" && e.payload().UnpackTo(&f)) out.push_back(f);
    }
    return out;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  FakeNotifier notifier_;
  int commits_ = 0;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<CrashingStore> crashing_;
  std::unique_ptr<PagingCore> core_;
};

TEST_F(CoreTest, RequestedPageIsDeliveredOnceWithItsAckLink) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("alice@example.com"))));
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_EQ(Deliveries(), 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  ASSERT_EQ(notifier_.calls.size(), 1u);
  const Page& sent = notifier_.calls[0].page;
  EXPECT_EQ(sent.accept_code(), "12345678");
  EXPECT_EQ(notifier_.calls[0].ack_url,
            "https://tocsin.example/v1/pages/ack?page=pg-1&code=12345678");
  EXPECT_EQ(sent.incident_title(), "Database down");
  EXPECT_EQ(sent.channel().email().address(), "alice@example.com");

  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_FALSE(page.has_next_attempt());
  ASSERT_EQ(page.attempts_size(), 1);
  EXPECT_TRUE(page.attempts(0).ok());
  EXPECT_FALSE(page.attempts(0).in_progress());
  EXPECT_EQ(page.request_event_id(), "evt-r1");

  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.sent", "page.delivered"));
  for (const Envelope& e : OutboxEvents(*store_)) {
    EXPECT_EQ(e.source(), "paging");
    EXPECT_EQ(e.incident_id(), "inc-1");
    EXPECT_EQ(e.causation_id(), "evt-r1");
  }
  v1::PageSent page_sent;
  ASSERT_TRUE(OutboxEvents(*store_)[0].payload().UnpackTo(&page_sent));
  EXPECT_EQ(page_sent.attempt(), 1);
  EXPECT_EQ(page_sent.page().accept_code(), "");
  v1::PageDelivered delivered;
  ASSERT_TRUE(OutboxEvents(*store_)[1].payload().UnpackTo(&delivered));
  EXPECT_EQ(delivered.page().id(), "pg-1");
  EXPECT_EQ(delivered.page().engagement_id(), "eng-1");
  EXPECT_EQ(delivered.page().accept_code(), "") << "accept codes never travel on the bus";
  EXPECT_GE(commits_, 2);
}

TEST_F(CoreTest, RedeliveredOrRepeatedPageRequestNeverSendsTwice) {
  const Envelope first = PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"));
  ASSERT_OK(core_->HandlePageRequested(first));
  ASSERT_OK(core_->HandlePageRequested(first));
  // Another event for the same page id (escalation retried its outbox with a
  // new event id, say) changes nothing either.
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r2", "pg-1", EmailChannel("other@example.com"))));
  EXPECT_EQ(Deliveries(), 1);
  ASSERT_OK(core_->HandlePageRequested(first));
  EXPECT_EQ(Deliveries(), 0);
  ASSERT_EQ(notifier_.calls.size(), 1u);
  EXPECT_EQ(notifier_.calls[0].page.channel().email().address(), "a@example.com");
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  EXPECT_EQ(pages.size(), 1u);
}

TEST_F(CoreTest, FailedDeliveriesRetryWithDoublingBackoffUntilFailed) {
  // FixedRandom answers the largest value: every delay is the full backoff.
  notifier_.results = {absl::UnavailableError("connection refused")};
  notifier_.repeat_last = true;
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", WebhookChannel("http://hook.example/x"))));
  const absl::Time start = clock_.Now();
  EXPECT_EQ(Deliveries(), 1);
  for (int wait : {10, 20, 40, 80, 160}) {
    EXPECT_EQ(FromProtoTime(Stored("pg-1").next_attempt()) - clock_.Now(), absl::Seconds(wait));
    clock_.Advance(absl::Seconds(wait) - absl::Milliseconds(1));
    EXPECT_EQ(Deliveries(), 0) << "a retry " << wait << " s after the last attempt came early";
    clock_.Advance(absl::Milliseconds(1));
    EXPECT_EQ(Deliveries(), 1) << "the retry due " << wait << " s after the last attempt";
  }
  EXPECT_EQ(clock_.Now() - start, absl::Seconds(310));
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  EXPECT_EQ(notifier_.calls.size(), 6u);
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_FAILED);
  EXPECT_FALSE(page.has_next_attempt());
  ASSERT_EQ(page.attempts_size(), 6);
  EXPECT_EQ(page.attempts(5).number(), 6);
  EXPECT_FALSE(page.attempts(5).ok());
  EXPECT_THAT(page.attempts(5).detail(), HasSubstr("connection refused"));
  std::vector<bool> finals;
  for (const auto& f : FailedEvents()) finals.push_back(f.final());
  EXPECT_THAT(finals, ElementsAre(false, false, false, false, false, true));
}

TEST_F(CoreTest, JitterPicksADelayWithinTheBackoffAndTheCapHolds) {
  PagingOptions options;
  options.retry_base = absl::Seconds(10);
  options.retry_cap = absl::Seconds(30);
  options.max_attempts = 10;
  core_ = std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_, &notifier_,
                                       options);
  notifier_.results = {absl::UnavailableError("503")};
  notifier_.repeat_last = true;
  // After the accept code: jitter 2.5 s of the first 10 s, then the full
  // 20 s, 30 s (capped from 40 s) and 30 s (capped from 80 s).
  random_.Script({2500});
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", WebhookChannel("http://hook.example/x"))));
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Deliveries(), 1);
    absl::Duration delay = FromProtoTime(Stored("pg-1").next_attempt()) - clock_.Now();
    delays.push_back(delay);
    clock_.Advance(delay);
  }
  EXPECT_THAT(delays, ElementsAre(absl::Milliseconds(2500), absl::Seconds(20), absl::Seconds(30),
                                  absl::Seconds(30)));
}

TEST_F(CoreTest, PermanentFailureFailsAtOnce) {
  notifier_.results = {absl::FailedPreconditionError("webhook answered 404")};
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", WebhookChannel("http://hook.example/x"))));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_FAILED);
  ASSERT_EQ(FailedEvents().size(), 1u);
  EXPECT_TRUE(FailedEvents()[0].final());
  EXPECT_EQ(FailedEvents()[0].error(), "webhook answered 404");
}

TEST_F(CoreTest, AcknowledgedPageIsNeverDeliveredAgain) {
  notifier_.results = {absl::UnavailableError("timed out")};
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  EXPECT_EQ(Deliveries(), 1);
  ASSERT_OK_AND_ASSIGN(Page acked, core_->AcceptPage("pg-1", "12345678", "cli:alice"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "cli:alice");
  EXPECT_EQ(FromProtoTime(acked.ack_time()), clock_.Now());
  EXPECT_EQ(acked.accept_code(), "");
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_EQ(notifier_.calls.size(), 1u);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(CoreTest, ResolvedIncidentCancelsPagesStillWaitingForARetry) {
  notifier_.results = {absl::UnavailableError("timed out")};
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  EXPECT_EQ(Deliveries(), 1);  // failed; a retry is scheduled
  Envelope resolved;
  resolved.set_event_id("evt-resolved");
  resolved.set_type("incident.resolved");
  resolved.set_incident_id("inc-1");
  ASSERT_OK(core_->HandleIncidentResolved(resolved));
  ASSERT_OK(core_->HandleIncidentResolved(resolved));  // redelivered: no change
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_EQ(notifier_.calls.size(), 1u);
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_CANCELLED);
  EXPECT_FALSE(page.has_next_attempt());
  std::vector<std::string> errors;
  for (const auto& f : FailedEvents()) errors.push_back(f.error());
  EXPECT_THAT(errors, ElementsAre("timed out", "cancelled: the incident was resolved"));
  resolved.set_type("incident.opened");
  EXPECT_THAT(core_->HandleIncidentResolved(resolved),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("incident.resolved")));
}

TEST_F(CoreTest, AckDuringDeliveryKeepsThePageAcknowledged) {
  notifier_.during = [&] { ASSERT_OK(core_->AcceptPage("pg-1", "12345678", "link")); };
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  ASSERT_EQ(page.attempts_size(), 1);
  EXPECT_TRUE(page.attempts(0).ok());
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.sent", "page.acknowledged"));
}

TEST_F(CoreTest, GuessingAcceptCodesIsLockedOutAfterFiveWrongOnes) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(core_->AcceptPage("pg-1", absl::StrCat("0000000", i), "x"),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  }
  // Even the right code waits out the minute now; nothing changed meanwhile.
  EXPECT_THAT(core_->AcceptPage("pg-1", "12345678", "cli:alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("too many wrong")));
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_PENDING);
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(Page acked, core_->AcceptPage("pg-1", "12345678", "cli:alice"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(CoreTest, AcceptIsIdempotent) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  ASSERT_OK_AND_ASSIGN(Page first, core_->AcceptPage("pg-1", "12345678", "cli:alice"));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(Page second, core_->AcceptPage("pg-1", "12345678", "cli:bob"));
  EXPECT_EQ(second.acked_by(), "cli:alice");
  EXPECT_EQ(second.ack_time().seconds(), first.ack_time().seconds());
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.acknowledged"));
  v1::PageAcknowledged payload;
  ASSERT_TRUE(OutboxEvents(*store_)[0].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.page().engagement_id(), "eng-1");
  EXPECT_EQ(payload.page().accept_code(), "");
  EXPECT_EQ(Deliveries(), 0) << "an acknowledged page is not delivered";
}

TEST_F(CoreTest, BadAcceptsAreRefusedAndChangeNothing) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  const int commits = commits_;
  EXPECT_THAT(core_->AcceptPage("pg-x", "12345678", "cli:alice"),
              StatusIs(absl::StatusCode::kNotFound, "page \"pg-x\" does not exist"));
  EXPECT_THAT(core_->AcceptPage("pg-1", "12345679", "cli:alice"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "wrong accept code for page \"pg-1\""));
  EXPECT_THAT(core_->AcceptPage("pg-1", "1234567", "cli:alice"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  EXPECT_THAT(core_->AcceptPage("pg-1", "", "cli:alice"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("accept_code is required")));
  EXPECT_THAT(core_->AcceptPage("", "12345678", "cli:alice"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_id is required")));
  EXPECT_THAT(core_->CheckAcceptCode("pg-1", "00000000"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_PENDING);
  EXPECT_FALSE(page.has_ack_time());
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre());
  EXPECT_EQ(commits_, commits);
  // Still deliverable, and still acknowledgeable with the right code.
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_OK(core_->AcceptPage("pg-1", "12345678", ""));
  EXPECT_EQ(Stored("pg-1").acked_by(), "api");
}

TEST_F(CoreTest, RestartAfterAClaimedButUnrecordedAttemptRetriesOnlyAfterTheLease) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  // The claim commits, the channel takes the page, and the process dies
  // before the result is recorded.
  crashing_->CrashAfterWrites(1);
  EXPECT_THAT(core_->RunDueDeliveries(), StatusIs(absl::StatusCode::kUnavailable, _));
  ASSERT_EQ(notifier_.calls.size(), 1u);
  EXPECT_TRUE(Stored("pg-1").attempts(0).in_progress());

  Reopen();
  EXPECT_EQ(Deliveries(), 0);
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(Deliveries(), 0) << "retried inside the 60 s lease";
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  ASSERT_EQ(notifier_.calls.size(), 2u);
  EXPECT_EQ(notifier_.calls[1].page.id(), notifier_.calls[0].page.id());
  EXPECT_EQ(notifier_.calls[1].page.accept_code(), notifier_.calls[0].page.accept_code());
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_EQ(page.attempts_size(), 2);
  EXPECT_FALSE(page.attempts(0).in_progress());
  EXPECT_FALSE(page.attempts(0).ok());
  EXPECT_THAT(page.attempts(0).detail(), HasSubstr("no result recorded"));
  EXPECT_TRUE(page.attempts(1).ok());
}

TEST_F(CoreTest, CrashBeforeTheClaimCommitsDeliversAtOnceAfterRestart) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  crashing_->CrashAfterWrites(0);
  EXPECT_THAT(core_->RunDueDeliveries(), StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_EQ(notifier_.calls.size(), 0u);
  Reopen();
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreTest, ReadsNeverShowTheAcceptCode) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"))));
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r2", "pg-2", WebhookChannel("http://hook.example/x"))));
  ASSERT_OK_AND_ASSIGN(Page got, core_->GetPage("pg-1"));
  EXPECT_EQ(got.accept_code(), "");
  EXPECT_EQ(got.state(), v1::PAGE_STATE_PENDING);
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].id(), "pg-1");
  EXPECT_EQ(pages[1].id(), "pg-2");
  for (const Page& p : pages) EXPECT_EQ(p.accept_code(), "");
  ASSERT_OK_AND_ASSIGN(pages, core_->ListPages("inc-other"));
  EXPECT_TRUE(pages.empty());
  EXPECT_THAT(core_->GetPage("pg-x"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("pg-x")));
  EXPECT_THAT(core_->ListPages(""), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

TEST_F(CoreTest, MalformedPageRequestsAreRefused) {
  Envelope wrong_payload = PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"));
  wrong_payload.mutable_payload()->PackFrom(v1::PageSent());
  EXPECT_THAT(core_->HandlePageRequested(wrong_payload),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evt-r1")));
  EXPECT_THAT(core_->HandlePageRequested(
                  PageRequestedEvent("evt-r2", "pg 1\r\nX: y", EmailChannel("a@example.com"))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_id")));
  EXPECT_THAT(
      core_->HandlePageRequested(PageRequestedEvent("evt-r3", "", EmailChannel("a@example.com"))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_id")));
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  EXPECT_TRUE(pages.empty());
}

}  // namespace
}  // namespace tocsin::paging
