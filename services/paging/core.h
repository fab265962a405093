// PagingCore: the paging service's behaviour, independent of gRPC, HTTP and
// the database engine. It turns page.requested events into pages, delivers
// them through a Notifier on a pool of workers with retries, and takes
// acknowledgements; every change is emitted as an event through the store's
// outbox in the same transaction.
//
// A page's life:
//   HandlePageRequested  (consumer "paging-pages") records the event in the
//                        inbox and inserts the page once by page id, PENDING,
//                        with a fresh 8-digit accept code, due now (an
//                        activation page, purpose PAGE_PURPOSE_ACTIVATION,
//                        gets no accept code and no ack link: its message
//                        carries the activation code, and it cannot be
//                        acknowledged). A page without an incident (an
//                        engagement by hand) says the request's title and
//                        summary (its subject and content) and is
//                        acknowledged like any other. Text
//                        copied from the request (title, summary, contact,
//                        channel name) is made valid UTF-8 and bounded
//                        (libs/text). A redelivered event or a second
//                        page.requested for the same page id changes nothing.
//   DispatchDueDeliveries (main calls it from a Ticker) claims due PENDING
//                        pages, at most as many as there are idle workers,
//                        hands each to a worker and returns at once. A slow
//                        channel holds one worker; the others go on.
//                        1. the claim, in a transaction: a new attempt, in
//                           progress, with a fresh ack-link token (its
//                           SHA-256 is stored, the token only travels in the
//                           link), the page due again after `lease`;
//                           page.sent;
//                        2. the worker calls the Notifier outside any
//                           transaction; whatever it answers is made valid
//                           UTF-8 and cut to text::kMaxDetailBytes before it
//                           reaches an attempt, an event or a log;
//                        3. the result, in a transaction: DELIVERED
//                           (page.delivered); or, for a transient failure
//                           (IsTransient: unreachable, timeout, 5xx, 408,
//                           429), a retry after an exponential backoff with
//                           full jitter (retry_base * 2^(n-1), capped at
//                           retry_cap, times a random fraction)
//                           (page.failed, final=false); or FAILED for a
//                           permanent failure or after max_attempts
//                           (page.failed, final=true).
//                        A database that is busy when the result is recorded
//                        does not lose it: the worker retries recording
//                        (backoff up to 2 s) until it commits or Shutdown()
//                        gives up; the page is never sent again for that.
//   RunDueDeliveries     the same, then waits until the deliveries it
//                        dispatched are recorded (tests, on a FakeClock).
//                        Rate limits (SMS and voice, PagingOptions
//                        sms_limits / voice_limits): before step 1, a page
//                        whose destination number has used up a bucket
//                        (sends of that kind claimed within the bucket's
//                        window, counted in the store so they hold across
//                        restarts; a failed attempt's send is forgotten) is
//                        not sent: it stays PENDING, held_until and
//                        next_attempt become the time the limit allows, and
//                        page.held says so (once per page: a page held
//                        again keeps quiet). When a page to that number may
//                        be sent and others are held for it, they go out as
//                        ONE message: the oldest of them carries the digest
//                        (Page.digest lists each page's title and accept
//                        code, page_text.h), at most kMaxDigestPages, the
//                        rest wait for the next; the others get digest_of
//                        and, once the carrier is DELIVERED, become
//                        DELIVERED too ("sent in digest with page pg-1",
//                        page.delivered each). A failed carrier releases
//                        them (they are due again, never dropped). Each page
//                        keeps its accept code: a reply with any of them
//                        acknowledges that page. Activation pages are
//                        counted but never held.
//                        Degraded providers (at step 2's answer): a provider
//                        (PagingOptions::provider_of: "twilio", "gateway",
//                        "email") whose last degraded_after failures came
//                        within degraded_window, with no success since, is
//                        degraded: gauge tocsin_paging_provider_degraded,
//                        DegradedProviders() for /readyz. It is still tried
//                        for each page (a success clears it), and while it
//                        is degraded a failure (still retried as any other)
//                        is a page.failed with fall_through, "twilio is degraded (3 failures
//                        in 5m): paging alice's next channel", so escalation
//                        pages the person's next channel without waiting.
//   AcceptPage           acknowledges with the link's token or the short
//                        accept code (both compared in constant time):
//                        ACKNOWLEDGED, page.acknowledged. See AckRequest.
//
// One bad page never stops the others: a page whose stored row does not
// parse, or whose claim or result cannot be written for a permanent reason
// (anything !IsTransient), is set aside: its state column becomes FAILED
// (written by columns, as its body may be unreadable; the body too when it
// can be), a final page.failed carries what is known (id, incident id, the
// reason), it is logged with page_id and incident_id and counted in
// tocsin_paging_pages_set_aside_total{reason}, and the pass goes on. A
// transient store error (database busy or locked) ends the pass: nothing was
// claimed, nothing counts towards max_attempts, and the due pages are tried
// next pass.
//
// Exactly once, and the one remaining window: a page is claimed and its
// result recorded in two transactions around the delivery. A crash before the
// claim commits leaves the page due (nothing was sent); a crash after the
// result commits leaves nothing to redo. A crash after the channel accepted
// the page but before the result committed cannot be told apart from a crash
// before sending: once the lease expires the page is delivered again, with
// the same Message-ID / Idempotency-Key (the page id) so the receiver can
// drop it; the interrupted attempt is kept and says so. An interrupted
// attempt counts towards max_attempts.
//
// Secrets: the accept code and the ack-link tokens leave the service only
// through the Notifier (to the person paged). Events and Get/List/Accept
// answers carry PublicView(page): no accept code, no token hashes, and the
// webhook URL redacted to its scheme and host (URLs carry tokens).
//
// Thread-safety: every method may be called from any thread;
// DispatchDueDeliveries/RunDueDeliveries passes run one at a time.
#ifndef TOCSIN_SERVICES_PAGING_CORE_H_
#define TOCSIN_SERVICES_PAGING_CORE_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/events/event_type.h"
#include "libs/ids/ids.h"
#include "prometheus/registry.h"
#include "services/paging/code_limiter.h"
#include "services/paging/notifier.h"
#include "services/paging/paging_metrics.h"
#include "services/paging/random.h"
#include "services/paging/store.h"

