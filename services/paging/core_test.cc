#include "services/paging/core.h"

#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "libs/text/text.h"
#include "prometheus/registry.h"
#include "services/paging/dispatching_notifier.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"

namespace tocsin::paging {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::tocsin::testing::StatusIs;
using ::tocsin::testing::IsOkAndHolds;

constexpr char kBase[] = "https://tocsin.example/v1/pages/ack?page=";

// The names of the events the core emits, as OutboxTypes() lists them.
const std::string kSent = events::kPageSent.name;
const std::string kDelivered = events::kPageDelivered.name;
const std::string kFailed = events::kPageFailed.name;
const std::string kAcknowledged = events::kPageAcknowledged.name;

// The token FixedRandom makes for the k-th link (32 bytes of value k).
std::string TokenNumber(int k) {
  return absl::WebSafeBase64Escape(std::string(32, static_cast<char>(k)));
}

// The token in an ack link.
std::string TokenOf(const std::string& ack_url) {
  const size_t at = ack_url.find("&token=");
  return at == std::string::npos ? "" : ack_url.substr(at + 7);
}

// Records every delivery and answers scripted results (OK once the script
// is used up). `during` runs inside Deliver, as something racing it would.
// Deliveries of a blocked page wait until Release(). Thread-safe.
class FakeNotifier final : public Notifier {
 public:
  struct Call {
    Page page;
    std::string ack_url;
  };

  absl::Status Deliver(const Page& page, const std::string& ack_url) override {
    std::function<void()> during;
    {
      absl::MutexLock l(&mu_);
      calls_.push_back({page, ack_url});
      during = during_;
      if (blocked_.count(page.id()) > 0) {
        waiting_.insert(page.id());
        std::pair<std::set<std::string>*, std::string> released(&blocked_, page.id());
        mu_.Await(absl::Condition(
            +[](std::pair<std::set<std::string>*, std::string>* a) {
              return a->first->count(a->second) == 0;
            },
            &released));
        waiting_.erase(page.id());
      }
    }
    if (during) during();
    absl::MutexLock l(&mu_);
    auto it = results_.find(page.id());
    std::deque<absl::Status>* script = it != results_.end() ? &it->second : &results_[""];
    if (script->empty()) return absl::OkStatus();
    absl::Status s = script->front();
    if (script->size() > 1 || !repeat_last_) script->pop_front();
    return s;
  }

  // Results for every page (page_id "") or for one.
  void Answer(std::deque<absl::Status> results, bool repeat_last = false,
              const std::string& page_id = "") {
    absl::MutexLock l(&mu_);
    results_[page_id] = std::move(results);
    repeat_last_ = repeat_last;
  }
  void During(std::function<void()> f) {
    absl::MutexLock l(&mu_);
    during_ = std::move(f);
  }
  void Block(const std::string& page_id) {
    absl::MutexLock l(&mu_);
    blocked_.insert(page_id);
  }
  // Waits until a delivery of page_id is held in Deliver.
  void WaitUntilHeld(const std::string& page_id) {
    absl::MutexLock l(&mu_);
    std::pair<std::set<std::string>*, std::string> held(&waiting_, page_id);
    mu_.Await(absl::Condition(
        +[](std::pair<std::set<std::string>*, std::string>* a) {
          return a->first->count(a->second) > 0;
        },
        &held));
  }
  void Release(const std::string& page_id) {
    absl::MutexLock l(&mu_);
    blocked_.erase(page_id);
  }
  std::vector<Call> calls() {
    absl::MutexLock l(&mu_);
    return calls_;
  }
  // The ack link of the first delivery of page_id.
  std::string AckUrlOf(const std::string& page_id) {
    for (const Call& c : calls()) {
      if (c.page.id() == page_id) return c.ack_url;
    }
    return "";
  }
  std::vector<std::string> delivered_ids() {
    std::vector<std::string> ids;
    for (const Call& c : calls()) ids.push_back(c.page.id());
    return ids;
  }

 private:
  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<absl::Status>> results_ ABSL_GUARDED_BY(mu_);
  bool repeat_last_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> during_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> blocked_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> waiting_ ABSL_GUARDED_BY(mu_);
};

// Passes writes through to a real store until told to fail them, as a crash
// between two transactions would leave things; counts writes that failed as
// transient (a busy database).
class CrashingStore final : public PagingStore {
 public:
  explicit CrashingStore(PagingStore* inner) : inner_(inner) {}
  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override {
    {
      absl::MutexLock l(&mu_);
      if (writes_left_ == 0) return absl::UnavailableError("the process died");
      if (writes_left_ > 0) --writes_left_;
    }
    absl::Status s = inner_->Write(body);
    if (s.code() == absl::StatusCode::kUnavailable) {
      absl::MutexLock l(&mu_);
      ++busy_writes_;
    }
    return s;
  }
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override {
    return inner_->Read(body);
  }
  absl::Status Ping() override { return inner_->Ping(); }
  // Writes after the next n fail.
  void CrashAfterWrites(int n) {
    absl::MutexLock l(&mu_);
    writes_left_ = n;
  }
  void WaitForBusyWrites(int n) {
    absl::MutexLock l(&mu_);
    std::pair<int*, int> enough(&busy_writes_, n);
    mu_.Await(absl::Condition(
        +[](std::pair<int*, int>* a) { return *a->first >= a->second; }, &enough));
  }

