// FixedRandom: a Random for tests (testonly) that answers from a script, so
// accept codes, link tokens and retry delays are known in advance.
//
//   FixedRandom random;                 // Below(n) answers n - 1: the largest
//                                       // value, so jitter = the full backoff
//   random.Script({12345678});          // the next Below() answers 12345678 % n
//   random.Bytes(32);                   // 32 bytes of value 1, then of 2, ...
#ifndef TOCSIN_SERVICES_PAGING_FAKE_RANDOM_H_
#define TOCSIN_SERVICES_PAGING_FAKE_RANDOM_H_

#include <cstdint>
#include <deque>
#include <string>
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

  // The k-th call (from 1) answers n bytes of value k % 256: distinct and
  // predictable, independent of the Below() script.
  std::string Bytes(size_t n) override {
    absl::MutexLock l(&mu_);
    ++bytes_calls_;
    return std::string(n, static_cast<char>(bytes_calls_ & 0xff));
  }

 private:
  absl::Mutex mu_;
  std::deque<uint64_t> script_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_FAKE_RANDOM_H_
