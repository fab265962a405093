// Notifier: hands one page to one channel (email, webhook, ...). The paging
// core calls it outside any database transaction, once per delivery attempt,
// possibly from several worker threads at once, and reads the result to
// decide what comes next. Results are classified with IsTransient
// (libs/status/retry.h), the one classification every retry loop uses:
//
//   OK                   the channel accepted the page (SMTP server took the
//                        mail, webhook answered 2xx): DELIVERED;
//   transient            Unavailable (unreachable, 5xx), DeadlineExceeded
//                        (timed out, 408), ResourceExhausted (429): retried
//                        with backoff, at most max_attempts tries;
//   anything else        permanent (IsPermanentFailure): the channel refused
//                        this page for good (FailedPrecondition: a rejected
//                        recipient, a webhook's other 4xx; InvalidArgument: a
//                        channel without a usable destination): FAILED at
//                        once.
//
// Messages may quote what the remote answered; the core makes them valid
// UTF-8 and bounded (text::Untrusted) before storing or logging them, but
// implementations must never put a credential in one (redact URLs).
//
// ack_url is the link that acknowledges the page (it carries the page id and
// a token). Implementations send the same page id as their de-duplication key
// (Message-ID, Idempotency-Key) on every attempt, so a receiver can drop a
// repeat. Deliver may block up to the implementation's timeout (which must
// stay below the core's lease); implementations are thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_NOTIFIER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/status/retry.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::paging {

// An accepted attempt's detail when the channel says nothing more.
inline constexpr char kAcceptedByTheChannel[] = "accepted by the channel";

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) = 0;
  // Deliver, also telling, when the channel accepted the page, what it said
  // for the attempt's detail (a provider's id for the message: "accepted by
  // Twilio: SM..."); the core calls this one. The default calls Deliver and
  // answers kAcceptedByTheChannel.
  virtual absl::StatusOr<std::string> DeliverWithDetail(const paging::v1::Page& page,
                                                        const std::string& ack_url) {
    absl::Status status = Deliver(page, ack_url);
    if (!status.ok()) return status;
    return std::string(kAcceptedByTheChannel);
  }
};

// Whether a Deliver error means "do not retry this page".
inline bool IsPermanentFailure(const absl::Status& status) {
  return !status.ok() && !IsTransient(status);
}

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_NOTIFIER_H_