 private:
  PagingStore* inner_;
  absl::Mutex mu_;
  int writes_left_ ABSL_GUARDED_BY(mu_) = -1;
  int busy_writes_ ABSL_GUARDED_BY(mu_) = 0;
};

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    random_.Script({12345678});
    Reopen();
  }

  PagingOptions Options() {
    PagingOptions options;
    options.public_url = "https://tocsin.example/";
    return options;
  }

  // Opens the database file again with a new core: a restart.
  void Reopen() { Reopen(Options()); }
  void Reopen(PagingOptions options) {
    core_.reset();
    crashing_.reset();
    store_.reset();
    registry_ = std::make_unique<prometheus::Registry>();
    options.registry = registry_.get();
    // A short busy timeout, so a locked database answers quickly.
    ASSERT_OK_AND_ASSIGN(store_,
                         SqlitePagingStore::Open(path_, &clock_, absl::Milliseconds(50)));
    crashing_ = std::make_unique<CrashingStore>(store_.get());
    core_ = std::make_unique<PagingCore>(crashing_.get(), &clock_, &ids_, &random_,
                                         use_notifier_, std::move(options));
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

  void Request(const std::string& page_id,
               const escalation::v1::ContactChannel& channel = EmailChannel("a@example.com")) {
    ASSERT_OK(core_->HandlePageRequested(
        PageRequestedEvent("evt-" + page_id, page_id, channel)));
  }

  absl::StatusOr<Page> AckWithCode(const std::string& page_id, const std::string& code,
                                   const std::string& source = "198.51.100.7",
                                   const std::string& author = "cli:alice") {
    return core_->AcceptPage(
        {.page_id = page_id, .accept_code = code, .author = author, .source = source});
  }
  absl::StatusOr<Page> AckWithToken(const std::string& page_id, const std::string& token) {
    return core_->AcceptPage(
        {.page_id = page_id, .token = token, .author = "link", .source = "198.51.100.7"});
  }

  void Resolve(const std::string& incident_id = "inc-1") {
    Envelope resolved;
    resolved.set_event_id("evt-resolved-" + incident_id);
    resolved.set_type(events::kIncidentResolved.name);
    resolved.set_incident_id(incident_id);
    ASSERT_OK(core_->HandleIncidentResolved(resolved));
  }

  std::vector<v1::PageFailed> FailedEvents() {
    std::vector<v1::PageFailed> out;
    for (const Envelope& e : OutboxEvents(*store_)) {
      absl::StatusOr<v1::PageFailed> f = events::Payload(e, events::kPageFailed);
      if (f.ok()) out.push_back(*std::move(f));
    }
    return out;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  FakeNotifier notifier_;
  Notifier* use_notifier_ = &notifier_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<CrashingStore> crashing_;
  std::unique_ptr<PagingCore> core_;
};

TEST_F(CoreTest, RequestedPageIsDeliveredOnceWithATokenLink) {
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", EmailChannel("alice@example.com"))));
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_EQ(Deliveries(), 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  ASSERT_EQ(notifier_.calls().size(), 1u);
  const Page sent = notifier_.calls()[0].page;
  EXPECT_EQ(sent.accept_code(), "12345678");
  const std::string ack_url = notifier_.calls()[0].ack_url;
  EXPECT_EQ(ack_url, absl::StrCat(kBase, "pg-1&token=", TokenNumber(1)));
  EXPECT_GE(TokenOf(ack_url).size(), 43u) << "at least 256 bits, base64url";
  EXPECT_EQ(sent.incident_title(), "Database down");
  EXPECT_EQ(sent.channel().email().address(), "alice@example.com");

  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_FALSE(page.has_next_attempt());
  ASSERT_EQ(page.attempts_size(), 1);
  EXPECT_TRUE(page.attempts(0).ok());
  EXPECT_FALSE(page.attempts(0).in_progress());
  EXPECT_EQ(page.request_event_id(), "evt-r1");
  // Only a hash of the token is kept.
  ASSERT_EQ(page.ack_token_sha256_size(), 1);
  EXPECT_EQ(page.ack_token_sha256(0).size(), 32u);
  EXPECT_THAT(page.SerializeAsString(), Not(HasSubstr(TokenOf(ack_url))));

  EXPECT_THAT(OutboxTypes(*store_), ElementsAre(kSent, kDelivered));
  for (const Envelope& e : OutboxEvents(*store_)) {
    EXPECT_EQ(e.source(), "paging");
    EXPECT_EQ(e.incident_id(), "inc-1");
    EXPECT_EQ(e.causation_id(), "evt-r1");
  }
  ASSERT_OK_AND_ASSIGN(v1::PageSent page_sent,
                       events::Payload(OutboxEvents(*store_)[0], events::kPageSent));
  EXPECT_EQ(page_sent.attempt(), 1);
  EXPECT_EQ(page_sent.page().accept_code(), "");
  EXPECT_EQ(page_sent.page().ack_token_sha256_size(), 0);
  ASSERT_OK_AND_ASSIGN(v1::PageDelivered delivered,
                       events::Payload(OutboxEvents(*store_)[1], events::kPageDelivered));
  EXPECT_EQ(delivered.page().id(), "pg-1");
  EXPECT_EQ(delivered.page().engagement_id(), "eng-1");
  EXPECT_EQ(delivered.page().accept_code(), "") << "accept codes never travel on the bus";
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
  ASSERT_EQ(notifier_.calls().size(), 1u);
  EXPECT_EQ(notifier_.calls()[0].page.channel().email().address(), "a@example.com");
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  EXPECT_EQ(pages.size(), 1u);
}

TEST_F(CoreTest, RequestTextFromAlarmsIsMadeValidAndBounded) {
  Envelope event = PageRequestedEvent("evt-r1", "pg-1", EmailChannel("a@example.com"));
  ASSERT_OK_AND_ASSIGN(escalation::v1::PageRequested request,
                       events::Payload(event, events::kPageRequested));
  request.set_incident_title("CPU\r\nBcc: eve@example.com");
  request.set_summary(std::string(100 * 1024, 'x'));
  event.mutable_payload()->PackFrom(request);
  ASSERT_OK(core_->HandlePageRequested(event));
  Page page = Stored("pg-1");
  EXPECT_EQ(page.incident_title(), "CPU  Bcc: eve@example.com");
  EXPECT_LE(page.summary().size(), text::kMaxFieldBytes);
  EXPECT_GT(page.summary().size(), text::kMaxFieldBytes - 64);
  EXPECT_THAT(page.summary(), HasSubstr("[truncated "));
}

TEST_F(CoreTest, FailedDeliveriesRetryWithDoublingBackoffUntilFailed) {
  // FixedRandom answers the largest value: every delay is the full backoff.
  notifier_.Answer({absl::UnavailableError("connection refused")}, /*repeat_last=*/true);
  Request("pg-1", WebhookChannel("http://hook.example/x"));
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

  EXPECT_EQ(notifier_.calls().size(), 6u);
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

TEST_F(CoreTest, TransientAndPermanentNotifierAnswersAreToldApart) {
  // 429 (ResourceExhausted), a timeout (DeadlineExceeded) and a 5xx
  // (Unavailable) are retried; a refusal is final at once.
  notifier_.Answer({absl::ResourceExhaustedError("answered 429")}, false, "pg-429");
  notifier_.Answer({absl::DeadlineExceededError("timed out")}, false, "pg-timeout");
  notifier_.Answer({absl::UnavailableError("answered 503")}, false, "pg-503");
  notifier_.Answer({absl::FailedPreconditionError("answered 404")}, false, "pg-404");
  notifier_.Answer({absl::InternalError("a bug")}, false, "pg-bug");
  for (const char* id : {"pg-429", "pg-timeout", "pg-503", "pg-404", "pg-bug"}) Request(id);
  EXPECT_EQ(Deliveries(), 5);
  for (const char* id : {"pg-429", "pg-timeout", "pg-503"}) {
    EXPECT_EQ(Stored(id).state(), v1::PAGE_STATE_PENDING) << id;
    EXPECT_TRUE(Stored(id).has_next_attempt()) << id;
  }
  EXPECT_EQ(Stored("pg-404").state(), v1::PAGE_STATE_FAILED);
  EXPECT_EQ(Stored("pg-bug").state(), v1::PAGE_STATE_FAILED);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Deliveries(), 3);
  for (const char* id : {"pg-429", "pg-timeout", "pg-503"}) {
    EXPECT_EQ(Stored(id).state(), v1::PAGE_STATE_DELIVERED) << id;
  }
}

TEST_F(CoreTest, JitterPicksADelayWithinTheBackoffAndTheCapHolds) {
  PagingOptions options = Options();
  options.retry_base = absl::Seconds(10);
  options.retry_cap = absl::Seconds(30);
  options.max_attempts = 10;
  Reopen(options);
  notifier_.Answer({absl::UnavailableError("503")}, /*repeat_last=*/true);
  // After the accept code: jitter 2.5 s of the first 10 s, then the full
  // 20 s, 30 s (capped from 40 s) and 30 s (capped from 80 s).
  random_.Script({2500});
  Request("pg-1", WebhookChannel("http://hook.example/x"));
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
  notifier_.Answer({absl::FailedPreconditionError("webhook answered 404")});
  Request("pg-1", WebhookChannel("http://hook.example/x"));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_FAILED);
  ASSERT_EQ(FailedEvents().size(), 1u);
  EXPECT_TRUE(FailedEvents()[0].final());
  EXPECT_EQ(FailedEvents()[0].error(), "webhook answered 404");
}

TEST_F(CoreTest, BytesANotifierReturnsAreStoredReadable) {
  // A proxy's error page in another charset, and a very long one.
  notifier_.Answer({absl::UnavailableError("answered 502: \xC4\xE9j\xE0 vu \xFF")}, false, "pg-1");
  notifier_.Answer({absl::UnavailableError(std::string(1 << 20, 'e'))}, false, "pg-2");
  Request("pg-1");
  Request("pg-2");
  Request("pg-3");
  EXPECT_EQ(Deliveries(), 3);
  Page page = Stored("pg-1");  // parses: the stored row is readable
  ASSERT_EQ(page.attempts_size(), 1);
  EXPECT_EQ(page.attempts(0).detail(), "answered 502: \xEF\xBF\xBD\xEF\xBF\xBDj\xEF\xBF\xBD vu "
                                       "\xEF\xBF\xBD");
  EXPECT_LE(Stored("pg-2").attempts(0).detail().size(), text::kMaxDetailBytes);
  EXPECT_THAT(Stored("pg-2").attempts(0).detail(), HasSubstr("[truncated "));
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);
  for (const auto& f : FailedEvents()) EXPECT_TRUE(text::IsValidUtf8(f.error()));
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  EXPECT_EQ(pages.size(), 3u);
  // The retry goes out as usual.
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 2);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreTest, AnUnreadablePageIsSetAsideAndTheOthersAreDelivered) {
  Request("pg-1");
  Request("pg-2");
  Request("pg-3");
  CorruptPageBody(path_, "pg-2");
  EXPECT_EQ(Deliveries(), 2);
  EXPECT_THAT(notifier_.delivered_ids(), UnorderedElementsAre("pg-1", "pg-3"));
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);

  // Set aside: a final page.failed with what the columns know, a metric.
  ASSERT_EQ(FailedEvents().size(), 1u);
  const v1::PageFailed failed = FailedEvents()[0];
  EXPECT_TRUE(failed.final());
  EXPECT_EQ(failed.page().id(), "pg-2");
  EXPECT_EQ(failed.page().incident_id(), "inc-1");
  EXPECT_EQ(failed.page().state(), v1::PAGE_STATE_FAILED);
  EXPECT_THAT(failed.error(), HasSubstr("does not parse"));
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_pages_set_aside_total",
                        {{"reason", "unreadable"}}),
            1);
  for (const Envelope& e : OutboxEvents(*store_)) EXPECT_EQ(e.incident_id(), "inc-1");

  // Reads still answer, the bad page as FAILED with the reason.
  ASSERT_OK_AND_ASSIGN(Page bad, core_->GetPage("pg-2"));
  EXPECT_EQ(bad.state(), v1::PAGE_STATE_FAILED);
  ASSERT_EQ(bad.attempts_size(), 1);
  EXPECT_THAT(bad.attempts(0).detail(), HasSubstr("does not parse"));
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[1].id(), "pg-2");
  EXPECT_EQ(pages[1].state(), v1::PAGE_STATE_FAILED);
  EXPECT_THAT(core_->AcceptPage({.page_id = "pg-2", .accept_code = "1", .source = "x"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cannot be read")));
  // Never claimed again, and resolving its incident skips it.
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  Resolve();
  EXPECT_EQ(FailedEvents().size(), 1u);
  // A later page of the incident is delivered as usual.
  Request("pg-4");
  EXPECT_EQ(Deliveries(), 1);
}

TEST_F(CoreTest, ASlowChannelHoldsOneWorkerWhileTheOthersDeliver) {
  notifier_.Block("pg-slow");
  Request("pg-slow");
  ASSERT_OK_AND_ASSIGN(int dispatched, core_->DispatchDueDeliveries());
  EXPECT_EQ(dispatched, 1) << "dispatching returns without waiting for the delivery";
  notifier_.WaitUntilHeld("pg-slow");
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_deliveries_in_flight"), 1);

  // Other contacts' pages go out while the slow one is still held.
  Request("pg-2", WebhookChannel("http://hook.example/2"));
  Request("pg-3");
  EXPECT_EQ(Deliveries(), 2);
  EXPECT_EQ(Stored("pg-2").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_TRUE(Stored("pg-slow").attempts(0).in_progress());
  // Its lease keeps it from being claimed twice meanwhile.
  EXPECT_EQ(Deliveries(), 0);

  notifier_.Release("pg-slow");
  core_->WaitForIdle();
  EXPECT_EQ(Stored("pg-slow").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(notifier_.calls().size(), 3u);
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_deliveries_in_flight"), 0);
}

TEST_F(CoreTest, APassClaimsNoMorePagesThanThereAreIdleWorkers) {
  PagingOptions options = Options();
  options.workers = 2;
  Reopen(options);
  for (const char* id : {"pg-1", "pg-2", "pg-3"}) {
    notifier_.Block(id);
    Request(id);
  }
  ASSERT_OK_AND_ASSIGN(int dispatched, core_->DispatchDueDeliveries());
  EXPECT_EQ(dispatched, 2);
  ASSERT_OK_AND_ASSIGN(dispatched, core_->DispatchDueDeliveries());
  EXPECT_EQ(dispatched, 0) << "no worker is idle";
  // The third page is not claimed: no attempt counts against it.
  EXPECT_EQ(Stored("pg-3").attempts_size(), 0);
  EXPECT_THAT(core_->CountPagesWaiting(), IsOkAndHolds(3));
  for (const char* id : {"pg-1", "pg-2", "pg-3"}) notifier_.Release(id);
  core_->WaitForIdle();
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_deliveries_in_flight"), 0);
  ASSERT_OK(core_->DispatchDueDeliveries());
  core_->WaitForIdle();
  EXPECT_THAT(core_->CountPagesWaiting(), IsOkAndHolds(0));
}

TEST_F(CoreTest, ALockedDatabaseCountsNothingAndEverythingGoesOutAfterwards) {
  Request("pg-1");
  Request("pg-2");
  {
    std::unique_ptr<DatabaseLock> lock = DatabaseLock::Hold(path_);
    ASSERT_NE(lock, nullptr);
    for (int pass = 0; pass < 12; ++pass) {
      EXPECT_THAT(core_->RunDueDeliveries(), StatusIs(absl::StatusCode::kUnavailable, _));
      clock_.Advance(absl::Minutes(1));
    }
    EXPECT_TRUE(notifier_.calls().empty());
  }
  EXPECT_EQ(Deliveries(), 2);
  for (const char* id : {"pg-1", "pg-2"}) {
    Page page = Stored(id);
    EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED) << id;
    EXPECT_EQ(page.attempts_size(), 1) << "busy passes are not attempts";
  }
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_pages_set_aside_total",
                        {{"reason", "claim_failed"}}),
            -1);
}

TEST_F(CoreTest, ABusyDatabaseAfterASendDelaysTheRecordButNeverResends) {
  Request("pg-1");
  std::unique_ptr<DatabaseLock> lock;
  // The channel takes the page; then another process locks the database.
  notifier_.During([&] { lock = DatabaseLock::Hold(path_); });
  ASSERT_OK(core_->DispatchDueDeliveries());
  crashing_->WaitForBusyWrites(2);  // the result was tried twice, and waits
  EXPECT_TRUE(Stored("pg-1").attempts(0).in_progress());
  lock.reset();
  core_->WaitForIdle();
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_EQ(page.attempts_size(), 1);
  EXPECT_TRUE(page.attempts(0).ok());
  EXPECT_EQ(notifier_.calls().size(), 1u);
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre(kSent, kDelivered));
}

