// Notifier: hands one page to one channel (email, webhook, ...). The paging
// core calls it outside any database transaction, once per delivery attempt,
// and reads the result to decide what comes next:
//
//   OK                   the channel accepted the page (SMTP server took the
//                        mail, webhook answered 2xx): DELIVERED;
//   IsPermanentFailure   the channel refused this page for good (a rejected
//                        recipient, a webhook's 4xx other than 408/429, a
//                        channel without destination): FAILED at once;
//   anything else        transient (Unavailable: unreachable, timed out, 5xx,
//                        408, 429): retried with backoff.
//
// ack_url is the link that acknowledges the page (it carries the page id and
// its accept code). Implementations send the same page id as their
// de-duplication key (Message-ID, Idempotency-Key) on every attempt, so a
// receiver can drop a repeat. Deliver may block up to the implementation's
// timeout; implementations are thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_NOTIFIER_H_

#include <string>

#include "absl/status/status.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::paging {

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) = 0;
};

// Whether a Deliver error means "do not retry this page".
inline bool IsPermanentFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_NOTIFIER_H_
