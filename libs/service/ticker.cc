#include "libs/service/ticker.h"

namespace tocsin::service {

Ticker::Ticker(absl::Duration interval, std::function<void()> tick)
    : interval_(interval), tick_(std::move(tick)), thread_([this] { Loop(); }) {}

Ticker::~Ticker() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void Ticker::Wake() {
  absl::MutexLock l(&mu_);
  woken_ = true;
}

void Ticker::Loop() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), interval_);
      if (stop_) return;
      woken_ = false;
    }
    tick_();
  }
}

}  // namespace tocsin::service
