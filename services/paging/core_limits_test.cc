// PagingCore's per-destination rate limits and digests, and its degraded
// providers, on a FakeClock with a real SQLite store.
#include <cstdlib>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "prometheus/registry.h"
#include "services/paging/core.h"
#include "services/paging/fake_random.h"
#include "services/paging/page_text.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"

namespace tocsin::paging {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::tocsin::testing::StatusIs;

constexpr char kAlice[] = "+81312345678";

escalation::v1::ContactChannel Sms(const std::string& number) {
  escalation::v1::ContactChannel c;
  c.set_name("phone");
  c.mutable_sms()->set_number(number);
  return c;
}

escalation::v1::ContactChannel Voice(const std::string& number) {
  escalation::v1::ContactChannel c;
  c.set_name("call");
  c.mutable_voice()->set_number(number);
  return c;
}

// Records each delivery and answers SMS and voice pages from a script (OK
// once it is used up); email is always OK. Thread-safe.
class ScriptedNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page& page, const std::string&) override {
    std::function<void()> during;
    {
      absl::MutexLock l(&mu_);
      during = during_;
    }
    if (during) during();
    absl::MutexLock l(&mu_);
    pages_.push_back(page);
    if (script_.empty() || page.channel().has_email()) return absl::OkStatus();
    absl::Status s = script_.front();
    script_.pop_front();
    return s;
  }
  void Answer(std::deque<absl::Status> script) {
    absl::MutexLock l(&mu_);
    script_ = std::move(script);
  }
  std::vector<Page> pages() {
    absl::MutexLock l(&mu_);
    return pages_;
  }
  // Runs inside Deliver, before it answers.
  void During(std::function<void()> f) {
    absl::MutexLock l(&mu_);
    during_ = std::move(f);
  }

 private:
  std::function<void()> during_ ABSL_GUARDED_BY(mu_);
  absl::Mutex mu_;
  std::vector<Page> pages_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> script_ ABSL_GUARDED_BY(mu_);
};

// A store whose writes fail once told to, as a dying process's would.
class DyingStore final : public PagingStore {
 public:
  explicit DyingStore(PagingStore* inner) : inner_(inner) {}
  absl::Status Write(const std::function<absl::Status(Tx&)>& body) override {
    if (dead_.load()) return absl::UnavailableError("the process died");
    return inner_->Write(body);
  }
  absl::Status Read(const std::function<absl::Status(Tx&)>& body) override {
    return inner_->Read(body);
  }
  absl::Status Ping() override { return inner_->Ping(); }
  void Die() { dead_.store(true); }

 private:
  PagingStore* inner_;
  std::atomic<bool> dead_{false};
};

class CoreLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<uint64_t> codes;
    for (int i = 1; i <= 40; ++i) codes.push_back(10000000 + i);
    random_.Script(codes);
    Reopen(Options());
  }

  PagingOptions Options() {
    PagingOptions options;
    options.public_url = "https://tocsin.example";
    options.sms_limits = {{2, absl::Minutes(15)}, {3, absl::Hours(1)}};
    options.voice_limits = {{1, absl::Minutes(15)}};
    return options;
  }

  // A restart: a new core on the same database file.
  void Reopen(PagingOptions options) {
    core_.reset();
    dying_.reset();
    store_.reset();
    registry_ = std::make_unique<prometheus::Registry>();
    options.registry = registry_.get();
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    dying_ = std::make_unique<DyingStore>(store_.get());
    core_ = std::make_unique<PagingCore>(dying_.get(), &clock_, &ids_, &random_, &notifier_,
                                         std::move(options));
  }

  // A page.requested for incident inc-<id>, titled "Incident <id>".
  void Request(const std::string& id, const escalation::v1::ContactChannel& channel,
               const std::string& contact = "alice") {
    Envelope e = PageRequestedEvent("evt-" + id, id, channel);
    escalation::v1::PageRequested r;
    ASSERT_TRUE(e.payload().UnpackTo(&r));
    r.set_incident_title(absl::StrCat("Incident ", id));
    r.set_contact(contact);
    e.mutable_payload()->PackFrom(r);
    ASSERT_OK(core_->HandlePageRequested(e));
  }

  int Run() {
    absl::StatusOr<int> n = core_->RunDueDeliveries();
    EXPECT_OK(n);
    return n.value_or(-1);
  }
  // Passes until one sends nothing (one worker: one page a pass); how many
  // were sent.
  int RunAll() {
    int total = 0;
    while (true) {
      const int n = Run();
      core_->WaitForIdle();  // the worker is idle again for the next pass
      if (n <= 0) return total;
      total += n;
    }
  }
  // One worker (results in a known order) and retries 5-20 min later.
  PagingOptions DegradedOptions() {
    PagingOptions options = Options();
    options.sms_limits.clear();
    options.workers = 1;
    options.retry_base = absl::Minutes(20);
    options.retry_cap = absl::Minutes(20);
    return options;
  }

  Page Stored(const std::string& id) {
    std::optional<Page> page;
    EXPECT_OK(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(page, tx.GetPage(id));
      return absl::OkStatus();
    }));
    return page.value_or(Page());
  }

  template <typename T>
  std::vector<T> Events(const events::EventType<T>& type) {
    std::vector<T> out;
    for (const Envelope& e : OutboxEvents(*store_)) {
      absl::StatusOr<T> p = events::Payload(e, type);
      if (p.ok()) out.push_back(*std::move(p));
    }
    return out;
  }

  std::vector<std::string> SentIds() {
    std::vector<std::string> ids;
    for (const Page& p : notifier_.pages()) ids.push_back(p.id());
    return ids;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_{absl::FromUnixSeconds(1796000000)};  // 2026-11-30 00:53:20 UTC
  SequentialIdGenerator ids_;
  FixedRandom random_;
  ScriptedNotifier notifier_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<DyingStore> dying_;
  std::unique_ptr<PagingCore> core_;
};