TEST_F(CoreTest, AcknowledgedPageIsNeverDeliveredAgain) {
  notifier_.Answer({absl::UnavailableError("timed out")});
  Request("pg-1");
  EXPECT_EQ(Deliveries(), 1);
  ASSERT_OK_AND_ASSIGN(Page acked, AckWithCode("pg-1", "12345678"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "cli:alice");
  EXPECT_EQ(FromProtoTime(acked.ack_time()), clock_.Now());
  EXPECT_EQ(acked.accept_code(), "");
  EXPECT_EQ(acked.ack_token_sha256_size(), 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_EQ(notifier_.calls().size(), 1u);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(CoreTest, EveryAttemptsLinkAcknowledgesAndWrongTokensChangeNothing) {
  notifier_.Answer({absl::UnavailableError("timed out")});
  Request("pg-1");
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Deliveries(), 1);
  ASSERT_EQ(notifier_.calls().size(), 2u);
  const std::string first = TokenOf(notifier_.calls()[0].ack_url);
  const std::string second = TokenOf(notifier_.calls()[1].ack_url);
  EXPECT_NE(first, second);

  // Tokens cannot be guessed, so wrong ones are not rate limited.
  for (int i = 0; i < 30; ++i) {
    EXPECT_THAT(AckWithToken("pg-1", TokenNumber(100 + i)),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("link is not valid")));
  }
  EXPECT_THAT(AckWithToken("pg-1", second.substr(1)),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  ASSERT_OK_AND_ASSIGN(Page checked, core_->CheckAck({.page_id = "pg-1", .token = first}));
  EXPECT_EQ(checked.state(), v1::PAGE_STATE_DELIVERED);
  // The link of the first attempt (a mail that arrived late) still works.
  ASSERT_OK_AND_ASSIGN(Page acked, AckWithToken("pg-1", first));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "link");
  ASSERT_OK_AND_ASSIGN(Page again, AckWithToken("pg-1", second));
  EXPECT_EQ(again.ack_time().seconds(), acked.ack_time().seconds());
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_ack_refused_total",
                        {{"reason", "wrong_token"}}),
            31);
  EXPECT_THAT(core_->AcceptPage({.page_id = "pg-1", .token = first, .accept_code = "12345678"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
}

TEST_F(CoreTest, AStrangersWrongCodesNeverLockOutTheResponder) {
  Request("pg-1");
  Request("pg-2");
  EXPECT_EQ(Deliveries(), 2);
  const std::string stranger = "203.0.113.9";
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<Page> guess = AckWithCode(i % 2 ? "pg-1" : "pg-2",
                                             absl::StrFormat("%08d", i), stranger);
    if (i < 10) {
      EXPECT_THAT(guess, StatusIs(absl::StatusCode::kPermissionDenied,
                                  HasSubstr("wrong accept code")))
          << i;
    } else {
      EXPECT_THAT(guess, StatusIs(absl::StatusCode::kResourceExhausted,
                                  HasSubstr("try again in 15m")))
          << i;
      ASSERT_TRUE(RetryAfter(guess.status()).has_value());
      EXPECT_EQ(*RetryAfter(guess.status()), absl::Minutes(15));
    }
  }
  // The responder, from another address, is not refused.
  ASSERT_OK_AND_ASSIGN(Page acked, AckWithCode("pg-1", "12345678", "198.51.100.7"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_ack_refused_total",
                        {{"reason", "rate_limited"}}),
            10);
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_ack_refused_total",
                        {{"reason", "wrong_code"}}),
            10);

  // A restart keeps the count: even the right code from the stranger waits.
  clock_.Advance(absl::Minutes(5));
  Reopen();
  absl::StatusOr<Page> after = AckWithCode("pg-2", "99999999", stranger);
  EXPECT_THAT(after, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("10m")));
  EXPECT_EQ(RetryAfter(after.status()), absl::Minutes(10));
  EXPECT_EQ(Stored("pg-2").state(), v1::PAGE_STATE_DELIVERED) << "nothing changed";
  // Once the window has passed, the source may try again.
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(AckWithCode("pg-2", "00000000", stranger),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
}

