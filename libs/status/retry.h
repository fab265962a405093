// Transient or permanent: the one classification every retry loop in Tocsin
// uses (bus consumers, the outbox relay, deliveries, timers).
//
// Transient failures may succeed later without anyone changing anything: a
// busy or locked database, a full disk, the bus or a provider unreachable, a
// timeout, a conflict to retry, a rate limit. They are retried with backoff
// for as long as it takes and never count towards a dead letter.
//
// Everything else is permanent: the input is wrong (InvalidArgument), refers
// to nothing (NotFound), is refused by state (FailedPrecondition, AlreadyExists,
// PermissionDenied, Unauthenticated, OutOfRange), cannot be read (DataLoss), or
// is a bug (Internal, Unimplemented, Unknown). A permanent failure is set
// aside after bounded tries (a dead letter, a FAILED state) so it never blocks
// the items after it.
#ifndef TOCSIN_LIBS_STATUS_RETRY_H_
#define TOCSIN_LIBS_STATUS_RETRY_H_

#include "absl/status/status.h"

namespace tocsin {

inline bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

}  // namespace tocsin

#endif  // TOCSIN_LIBS_STATUS_RETRY_H_
