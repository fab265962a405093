// Random: the paging service's only source of randomness (accept codes,
// ack-link tokens and retry jitter), injected so tests are deterministic.
//
//   SecureRandom random;                       // main(): OpenSSL's CSPRNG
//   uint64_t digit = random.Below(10);         // 0..9
//   std::string key = random.Bytes(32);        // 256 random bits
//
// Tests use FixedRandom (fake_random.h) instead.
#ifndef TOCSIN_SERVICES_PAGING_RANDOM_H_
#define TOCSIN_SERVICES_PAGING_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tocsin::paging {

class Random {
 public:
  virtual ~Random() = default;
  // A uniformly distributed integer in [0, n); n must be > 0.
  virtual uint64_t Below(uint64_t n) = 0;
  // n uniformly random bytes.
  virtual std::string Bytes(size_t n) = 0;
};

// Cryptographically secure (accept codes and link tokens must not be
// guessable), from OpenSSL's RAND_bytes with rejection sampling. Thread-safe.
// Aborts if the system cannot provide randomness, which no retry would fix.
class SecureRandom final : public Random {
 public:
  uint64_t Below(uint64_t n) override;
  std::string Bytes(size_t n) override;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_RANDOM_H_