namespace tocsin::paging {

// The durable consumer of page.requested, also the inbox's consumer name.
inline constexpr char kPageRequestsConsumer[] = "paging-pages";

// How far back a reply's pages are looked for (AcceptReply).
inline constexpr absl::Duration kReplyWindow = absl::Hours(24);
// Receipts a page keeps (the newest).
inline constexpr int kMaxReceipts = 50;

// One rate limit bucket: at most count messages within window.
struct RateLimit {
  int count = 0;
  absl::Duration window;
  bool operator==(const RateLimit& o) const { return count == o.count && window == o.window; }
};

// GoAlert's defaults, per destination number.
inline std::vector<RateLimit> DefaultSmsLimits() {
  return {{5, absl::Minutes(15)}, {11, absl::Hours(1)}, {21, absl::Hours(3)}};
}
inline std::vector<RateLimit> DefaultVoiceLimits() {
  return {{3, absl::Minutes(15)}, {7, absl::Hours(1)}, {15, absl::Hours(3)}};
}

// "5/15m,11/1h,21/3h" (count/duration, durations as absl::ParseDuration
// reads them); "off" or "" is no limit. InvalidArgument naming the bad part.
absl::StatusOr<std::vector<RateLimit>> ParseRateLimits(absl::string_view text);
// "5 per 15 min", "11 per 1 h".
std::string FormatRateLimit(const RateLimit& limit);

// When the next message may go to a destination whose earlier sends (oldest
// first) are `sends`, under `limits`, at `now`: now when no bucket is full;
// otherwise the latest time a full bucket frees a slot, with that bucket.
struct LimitVerdict {
  absl::Time until;
  std::optional<RateLimit> bucket;
};
LimitVerdict NextAllowed(const std::vector<RateLimit>& limits,
                         const std::vector<absl::Time>& sends, absl::Time now);

// Pages one digest message carries at most (the carrier included).
inline constexpr int kMaxDigestPages = 10;

struct PagingOptions {
  // Base of ack links: <public_url>/v1/pages/ack?page=<id>&token=<token>.
  std::string public_url = "http://127.0.0.1:7104";
  // How long a claimed attempt may take before the page is due again; longer
  // than any Notifier's timeout (ValidatePagingOptions).
  absl::Duration lease = absl::Seconds(60);
  absl::Duration retry_base = absl::Seconds(10);
  absl::Duration retry_cap = absl::Minutes(10);
  // Attempts before a page that keeps failing is FAILED.
  int max_attempts = 6;
  // Pages claimed per pass at most (fewer when fewer workers are idle).
  int batch_size = 100;
  // Deliveries that run at once.
  int workers = 8;
  // Wrong accept codes one source may send within wrong_code_window before
  // its code checks are refused (CodeLimiter).
  int max_wrong_codes = 10;
  absl::Duration wrong_code_window = absl::Minutes(15);
  // Per destination number (PagingCore: rate limits); empty: none.
  std::vector<RateLimit> sms_limits = DefaultSmsLimits();
  std::vector<RateLimit> voice_limits = DefaultVoiceLimits();
  // A provider is degraded after degraded_after failures in a row, all
  // within degraded_window; 0: never.
  int degraded_after = 3;
  absl::Duration degraded_window = absl::Minutes(5);
  // Which provider delivers a page ("twilio", "email"; "" for none worth
  // tracking, e.g. webhooks, each its own endpoint). Unset: none is tracked
  // (DispatchingNotifier::Provider is the service's).
  std::function<std::string(const Page&)> provider_of;
  // Where the core's metrics go (PagingMetrics); nullptr: a private registry.
  prometheus::Registry* registry = nullptr;
};

// InvalidArgument naming the option when options cannot work: a lease not
// longer than longest_notifier_timeout (a page would be claimed again while
// its first delivery is still running), non-positive durations or counts,
// retry_cap below retry_base.
absl::Status ValidatePagingOptions(const PagingOptions& options,
                                   absl::Duration longest_notifier_timeout);

// The consumer of incident.resolved, which cancels the incident's pages
// that are not delivered yet; also the inbox's consumer name. Both consumers
// are declared in consumers.h.
inline constexpr char kIncidentsConsumer[] = "paging-incidents";

// One acknowledgement, from a link, the CLI or an API call.
struct AckRequest {
  std::string page_id;
  // Exactly one of token (from the page's ack link) and accept_code (the
  // short code, typed by a person).
  std::string token;
  std::string accept_code;
  // Who acknowledges, for the timeline ("cli:alice", "link"); empty: "api".
  std::string author;
  // The caller verified a provider's signed callback that names this page (a
  // voice key press on the call made for it): no token or accept code is
  // needed (give neither). Only for authenticated provider callbacks.
  bool provider_verified = false;
  // Where the request came from: the client IP of an HTTP request, the gRPC
  // peer address without its port. Wrong accept codes are counted per
  // source (CodeLimiter); empty counts as "unknown".
  std::string source;
};

class PagingCore {
 public:
  // All pointers must outlive the core. Starts options.workers threads.
  PagingCore(PagingStore* store, const Clock* clock, IdGenerator* ids, Random* random,
             Notifier* notifier, PagingOptions options);
  // Shutdown(absl::ZeroDuration()) unless called before, then waits for the
  // workers (a delivery in progress ends within its notifier's timeout).
  ~PagingCore();
  PagingCore(const PagingCore&) = delete;
  PagingCore& operator=(const PagingCore&) = delete;

