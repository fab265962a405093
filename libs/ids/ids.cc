#include "libs/ids/ids.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tocsin {

std::string RandomIdGenerator::Next(absl::string_view prefix) {
  uint64_t random;
  {
    absl::MutexLock l(&mu_);
    random = absl::Uniform<uint64_t>(gen_);
  }
  int64_t ms = absl::ToUnixMillis(clock_->Now());
  return absl::StrFormat("%s-%012x%016x", prefix, ms, random);
}

std::string SequentialIdGenerator::Next(absl::string_view prefix) {
  absl::MutexLock l(&mu_);
  return absl::StrCat(prefix, "-", next_++);
}

}  // namespace tocsin
