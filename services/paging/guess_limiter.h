// GuessLimiter: bounds wrong accept codes per page. After `max_wrong` wrong
// codes for one page within `window`, further tries for that page are
// refused (ResourceExhausted, saying when to retry) until the window has
// passed since the first of them. Accept codes are 8 random digits; at 5
// tries a minute per page, guessing one takes decades.
//
// In memory and per process, on the injected clock: it changes no stored
// state, so a wrong code still changes nothing a user can see. Thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_GUESS_LIMITER_H_
#define TOCSIN_SERVICES_PAGING_GUESS_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace tocsin::paging {

class GuessLimiter {
 public:
  explicit GuessLimiter(const Clock* clock, int max_wrong = 5,
                        absl::Duration window = absl::Minutes(1))
      : clock_(clock), max_wrong_(max_wrong), window_(window) {}

  // OK unless the page is locked out now.
  absl::Status Check(const std::string& page_id);
  void RecordWrong(const std::string& page_id);
  // A right code clears the page's count.
  void RecordRight(const std::string& page_id);

 private:
  struct Tries {
    int wrong = 0;
    absl::Time first;
  };
  // Drops windows that have passed (keeps memory bounded).
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  const int max_wrong_;
  const absl::Duration window_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Tries> tries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_GUESS_LIMITER_H_