  // Handles one page.requested envelope. InvalidArgument (the bus
  // dead-letters it) for another payload or a page id that is not 1-128 of
  // letters, digits, '.', '_', '-'; Unavailable when the database is busy.
  absl::Status HandlePageRequested(const Envelope& event);

  // incident.resolved: every page of the incident is marked
  // incident_resolved (nothing to acknowledge any more); those still waiting
  // for a (re)try become CANCELLED, with a final page.failed saying why, so a
  // retrying page never reaches someone after the incident is over. A
  // delivery already in flight finishes, and its result is recorded on the
  // cancelled page. Idempotent (inbox). Unreadable pages are skipped (the
  // delivery pass sets them aside).
  absl::Status HandleIncidentResolved(const Envelope& event);

  // Claims due pages for the idle workers and returns at once: how many were
  // handed to workers. After Shutdown() it claims nothing and answers 0.
  // Unavailable when the database was busy (the pass ended early; the pages
  // handed out before are on their way). Never fails because of one page.
  absl::StatusOr<int> DispatchDueDeliveries();
  // DispatchDueDeliveries(), then waits until every delivery it handed out
  // is recorded; how many attempts were made.
  absl::StatusOr<int> RunDueDeliveries();
  // Waits until no delivery is in flight.
  void WaitForIdle();
  // Stops claiming and waits up to `grace` for the deliveries in flight to
  // finish and record their results; after that, a worker still retrying to
  // record a result gives up (the page is delivered again after its lease,
  // with the same idempotency key). Waits on real time. Idempotent.
  void Shutdown(absl::Duration grace);

