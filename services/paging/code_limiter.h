// CodeLimiter: bounds wrong accept codes per source (the client address of
// an HTTP request, the gRPC peer address), never per page, so a stranger's
// wrong codes never lock a responder out of their own page.
//
// After max_wrong wrong codes from one source within window, that source's
// code checks are refused (ResourceExhausted, saying when to retry, with the
// delay also in the status payload kRetryAfterPayload) until the oldest of
// them is window old. Right codes do not reset the count (a guesser with one
// page of their own gains nothing). Accept codes are 8 random digits: at 10
// tries per 15 minutes per source, guessing one takes a source centuries.
//
// Counts are rows in the paging database (PagingStore::Tx RecordWrongCode /
// WrongCodesSince), so a restart or a second replica does not reset them;
// rows older than window are pruned as new ones are written. Works inside
// the caller's Write() body, on the caller's clock reading.
//
//   CodeLimiter limiter({.max_wrong = 10, .window = absl::Minutes(15)});
//   RETURN_IF_ERROR(limiter.Check(tx, source, now));   // before checking a code
//   if (!right) RETURN_IF_ERROR(limiter.RecordWrong(tx, source, now));
//
// Stateless apart from its options: thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_CODE_LIMITER_H_
#define TOCSIN_SERVICES_PAGING_CODE_LIMITER_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/paging/store.h"

namespace tocsin::paging {

// The status payload (type URL) that carries "retry after N seconds" as
// decimal text on a ResourceExhausted from the limiter.
inline constexpr char kRetryAfterPayload[] = "type.tocsin.dev/tocsin.RetryAfterSeconds";

// The delay a status says to wait before retrying (kRetryAfterPayload), if
// it says one.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

struct CodeLimiterOptions {
  // Wrong codes from one source allowed within window; the next check is
  // refused.
  int max_wrong = 10;
  absl::Duration window = absl::Minutes(15);
};

class CodeLimiter {
 public:
  explicit CodeLimiter(CodeLimiterOptions options) : options_(options) {}

  // OK unless source has used up its wrong codes at `now`: then
  // ResourceExhausted "too many wrong accept codes from <source> (10 in
  // 15m); try again in 14m2s", with kRetryAfterPayload.
  absl::Status Check(PagingStore::Tx& tx, const std::string& source, absl::Time now) const;
  // Counts one wrong code from source at `now` (and prunes expired ones).
  absl::Status RecordWrong(PagingStore::Tx& tx, const std::string& source,
                           absl::Time now) const;

  const CodeLimiterOptions& options() const { return options_; }

 private:
  const CodeLimiterOptions options_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CODE_LIMITER_H_
