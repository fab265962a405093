#include "services/paging/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace tocsin::paging {
namespace {

void Fill(unsigned char* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    fprintf(stderr, "SecureRandom: RAND_bytes failed; no randomness available\n");
    abort();
  }
}

}  // namespace

uint64_t SecureRandom::Below(uint64_t n) {
  // Values at or above `limit` would favour small results; draw again.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % n;
  while (true) {
    uint64_t value = 0;
    Fill(reinterpret_cast<unsigned char*>(&value), sizeof(value));
    if (value < limit) return value % n;
  }
}

std::string SecureRandom::Bytes(size_t n) {
  std::string out(n, '\0');
  Fill(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

}  // namespace tocsin::paging