  // Acknowledges request.page_id. Answers, changing nothing unless OK:
  //   InvalidArgument  no page id, or not exactly one of token/accept_code;
  //   ResourceExhausted  (accept codes only) too many wrong codes from
  //                    request.source lately: says when to retry, also as
  //                    RetryAfter(status); no code is checked;
  //   NotFound         no such page (counts as a wrong code);
  //   PermissionDenied wrong code (counted for the source) or token;
  //   FailedPrecondition the page was cancelled, failed, or its incident is
  //                    resolved: "page pg-1 was cancelled: incident inc-1 is
  //                    resolved; nothing to acknowledge"; or it carries a
  //                    channel's activation code (nothing to acknowledge);
  //   OK               ACKNOWLEDGED now (page.acknowledged), or before: the
  //                    page as it is (who and when).
  // Tokens are unguessable (256 bits) and not limited; codes are.
  absl::StatusOr<Page> AcceptPage(const AckRequest& request);
  // The same checks as AcceptPage (a wrong code is counted), acknowledging
  // nothing: what an ack link shows before it is confirmed.
  absl::StatusOr<Page> CheckAck(const AckRequest& request);

  // A reply (an SMS) from `number` whose text should carry an accept code:
  // among the pages sent to that number within kReplyWindow (newest first,
  // activation pages left out), acknowledges the newest whose accept code is
  // one of the digit runs in text, as AcceptPage with that code, author and
  // source `author` ("sms:+81312345678"). Answers:
  //   InvalidArgument  text carries no run of 4 or more digits (not an
  //                    attempt at a code: answer with help);
  //   NotFound         no page was sent to number within kReplyWindow;
  //   otherwise        what AcceptPage answers: a code that matches none of
  //                    them is tried against the newest page (PermissionDenied,
  //                    counted for the source), ResourceExhausted when the
  //                    source used up its wrong codes, OK now or before.
  absl::StatusOr<Page> AcceptReply(const std::string& number, absl::string_view text,
                                   const std::string& author);

  // Appends a provider's delivery report to the page (time: now when unset;
  // detail and provider made valid UTF-8 and bounded); a page keeps its
  // newest kMaxReceipts. NotFound when there is no such page,
  // FailedPrecondition when its stored record cannot be read.
  absl::StatusOr<Page> RecordReceipt(const std::string& page_id, v1::Receipt receipt);

  // NotFound when the page does not exist. A page whose stored row cannot
  // be read answers as FAILED with the reason in its last attempt's detail
  // (attempt number 0), so one bad row never hides the others.
  absl::StatusOr<Page> GetPage(const std::string& page_id);
  // Pages not delivered yet (PENDING: due now or waiting for a retry), for
  // the tocsin_paging_pages_waiting gauge.
  absl::StatusOr<double> CountPagesWaiting();

  // The incident's pages, oldest first (unreadable ones as in GetPage);
  // InvalidArgument for an empty id.
  absl::StatusOr<std::vector<Page>> ListPages(const std::string& incident_id);

  // The providers degraded now, one line each ("twilio: 3 failures in a row
  // since 10:42:00 UTC, last: ..."), joined by "; "; "" when none is (for
  // a /readyz detail).
  std::string DegradedProviders() const;

  // Forgets rate-limit sends older than every window (a pruner).
  absl::StatusOr<int64_t> PruneSends(absl::Time before);

  // The link that acknowledges page_id with token.
  std::string AckUrl(const std::string& page_id, const std::string& token) const;