TEST_F(CoreTest, AcceptIsIdempotent) {
  Request("pg-1");
  ASSERT_OK_AND_ASSIGN(Page first, AckWithCode("pg-1", "12345678"));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(Page second, AckWithCode("pg-1", "12345678", "x", "cli:bob"));
  EXPECT_EQ(second.acked_by(), "cli:alice");
  EXPECT_EQ(second.ack_time().seconds(), first.ack_time().seconds());
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre(kAcknowledged));
  ASSERT_OK_AND_ASSIGN(v1::PageAcknowledged payload,
                       events::Payload(OutboxEvents(*store_)[0], events::kPageAcknowledged));
  EXPECT_EQ(payload.page().engagement_id(), "eng-1");
  EXPECT_EQ(payload.page().accept_code(), "");
  EXPECT_EQ(Deliveries(), 0) << "an acknowledged page is not delivered";
  // Resolving the incident afterwards keeps the answer as it was.
  Resolve();
  ASSERT_OK_AND_ASSIGN(Page third, AckWithCode("pg-1", "12345678"));
  EXPECT_EQ(third.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(third.acked_by(), "cli:alice");
}

TEST_F(CoreTest, CancelledFailedOrResolvedPagesHaveNothingToAcknowledge) {
  random_.Script({22222222, 33333333});
  notifier_.Answer({absl::UnavailableError("timed out")}, false, "pg-1");
  notifier_.Answer({absl::FailedPreconditionError("answered 404")}, false, "pg-2");
  Request("pg-1");  // waits for a retry, then cancelled
  Request("pg-2");  // refused: FAILED
  Request("pg-3");  // delivered, then its incident resolved
  EXPECT_EQ(Deliveries(), 3);
  ASSERT_OK_AND_ASSIGN(Page failed, core_->GetPage("pg-2"));
  EXPECT_EQ(failed.state(), v1::PAGE_STATE_FAILED);
  EXPECT_THAT(AckWithCode("pg-2", "22222222"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "page pg-2 failed: it was not delivered; nothing to acknowledge"));
  Resolve();
  const auto events = OutboxTypes(*store_);
  EXPECT_THAT(AckWithCode("pg-1", "12345678"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "page pg-1 was cancelled: incident inc-1 is resolved; nothing to "
                       "acknowledge"));
  EXPECT_THAT(AckWithCode("pg-3", "33333333"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "page pg-3 cannot be acknowledged: incident inc-1 is resolved; nothing "
                       "to acknowledge"));
  EXPECT_THAT(AckWithToken("pg-3", TokenOf(notifier_.AckUrlOf("pg-3"))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("resolved")));
  // A wrong code still says only that it is wrong.
  EXPECT_THAT(AckWithCode("pg-3", "00000000"),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_EQ(OutboxTypes(*store_), events);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_CANCELLED);
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_TRUE(Stored("pg-3").incident_resolved());
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_ack_refused_total",
                        {{"reason", "not_acknowledgeable"}}),
            4);
}