TEST(RateLimitsTest, ParsesFormatsAndComputesTheNextAllowedTime) {
  ASSERT_OK_AND_ASSIGN(std::vector<RateLimit> limits, ParseRateLimits("5/15m, 11/1h,21/3h"));
  EXPECT_THAT(limits, ElementsAre(RateLimit{5, absl::Minutes(15)}, RateLimit{11, absl::Hours(1)},
                                  RateLimit{21, absl::Hours(3)}));
  EXPECT_EQ(limits, DefaultSmsLimits());
  EXPECT_THAT(ParseRateLimits("off"), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ParseRateLimits(""), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ParseRateLimits("5/15m,x/1h"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"x/1h\"")));
  EXPECT_THAT(ParseRateLimits("0/15m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("COUNT/WINDOW")));
  EXPECT_THAT(ParseRateLimits("5/-1m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("COUNT/WINDOW")));
  EXPECT_EQ(FormatRateLimit({5, absl::Minutes(15)}), "5 per 15 min");
  EXPECT_EQ(FormatRateLimit({11, absl::Hours(1)}), "11 per 1 h");

  const absl::Time t0 = absl::FromUnixSeconds(1000000);
  const std::vector<absl::Time> sends = {t0, t0 + absl::Minutes(1), t0 + absl::Minutes(2)};
  // 2 per 15 min: the second newest must leave the window first.
  LimitVerdict v = NextAllowed({{2, absl::Minutes(15)}}, sends, t0 + absl::Minutes(3));
  EXPECT_EQ(v.until, t0 + absl::Minutes(16));
  ASSERT_TRUE(v.bucket.has_value());
  EXPECT_EQ(v.bucket->count, 2);
  // Not full: now.
  v = NextAllowed({{4, absl::Minutes(15)}}, sends, t0 + absl::Minutes(3));
  EXPECT_EQ(v.until, t0 + absl::Minutes(3));
  EXPECT_FALSE(v.bucket.has_value());
  // The latest of the full buckets wins.
  v = NextAllowed({{3, absl::Minutes(15)}, {2, absl::Hours(1)}}, sends, t0 + absl::Minutes(3));
  EXPECT_EQ(v.until, t0 + absl::Minutes(61));
  EXPECT_EQ(v.bucket->window, absl::Hours(1));
}

TEST_F(CoreLimitsTest, PagesOverTheLimitAreHeldOnceAndSentAsOneDigest) {
  Request("pg-1", Sms(kAlice));
  Request("pg-2", Sms(kAlice));
  EXPECT_EQ(Run(), 2);
  clock_.Advance(absl::Minutes(1));
  Request("pg-3", Sms(kAlice));
  clock_.Advance(absl::Seconds(1));
  Request("pg-4", Sms(kAlice));
  EXPECT_EQ(Run(), 0) << "2 per 15 min used up";
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(SentIds(), ElementsAre("pg-1", "pg-2"));

  // Held: PENDING, due when the 15-minute bucket frees a slot (pg-1's send
  // + 15 min), on the timeline once per page.
  const absl::Time first_send = clock_.Now() - absl::Minutes(1) - absl::Seconds(1);
  Page held = Stored("pg-3");
  EXPECT_EQ(held.state(), v1::PAGE_STATE_PENDING);
  EXPECT_EQ(FromProtoTime(held.held_until()), first_send + absl::Minutes(15));
  EXPECT_EQ(FromProtoTime(held.next_attempt()), first_send + absl::Minutes(15));
  EXPECT_EQ(held.held_reason(), "SMS limit 2 per 15 min reached");
  std::vector<v1::PageHeld> holds = Events(events::kPageHeld);
  ASSERT_EQ(holds.size(), 2u);
  EXPECT_EQ(holds[0].page().id(), "pg-3");
  EXPECT_EQ(holds[1].page().id(), "pg-4");
  EXPECT_EQ(holds[0].reason(), "SMS limit 2 per 15 min reached");
  EXPECT_EQ(FromProtoTime(holds[0].until()), first_send + absl::Minutes(15));
  EXPECT_EQ(holds[0].page().accept_code(), "");
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_pages_held_total", {{"channel", "sms"}}), 2);

  // When the limit allows, both go out in ONE message, carried by the oldest.
  clock_.Set(first_send + absl::Minutes(15));
  EXPECT_EQ(Run(), 1);
  ASSERT_THAT(SentIds(), ElementsAre("pg-1", "pg-2", "pg-3"));
  const Page carrier = notifier_.pages().back();
  ASSERT_EQ(carrier.digest_size(), 2);
  EXPECT_EQ(carrier.digest(0).page_id(), "pg-3");
  EXPECT_EQ(carrier.digest(1).page_id(), "pg-4");
  const std::string text = PageSmsText(carrier);
  EXPECT_THAT(text, HasSubstr("2 pages held back by the rate limit"));
  EXPECT_THAT(text, HasSubstr("1) Incident pg-3 (impact 1) code 10000003."));
  EXPECT_THAT(text, HasSubstr("2) Incident pg-4 (impact 1) code 10000004."));
  EXPECT_THAT(PageVoicePrompt(carrier), HasSubstr("about 2 incidents"));

  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);
  const Page member = Stored("pg-4");
  EXPECT_EQ(member.state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(member.digest_of(), "pg-3");
  ASSERT_EQ(member.attempts_size(), 1);
  EXPECT_EQ(member.attempts(0).detail(), "sent in digest with page pg-3");
  std::vector<std::string> delivered;
  for (const auto& d : Events(events::kPageDelivered)) delivered.push_back(d.page().id());
  EXPECT_THAT(delivered, ElementsAre("pg-1", "pg-2", "pg-3", "pg-4"));
  for (const auto& d : Events(events::kPageDelivered)) {
    for (const auto& entry : d.page().digest()) EXPECT_EQ(entry.accept_code(), "");
  }
  // Nothing else goes out; no second hold was announced.
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(Events(events::kPageHeld).size(), 2u);

  // Each page keeps its own code: a reply with pg-4's acknowledges pg-4.
  ASSERT_OK_AND_ASSIGN(Page acked, core_->AcceptReply(kAlice, "ok 10000004", "sms:+8131"));
  EXPECT_EQ(acked.id(), "pg-4");
  EXPECT_EQ(Stored("pg-4").state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreLimitsTest, TheLimitHoldsAcrossARestartAndPerDestinationAndKind) {
  Request("pg-1", Sms(kAlice));
  Request("pg-2", Sms(kAlice));
  EXPECT_EQ(Run(), 2);
  Reopen(Options());
  Request("pg-3", Sms(kAlice));
  Request("pg-4", Sms("+81399999999"));  // another number
  Request("pg-5", Voice(kAlice));        // another kind
  Request("pg-6", EmailChannel("alice@example.com"));
  EXPECT_EQ(Run(), 3);
  EXPECT_THAT(SentIds(), ElementsAre("pg-1", "pg-2", "pg-4", "pg-5", "pg-6"));
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_PENDING);
  EXPECT_TRUE(Stored("pg-3").has_held_until());
}

TEST_F(CoreLimitsTest, AFailedAttemptDoesNotCountAndAFailedDigestReleasesItsPages) {
  PagingOptions options = Options();
  options.max_attempts = 1;
  options.workers = 1;
  Reopen(options);
  notifier_.Answer({absl::FailedPreconditionError("rejected")});
  Request("pg-1", Sms(kAlice));
  EXPECT_EQ(RunAll(), 1);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_FAILED);
  Request("pg-2", Sms(kAlice));
  Request("pg-3", Sms(kAlice));
  EXPECT_EQ(RunAll(), 2) << "pg-1's failed message does not count";
  Request("pg-4", Sms(kAlice));
  Request("pg-5", Sms(kAlice));
  EXPECT_EQ(RunAll(), 0);
  EXPECT_EQ(RunAll(), 0);
  EXPECT_EQ(Stored("pg-4").state(), v1::PAGE_STATE_PENDING);

  // The digest fails for good: its other page is due again, not lost.
  clock_.Advance(absl::Minutes(15));
  notifier_.Answer({absl::FailedPreconditionError("rejected again")});
  EXPECT_EQ(Run(), 1);
  core_->WaitForIdle();
  EXPECT_EQ(Stored("pg-4").state(), v1::PAGE_STATE_FAILED);
  EXPECT_EQ(notifier_.pages().back().digest_size(), 2);
  const Page released = Stored("pg-5");
  EXPECT_EQ(released.state(), v1::PAGE_STATE_PENDING);
  EXPECT_EQ(released.digest_of(), "");
  EXPECT_EQ(RunAll(), 1) << "the failed digest's message did not count either";
  EXPECT_EQ(Stored("pg-5").state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreLimitsTest, AResolvedIncidentCancelsAHeldPageAndOffDisablesTheLimits) {
  Request("pg-1", Sms(kAlice));
  Request("pg-2", Sms(kAlice));
  Request("pg-3", Sms(kAlice));
  EXPECT_EQ(Run(), 2);
  Envelope resolved;
  resolved.set_event_id("evt-resolved");
  resolved.set_type(events::kIncidentResolved.name);
  resolved.set_incident_id("inc-1");
  ASSERT_OK(core_->HandleIncidentResolved(resolved));
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_CANCELLED);

  PagingOptions options = Options();
  options.sms_limits.clear();
  Reopen(options);
  for (int i = 4; i <= 9; ++i) Request(absl::StrCat("pg-", i), Sms(kAlice));
  EXPECT_EQ(Run(), 6);
}

TEST_F(CoreLimitsTest, ADigestCarriesAtMostTenPagesAndTheRestWaitForTheNext) {
  PagingOptions options = Options();
  options.sms_limits = {{1, absl::Minutes(15)}};
  Reopen(options);
  Request("pg-0", Sms(kAlice));
  EXPECT_EQ(Run(), 1);
  for (int i = 1; i <= 12; ++i) {
    Request(absl::StrCat("pg-", 100 + i), Sms(kAlice));
    clock_.Advance(absl::Seconds(1));
  }
  // A pass claims up to 8 (the workers): two passes hold all 12.
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(Events(events::kPageHeld).size(), 12u);
  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(notifier_.pages().back().digest_size(), kMaxDigestPages);
  EXPECT_EQ(notifier_.pages().back().id(), "pg-101");
  EXPECT_EQ(Stored("pg-111").state(), v1::PAGE_STATE_PENDING);
  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(notifier_.pages().back().id(), "pg-111");
  EXPECT_EQ(notifier_.pages().back().digest_size(), 2);
  EXPECT_EQ(Stored("pg-112").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_LE(PageSmsText(notifier_.pages()[1]).size(), kMaxSmsBodyBytes);
}

TEST_F(CoreLimitsTest, ADigestInterruptedByACrashGoesOutAgainWithTheSamePagesOnce) {
  PagingOptions options = Options();
  options.sms_limits = {{1, absl::Minutes(15)}, {3, absl::Hours(3)}};
  Reopen(options);
  Request("pg-0", Sms(kAlice));
  EXPECT_EQ(Run(), 1);
  Request("pg-1", Sms(kAlice));
  Request("pg-2", Sms(kAlice));
  EXPECT_EQ(Run(), 0);
  clock_.Advance(absl::Minutes(15));
  // The digest reaches the phone, then the process dies before the result
  // is recorded.
  notifier_.During([this] { dying_->Die(); });
  // (The pass may meet the dead store itself when it claims the next page.)
  (void)core_->DispatchDueDeliveries();
  core_->Shutdown(absl::ZeroDuration());
  core_->WaitForIdle();
  notifier_.During(nullptr);
  ASSERT_EQ(notifier_.pages().back().digest_size(), 2);
  EXPECT_EQ(Stored("pg-2").digest_of(), "pg-1");

  // After the restart and the lease, the carrier goes again (its
  // interrupted send still counts: held first) with the same page, once.
  Reopen(options);
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_PENDING);
  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(Run(), 1);
  const Page again = notifier_.pages().back();
  EXPECT_EQ(again.id(), "pg-1");
  ASSERT_EQ(again.digest_size(), 2);
  EXPECT_EQ(again.digest(1).page_id(), "pg-2");
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(Stored("pg-2").state(), v1::PAGE_STATE_DELIVERED);
  clock_.Advance(absl::Hours(3));
  EXPECT_EQ(Run(), 0) << "pg-2 is not sent on its own as well";
  EXPECT_EQ(notifier_.pages().size(), 3u);
}

// ---- Degraded providers ----

TEST_F(CoreLimitsTest, ThreeFailuresInARowDegradeAProviderUntilASuccess) {
  PagingOptions options = DegradedOptions();
  options.provider_of = [](const Page& p) {
    return p.channel().has_sms() ? std::string("twilio") : std::string("email");
  };
  Reopen(options);
  const absl::Status down = absl::UnavailableError("twilio answered 503");
  notifier_.Answer({down, down, down, down});
  Request("pg-1", Sms(kAlice));
  Request("pg-2", Sms(kAlice));
  EXPECT_EQ(RunAll(), 2);
  // Two failures: retried as before.
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_PENDING);
  EXPECT_EQ(core_->DegradedProviders(), "");
  clock_.Advance(absl::Minutes(1));
  Request("pg-3", Sms(kAlice), "bob");
  Request("pg-4", EmailChannel("alice@example.com"));
  EXPECT_EQ(RunAll(), 2);  // pg-3 (the third failure) and the email
  // The third: degraded; the page is retried as before (the provider may
  // recover) and the failure says fall_through.
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_PENDING);
  EXPECT_EQ(Stored("pg-4").state(), v1::PAGE_STATE_DELIVERED) << "email still works";
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_provider_degraded", {{"provider", "twilio"}}),
            1);
  EXPECT_THAT(core_->DegradedProviders(),
              HasSubstr("twilio: degraded since 2026-11-30 00:54:20 UTC (3 failures in a row"));
  std::vector<v1::PageFailed> failed = Events(events::kPageFailed);
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_FALSE(failed[0].fall_through());
  EXPECT_FALSE(failed[0].final());
  EXPECT_TRUE(failed[2].fall_through());
  EXPECT_FALSE(failed[2].final());
  EXPECT_THAT(failed[2].error(),
              HasSubstr("twilio is degraded (3 failures in 5m): paging bob's next channel"));

  // Still tried while degraded (to see recovery); a failure is never final
  // for that alone.
  clock_.Advance(absl::Minutes(10));
  EXPECT_GE(RunAll(), 2);  // retries: the 4th fails, the next succeeds
  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_PENDING);
  EXPECT_EQ(Stored("pg-2").state(), v1::PAGE_STATE_DELIVERED);
  failed = Events(events::kPageFailed);
  int fall_throughs = 0;
  for (const auto& f : failed) fall_throughs += f.fall_through();
  EXPECT_EQ(fall_throughs, 2);
  EXPECT_EQ(MetricValue(*registry_, "tocsin_paging_provider_degraded", {{"provider", "twilio"}}),
            0)
      << "a success clears it";
  EXPECT_EQ(core_->DegradedProviders(), "");
}

