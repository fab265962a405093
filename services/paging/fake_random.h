// FixedRandom: a Random for tests (testonly) that answers from a script, so
// accept codes and retry delays are known in advance.
//
//   FixedRandom random;                 // Below(n) answers n - 1: the largest
//                                       // value, so jitter = the full backoff
//   random.Script({12345678});          // the next Below() answers 12345678 % n
#ifndef TOCSIN_SERVICES_PAGING_FAKE_RANDOM_H_
#define TOCSIN_SERVICES_PAGING_FAKE_RANDOM_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/paging/random.h"

namespace tocsin::paging {

class FixedRandom final : public Random {
 public:
  // Scripted values are used first, in order (each reduced modulo n); then
  // every call answers n - 1.
  void Script(const std::vector<uint64_t>& values) {
    absl::MutexLock l(&mu_);
    script_.insert(script_.end(), values.begin(), values.end());
  }

  uint64_t Below(uint64_t n) override {
    absl::MutexLock l(&mu_);
    if (script_.empty()) return n - 1;
    uint64_t value = script_.front() % n;
    script_.pop_front();
    return value;
  }

 private:
  absl::Mutex mu_;
  std::deque<uint64_t> script_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_FAKE_RANDOM_H_
