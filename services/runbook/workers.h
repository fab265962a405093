// Workers: a fixed number of threads running closures in the order given,
// for the engine's advances (a tocsin:http call or a command may take up to
// its timeout, so one slow step never holds up the other executions).
//
// Run() never blocks. Destruction stops taking work, drops what has not
// started (the engine's timers are rows: it runs again after a restart) and
// joins the threads, waiting for the closures that run. Thread-safe.
#ifndef TOCSIN_SERVICES_RUNBOOK_WORKERS_H_
#define TOCSIN_SERVICES_RUNBOOK_WORKERS_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tocsin::runbook {

class Workers {
 public:
  explicit Workers(int threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void Run(std::function<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_WORKERS_H_