TEST_F(CoreLimitsTest, FailuresSpreadOverMoreThanTheWindowDoNotDegrade) {
  PagingOptions options = DegradedOptions();
  options.max_attempts = 1;
  options.provider_of = [](const Page&) { return std::string("twilio"); };
  Reopen(options);
  const absl::Status down = absl::UnavailableError("503");
  notifier_.Answer({down, down, down});
  for (int i = 1; i <= 3; ++i) {
    Request(absl::StrCat("pg-", i), Sms(kAlice));
    EXPECT_EQ(RunAll(), 1);
    clock_.Advance(absl::Minutes(3));
  }
  EXPECT_EQ(core_->DegradedProviders(), "");
  for (const auto& f : Events(events::kPageFailed)) EXPECT_FALSE(f.fall_through());
  // A page without a destination says nothing about the provider.
  options.degraded_after = 1;
  Reopen(options);
  notifier_.Answer({absl::InvalidArgumentError("no number")});
  Request("pg-9", Sms(kAlice));
  EXPECT_EQ(RunAll(), 1);
  EXPECT_EQ(core_->DegradedProviders(), "");
  // Without provider_of nothing is tracked.
  options.provider_of = nullptr;
  Reopen(options);
  notifier_.Answer({absl::UnavailableError("503")});
  Request("pg-10", Sms(kAlice));
  EXPECT_EQ(RunAll(), 1);
  EXPECT_EQ(core_->DegradedProviders(), "");
}

}  // namespace
}  // namespace tocsin::paging
