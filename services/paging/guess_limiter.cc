#include "services/paging/guess_limiter.h"

#include "absl/strings/str_cat.h"

namespace tocsin::paging {

absl::Status GuessLimiter::Check(const std::string& page_id) {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  auto it = tries_.find(page_id);
  if (it == tries_.end() || it->second.wrong < max_wrong_) return absl::OkStatus();
  const absl::Time until = it->second.first + window_;
  if (now >= until) {
    tries_.erase(it);
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "too many wrong accept codes for page \"", page_id, "\" (", max_wrong_, " in ",
      absl::FormatDuration(window_), "); try again in ",
      absl::FormatDuration(absl::Ceil(until - now, absl::Seconds(1)))));
}

void GuessLimiter::RecordWrong(const std::string& page_id) {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  if (tries_.size() > 10000) PruneLocked(now);
  Tries& t = tries_[page_id];
  if (t.wrong == 0 || now >= t.first + window_) t = Tries{0, now};
  ++t.wrong;
}

void GuessLimiter::RecordRight(const std::string& page_id) {
  absl::MutexLock l(&mu_);
  tries_.erase(page_id);
}

void GuessLimiter::PruneLocked(absl::Time now) {
  absl::erase_if(tries_, [&](const auto& entry) { return now >= entry.second.first + window_; });
}

}  // namespace tocsin::paging
