#include "services/paging/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace tocsin::paging {

uint64_t SecureRandom::Below(uint64_t n) {
  // Values at or above `limit` would favour small results; draw again.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % n;
  while (true) {
    uint64_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof(value)) != 1) {
      fprintf(stderr, "SecureRandom: RAND_bytes failed; no randomness available\n");
      abort();
    }
    if (value < limit) return value % n;
  }
}

}  // namespace tocsin::paging
