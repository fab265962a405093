// PagingCore: the paging service's behaviour, independent of gRPC, HTTP and
// the database engine. It turns page.requested events into pages, delivers
// them through a Notifier with retries, and takes acknowledgements; every
// change is emitted as an event through the store's outbox in the same
// transaction.
//
// A page's life:
//   HandlePageRequested  (consumer "paging-pages") records the event in the
//                        inbox and inserts the page once by page id, PENDING,
//                        with a fresh 8-digit accept code, due now. A
//                        redelivered event or a second page.requested for the
//                        same page id changes nothing.
//   RunDueDeliveries     (main calls it from a Ticker; tests after moving a
//                        FakeClock) for each PENDING page that is due:
//                        1. claims it in a transaction: a new attempt, in
//                           progress, and the page due again after `lease`;
//                           emits page.sent;
//                        2. calls the Notifier outside any transaction;
//                        3. records the result in a transaction: DELIVERED
//                           (page.delivered); or a retry after an exponential
//                           backoff with full jitter (retry_base * 2^(n-1),
//                           capped at retry_cap, times a random fraction)
//                           (page.failed, final=false); or FAILED after
//                           max_attempts or a permanent error (page.failed,
//                           final=true).
//                        An ACKNOWLEDGED page is never claimed; one
//                        acknowledged during its delivery keeps its state
//                        (the attempt is still recorded).
//   AcceptPage           acknowledges with the page's accept code (compared
//                        in constant time): ACKNOWLEDGED, page.acknowledged.
//                        A second accept answers the page as it is.
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
// The accept code leaves the service only through the Notifier (to the
// person paged): events and Get/List/Accept answers carry pages without it.
#ifndef TOCSIN_SERVICES_PAGING_CORE_H_
#define TOCSIN_SERVICES_PAGING_CORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "services/paging/guess_limiter.h"
#include "libs/ids/ids.h"
#include "services/paging/notifier.h"
#include "services/paging/random.h"
#include "services/paging/store.h"

namespace tocsin::paging {

// The durable consumer of page.requested, also the inbox's consumer name.
inline constexpr char kPageRequestsConsumer[] = "paging-pages";

struct PagingOptions {
  // Base of ack links: <public_url>/v1/pages/ack?page=<id>&code=<code>.
  std::string public_url = "http://127.0.0.1:7104";
  // How long a claimed attempt may take before the page is due again; longer
  // than any Notifier's timeout.
  absl::Duration lease = absl::Seconds(60);
  absl::Duration retry_base = absl::Seconds(10);
  absl::Duration retry_cap = absl::Minutes(10);
  // Attempts before a page that keeps failing is FAILED.
  int max_attempts = 6;
  // Pages looked at per RunDueDeliveries() pass.
  int batch_size = 100;
  // Called after every committed write that emitted events (wakes the
  // outbox relay).
  std::function<void()> on_commit;
};

// The consumer options main subscribes HandlePageRequested with.
bus::ConsumerOptions PageRequestsConsumerOptions();

// The consumer of incident.resolved, which cancels the incident's pages
// that are not delivered yet.
inline constexpr char kIncidentsConsumer[] = "paging-incidents";
bus::ConsumerOptions IncidentResolvedConsumerOptions();

class PagingCore {
 public:
  // All pointers must outlive the core.
  PagingCore(PagingStore* store, const Clock* clock, IdGenerator* ids, Random* random,
             Notifier* notifier, PagingOptions options);

  // Handles one page.requested envelope. InvalidArgument (the bus
  // dead-letters it) for another payload or a page id that is not 1-128 of
  // letters, digits, '.', '_', '-'.
  absl::Status HandlePageRequested(const Envelope& event);

  // Delivers every page due now (at most batch_size); returns how many
  // delivery attempts were made. Call from one thread at a time.
  // incident.resolved: every page of the incident still waiting for a
  // (re)try becomes CANCELLED, with a final page.failed saying why, so a
  // retrying page never reaches someone after the incident is over. A
  // delivery already in flight finishes, and its result is recorded on the
  // cancelled page. Idempotent (inbox).
  absl::Status HandleIncidentResolved(const Envelope& event);

  absl::StatusOr<int> RunDueDeliveries();

  // InvalidArgument when page_id or accept_code is empty; NotFound when the
  // page does not exist; PermissionDenied for a wrong code (nothing
  // changes). author says who ("cli:alice", "link"); empty means "api".
  absl::StatusOr<Page> AcceptPage(const std::string& page_id, const std::string& accept_code,
                                  const std::string& author);
  // The same checks as AcceptPage, changing nothing (what an ack link shows
  // before it is confirmed).
  absl::StatusOr<Page> CheckAcceptCode(const std::string& page_id,
                                       const std::string& accept_code);

  // NotFound when the page does not exist.
  absl::StatusOr<Page> GetPage(const std::string& page_id);
  // The incident's pages, oldest first; InvalidArgument for an empty id.
  absl::StatusOr<std::vector<Page>> ListPages(const std::string& incident_id);

  // The link that acknowledges page (carries its accept code).
  std::string AckUrl(const Page& page) const;

 private:
  // A PENDING page due at `now`, claimed for one attempt; nullopt when it is
  // not due (any more).
  absl::StatusOr<std::optional<Page>> Claim(const std::string& page_id, absl::Time now);
  // Records the result of attempt `number`.
  absl::Status RecordResult(const std::string& page_id, int number, const absl::Status& result);
  absl::Duration RetryDelay(int failed_attempts);
  std::string NewAcceptCode();
  Envelope NewEvent(const std::string& type, const Page& page,
                    const google::protobuf::Message& payload);
  // Runs a write and calls on_commit after it committed.
  absl::Status Write(const std::function<absl::Status(PagingStore::Tx&)>& body);

  PagingStore* const store_;
  const Clock* const clock_;
  IdGenerator* const ids_;
  Random* const random_;
  Notifier* const notifier_;
  const PagingOptions options_;
  // Counts a code check's outcome for the guess limiter; returns status.
  absl::Status CountGuess(const std::string& page_id, absl::Status status);
  GuessLimiter guesses_{clock_};
};

// The page without its accept code: what events and API answers carry.
Page WithoutAcceptCode(Page page);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CORE_H_