TEST_F(CoreTest, ResolvedIncidentCancelsPagesStillWaitingForARetry) {
  notifier_.Answer({absl::UnavailableError("timed out")});
  Request("pg-1");
  EXPECT_EQ(Deliveries(), 1);  // failed; a retry is scheduled
  Resolve();
  Resolve();  // redelivered: no change
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_EQ(notifier_.calls().size(), 1u);
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_CANCELLED);
  EXPECT_FALSE(page.has_next_attempt());
  std::vector<std::string> errors;
  for (const auto& f : FailedEvents()) errors.push_back(f.error());
  EXPECT_THAT(errors, ElementsAre("timed out", "cancelled: the incident was resolved"));
  Envelope opened;
  opened.set_event_id("evt-x");
  opened.set_type(events::kIncidentOpened.name);
  opened.set_incident_id("inc-1");
  EXPECT_THAT(core_->HandleIncidentResolved(opened),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(events::kIncidentResolved.name)));
}

TEST_F(CoreTest, AckDuringDeliveryKeepsThePageAcknowledged) {
  notifier_.During([&] { ASSERT_OK(AckWithCode("pg-1", "12345678", "x", "link")); });
  Request("pg-1");
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  ASSERT_EQ(page.attempts_size(), 1);
  EXPECT_TRUE(page.attempts(0).ok());
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre(kSent, kAcknowledged));
}