 private:
  // A page claimed for one attempt, with the token of its link.
  struct Claimed {
    Page page;
    int number = 0;
    std::string token;
  };
  // Deliveries handed out by one pass, for RunDueDeliveries to wait on.
  struct Pass {
    absl::Mutex mu;
    int remaining ABSL_GUARDED_BY(mu) = 0;
  };

  absl::StatusOr<int> Dispatch(const std::shared_ptr<Pass>& pass);
  // A PENDING page due at `now`, claimed for one attempt; nullopt when it is
  // not due (any more).
  absl::StatusOr<std::optional<Claimed>> Claim(const std::string& page_id, absl::Time now);
  // Runs on a worker: delivers, then records the result.
  void Deliver(const Claimed& claimed);
  // Records the result of attempt `number`.
  // accepted: the attempt's detail when result is OK.
  // fall_through: the provider is degraded; a failure carries this error
  // and fall_through (it is still retried).
  absl::Status RecordResult(const std::string& page_id, int number, const absl::Status& result,
                            const std::string& accepted = kAcceptedByTheChannel,
                            const std::string& fall_through = "");
  // RecordResult until it commits, a permanent error sets the page aside, or
  // Shutdown gives up.
  void RecordWithRetry(const Claimed& claimed, const absl::Status& result,
                       const std::string& accepted, const std::string& fall_through);
  // Rate limits and digests inside Claim's transaction: nullopt when page
  // is held (written, page.held emitted if it is its first hold) or waits
  // for the digest it is in; otherwise the page to send (page itself or an
  // older held one that carries the digest), with its members' ids.
  struct ToSend {
    Page page;
    std::vector<Page> members;
  };
  absl::StatusOr<std::optional<ToSend>> ApplyLimits(PagingStore::Tx& tx, Page page,
                                                    absl::Time now, bool& held);
  // After a carrier's result: its members DELIVERED (ok) or released.
  absl::Status SettleDigest(PagingStore::Tx& tx, const Page& carrier, bool ok);
  std::string ProviderOf(const Page& page) const;
  // Notes a delivery result of provider at now; the fall-through error when
  // the provider is degraded (after this result), "" otherwise.
  std::string NoteProviderResult(const std::string& provider, const Page& page,
                                 const absl::Status& result, absl::Time now);
  // Sets a PENDING page aside as FAILED (see the file comment); reason is
  // the metric label. Failures are logged, never returned.
  void SetAside(const std::string& page_id, const std::string& reason,
                const absl::Status& why);
  absl::StatusOr<Page> Acknowledge(const AckRequest& request, bool commit);
  void WorkerLoop();
  absl::Duration RetryDelay(int failed_attempts);
  std::string NewAcceptCode();
  // The envelope of an event about page (defined in core.cc, its only user).
  template <typename T>
  Envelope NewEvent(const events::EventType<T>& type, const Page& page, const T& payload);
  // Runs a write (its commit wakes the outbox relay).
  absl::Status Write(const std::function<absl::Status(PagingStore::Tx&)>& body);

  PagingStore* const store_;
  const Clock* const clock_;
  IdGenerator* const ids_;
  Random* const random_;
  Notifier* const notifier_;
  const PagingOptions options_;
  const CodeLimiter limiter_;
  std::unique_ptr<prometheus::Registry> own_registry_;
  PagingMetrics metrics_;

  // One dispatch pass at a time.
  absl::Mutex dispatch_mu_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  // Deliveries queued or running.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Shutdown() began: claim nothing more.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Shutdown()'s grace is over: stop retrying to record results.
  bool give_up_ ABSL_GUARDED_BY(mu_) = false;
  // The destructor: workers return once the queue is empty.
  bool stop_workers_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;

  // Delivery failures in a row, per provider (in memory: a restart starts
  // afresh, and the next failures degrade it again).
  struct ProviderHealth {
    std::deque<absl::Time> failures;
    bool degraded = false;
    absl::Time since;
    std::string last_error;
  };
  mutable absl::Mutex health_mu_;
  std::map<std::string, ProviderHealth> health_ ABSL_GUARDED_BY(health_mu_);
};

// The page as events and API answers carry it: without its accept code and
// token hashes, with its webhook URL redacted.
Page PublicView(Page page);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CORE_H_
