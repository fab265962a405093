#include "services/paging/code_limiter.h"

#include <algorithm>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace tocsin::paging {

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRetryAfterPayload);
  int64_t seconds = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &seconds)) {
    return std::nullopt;
  }
  return absl::Seconds(seconds);
}

absl::Status CodeLimiter::Check(PagingStore::Tx& tx, const std::string& source,
                                absl::Time now) const {
  ASSIGN_OR_RETURN(std::vector<absl::Time> wrong,
                   tx.WrongCodesSince(source, now - options_.window));
  const int n = static_cast<int>(wrong.size());
  const int max_wrong = std::max(1, options_.max_wrong);
  if (n < max_wrong) return absl::OkStatus();
  // The source may try again once enough of its wrong codes have aged out
  // of the window to leave it one below the limit.
  const absl::Time until = wrong[n - max_wrong] + options_.window;
  const absl::Duration wait = absl::Ceil(until - now, absl::Seconds(1));
  absl::Status refused = absl::ResourceExhaustedError(absl::StrCat(
      "too many wrong accept codes from ", source, " (", max_wrong, " in ",
      absl::FormatDuration(options_.window), "); try again in ", absl::FormatDuration(wait)));
  refused.SetPayload(kRetryAfterPayload,
                     absl::Cord(absl::StrCat(absl::ToInt64Seconds(wait))));
  return refused;
}

absl::Status CodeLimiter::RecordWrong(PagingStore::Tx& tx, const std::string& source,
                                      absl::Time now) const {
  RETURN_IF_ERROR(tx.PruneWrongCodes(now - options_.window));
  return tx.RecordWrongCode(source, now);
}

}  // namespace tocsin::paging