TEST_F(CoreTest, BadAcceptsAreRefusedAndChangeNothing) {
  Request("pg-1");
  EXPECT_THAT(AckWithCode("pg-x", "12345678"),
              StatusIs(absl::StatusCode::kNotFound, "page \"pg-x\" does not exist"));
  EXPECT_THAT(AckWithCode("pg-1", "12345679"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "wrong accept code for page \"pg-1\""));
  EXPECT_THAT(AckWithCode("pg-1", "1234567"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  EXPECT_THAT(AckWithCode("pg-1", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("accept_code is required")));
  EXPECT_THAT(AckWithCode("", "12345678"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_id is required")));
  EXPECT_THAT(core_->CheckAck({.page_id = "pg-1", .accept_code = "00000000"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_PENDING);
  EXPECT_FALSE(page.has_ack_time());
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre());
  // Still deliverable, and still acknowledgeable with the right code.
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_OK(AckWithCode("pg-1", "12345678", "x", ""));
  EXPECT_EQ(Stored("pg-1").acked_by(), "api");
}

TEST_F(CoreTest, AfterAShutdownThatCouldNotRecordTheLeaseDeliversAgain) {
  Request("pg-1");
  // The channel takes the page, and every write fails from then on (the
  // process is dying); shutdown gives up recording.
  notifier_.During([&] { crashing_->CrashAfterWrites(0); });
  ASSERT_OK(core_->DispatchDueDeliveries());
  core_->Shutdown(absl::ZeroDuration());
  core_->WaitForIdle();
  ASSERT_EQ(notifier_.calls().size(), 1u);
  EXPECT_TRUE(Stored("pg-1").attempts(0).in_progress());
  ASSERT_OK_AND_ASSIGN(int after_shutdown, core_->DispatchDueDeliveries());
  EXPECT_EQ(after_shutdown, 0) << "a stopping core claims nothing";

  notifier_.During(nullptr);
  Reopen();
  EXPECT_EQ(Deliveries(), 0);
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(Deliveries(), 0) << "retried inside the 60 s lease";
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  ASSERT_EQ(notifier_.calls().size(), 2u);
  EXPECT_EQ(notifier_.calls()[1].page.id(), notifier_.calls()[0].page.id());
  EXPECT_EQ(notifier_.calls()[1].page.accept_code(), notifier_.calls()[0].page.accept_code());
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_EQ(page.attempts_size(), 2);
  EXPECT_FALSE(page.attempts(0).in_progress());
  EXPECT_FALSE(page.attempts(0).ok());
  EXPECT_THAT(page.attempts(0).detail(), HasSubstr("no result recorded"));
  EXPECT_TRUE(page.attempts(1).ok());
}

TEST_F(CoreTest, CrashBeforeTheClaimCommitsDeliversAtOnceAfterRestart) {
  Request("pg-1");
  crashing_->CrashAfterWrites(0);
  EXPECT_THAT(core_->RunDueDeliveries(), StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_EQ(notifier_.calls().size(), 0u);
  Reopen();
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreTest, ReadsNeverShowSecrets) {
  Request("pg-1");
  Request("pg-2", WebhookChannel("https://hooks.example.com/services/T1/SECRET?token=abc"));
  EXPECT_EQ(Deliveries(), 2);
  ASSERT_OK_AND_ASSIGN(Page got, core_->GetPage("pg-1"));
  EXPECT_EQ(got.accept_code(), "");
  EXPECT_EQ(got.ack_token_sha256_size(), 0);
  EXPECT_EQ(got.state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].id(), "pg-1");
  EXPECT_EQ(pages[1].id(), "pg-2");
  for (const Page& p : pages) {
    EXPECT_EQ(p.accept_code(), "");
    EXPECT_EQ(p.ack_token_sha256_size(), 0);
  }
  EXPECT_EQ(pages[1].channel().webhook().url(), "https://hooks.example.com/services/…?…");
  for (const Envelope& e : OutboxEvents(*store_)) {
    EXPECT_THAT(e.payload().value(), Not(HasSubstr("SECRET"))) << e.type();
    EXPECT_THAT(e.payload().value(), Not(HasSubstr("12345678"))) << e.type();
  }
  // The notifier alone gets the real URL.
  EXPECT_EQ(notifier_.calls()[1].page.channel().webhook().url(),
            "https://hooks.example.com/services/T1/SECRET?token=abc");
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

TEST(ValidatePagingOptionsTest, TheLeaseMustOutlastEveryNotifier) {
  PagingOptions options;
  EXPECT_OK(ValidatePagingOptions(options, absl::Seconds(30)));
  options.lease = absl::Seconds(30);
  EXPECT_THAT(ValidatePagingOptions(options, absl::Seconds(30)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lease (30s) must be longer than the longest notifier timeout")));
  options = PagingOptions();
  options.workers = 0;
  EXPECT_THAT(ValidatePagingOptions(options, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("workers")));
  options = PagingOptions();
  options.max_wrong_codes = 0;
  EXPECT_THAT(ValidatePagingOptions(options, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_wrong_codes")));
}

// ---- SMS and voice without a provider, activation pages, pages by hand ----

TEST_F(CoreTest, SmsAndVoiceFailAtOnceForGoodWithoutAProvider) {
  DispatchingNotifier dispatching(&notifier_, &notifier_);
  use_notifier_ = &dispatching;
  Reopen();
  escalation::v1::ContactChannel sms;
  sms.set_name("phone");
  sms.mutable_sms()->set_number("+81312345678");
  escalation::v1::ContactChannel voice;
  voice.set_name("call");
  voice.mutable_voice()->set_number("+81312345679");
  Request("pg-sms", sms);
  Request("pg-voice", voice);
  EXPECT_EQ(Deliveries(), 2);
  EXPECT_EQ(Stored("pg-sms").state(), v1::PAGE_STATE_FAILED);
  EXPECT_EQ(Stored("pg-voice").state(), v1::PAGE_STATE_FAILED);
  EXPECT_EQ(Stored("pg-sms").attempts(0).detail(), "no SMS provider configured");
  std::map<std::string, std::string> errors;
  for (const v1::PageFailed& f : FailedEvents()) {
    EXPECT_TRUE(f.final());
    errors[f.page().id()] = f.error();
  }
  EXPECT_THAT(errors, ElementsAre(::testing::Pair("pg-sms", "no SMS provider configured"),
                                  ::testing::Pair("pg-voice", "no voice provider configured")));
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);
  EXPECT_TRUE(notifier_.calls().empty());
}

TEST_F(CoreTest, AnActivationPageCarriesItsCodeAndCannotBeAcknowledged) {
  escalation::v1::PageRequested r;
  r.set_page_id("pg-act");
  r.set_contact("alice");
  *r.mutable_channel() = EmailChannel("alice@example.com");
  r.set_purpose(escalation::v1::PAGE_PURPOSE_ACTIVATION);
  r.set_activation_code("482913");
  Envelope e;
  e.set_event_id("evt-act");
  e.set_type(events::kPageRequested.name);
  e.set_source("escalation");
  e.mutable_payload()->PackFrom(r);
  ASSERT_OK(core_->HandlePageRequested(e));
  EXPECT_EQ(Deliveries(), 1);
  ASSERT_EQ(notifier_.calls().size(), 1u);
  EXPECT_EQ(notifier_.calls()[0].page.activation_code(), "482913");
  EXPECT_EQ(notifier_.calls()[0].page.accept_code(), "");
  EXPECT_EQ(notifier_.calls()[0].ack_url, "") << "no ack link";
  const Page stored = Stored("pg-act");
  EXPECT_EQ(stored.state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(stored.ack_token_sha256_size(), 0);
  EXPECT_THAT(AckWithCode("pg-act", "00000000"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("activation code; nothing to acknowledge")));
  ASSERT_OK_AND_ASSIGN(Page read, core_->GetPage("pg-act"));
  EXPECT_EQ(read.activation_code(), "") << "the code never leaves through the API";
  for (const Envelope& ev : OutboxEvents(*store_)) {
    EXPECT_THAT(ev.payload().value(), Not(HasSubstr("482913")));
  }
}

TEST_F(CoreTest, APageWithoutAnIncidentIsDeliveredWithItsSubjectAndAcknowledged) {
  escalation::v1::PageRequested r;
  r.set_page_id("pg-hand");
  r.set_engagement_id("eng-7");
  r.set_contact("alice");
  *r.mutable_channel() = EmailChannel("alice@example.com");
  r.set_incident_title("Disk full on db-3");
  r.set_summary("Please look at /var");
  Envelope e;
  e.set_event_id("evt-hand");
  e.set_type(events::kPageRequested.name);
  e.set_source("escalation");
  e.mutable_payload()->PackFrom(r);
  ASSERT_OK(core_->HandlePageRequested(e));
  EXPECT_EQ(Deliveries(), 1);
  EXPECT_EQ(notifier_.calls()[0].page.incident_title(), "Disk full on db-3");
  EXPECT_EQ(notifier_.calls()[0].page.summary(), "Please look at /var");
  ASSERT_OK_AND_ASSIGN(Page acked, AckWithCode("pg-hand", "12345678"));
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  const std::vector<Envelope> events = OutboxEvents(*store_);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type(), kAcknowledged);
  EXPECT_EQ(events.back().incident_id(), "");
  ASSERT_OK_AND_ASSIGN(v1::PageAcknowledged ack,
                       events::Payload(events.back(), events::kPageAcknowledged));
  EXPECT_EQ(ack.page().engagement_id(), "eng-7");
}

}  // namespace
}  // namespace tocsin::paging
