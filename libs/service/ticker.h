// Ticker: calls a function on its own thread every `interval`, and at once
// when Wake() is called; stops (and joins) on destruction. Services use it to
// fire durable timers: the function reads due rows from the database and the
// injected clock, so the schedule survives restarts and tests drive the same
// function directly instead of waiting.
#ifndef TOCSIN_LIBS_SERVICE_TICKER_H_
#define TOCSIN_LIBS_SERVICE_TICKER_H_

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tocsin::service {

class Ticker {
 public:
  Ticker(absl::Duration interval, std::function<void()> tick);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  // Runs tick as soon as possible (coalesces with a pending wake).
  void Wake();

 private:
  void Loop();

  const absl::Duration interval_;
  const std::function<void()> tick_;
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tocsin::service

#endif  // TOCSIN_LIBS_SERVICE_TICKER_H_
