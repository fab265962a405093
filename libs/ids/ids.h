// Identifiers for incidents, timeline entries and events.
//
// Ids are "<prefix>-" + 12 hex digits of milliseconds since the epoch + 16
// random hex digits, so they sort by creation time and never collide in
// practice. Code takes an IdGenerator so tests can use predictable ids.
#ifndef TOCSIN_LIBS_IDS_IDS_H_
#define TOCSIN_LIBS_IDS_IDS_H_

#include <cstdint>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"

namespace tocsin {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string Next(absl::string_view prefix) = 0;
};

// Time-ordered random ids. Thread-safe.
class RandomIdGenerator final : public IdGenerator {
 public:
  explicit RandomIdGenerator(const Clock* clock) : clock_(clock) {}
  std::string Next(absl::string_view prefix) override;

 private:
  const Clock* clock_;
  absl::Mutex mu_;
  absl::BitGen gen_;
};

// "<prefix>-1", "<prefix>-2", ... Thread-safe. For tests.
class SequentialIdGenerator final : public IdGenerator {
 public:
  std::string Next(absl::string_view prefix) override;

 private:
  absl::Mutex mu_;
  int64_t next_ = 1;
};

}  // namespace tocsin

#endif  // TOCSIN_LIBS_IDS_IDS_H_
