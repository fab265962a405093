// A child process for tests that run real binaries (testonly).
//
//   ASSERT_OK_AND_ASSIGN(
//       std::unique_ptr<Process> server,
//       Process::Start(RunfilePath("services/incidents/incidents"),
//                      {"--port=0"}, {{"TOCSIN_DB", db}}, dir + "/log"));
//   ...
//   EXPECT_OK(server->Terminate(absl::Seconds(5)));
//
// The child runs with the parent's environment plus extra_env, its stdout
// and stderr appended to log_path, in its own process group. Signals go to
// the whole group, so helpers the child forks go too. The child gets
// SIGKILL when the thread that started it exits (PR_SET_PDEATHSIG), so a
// crashed test leaks nothing: start processes from the test's main thread.
// Destroying a Process kills and reaps it. Not thread-safe: one owner.
#ifndef TOCSIN_LIBS_TESTING_PROCESS_H_
#define TOCSIN_LIBS_TESTING_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tocsin::testing {

class Process {
 public:
  // binary is a path, or a bare name looked up in PATH. args exclude argv[0].
  // NotFound when the binary does not exist or cannot be executed.
  static absl::StatusOr<std::unique_ptr<Process>> Start(
      const std::string& binary, const std::vector<std::string>& args,
      const std::map<std::string, std::string>& extra_env,
      const std::string& log_path);

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }

  // Sends signal to the child's process group. After SIGKILL, also waits
  // until the child is gone (reaped).
  void Kill(int signal = SIGKILL);

  // SIGTERM, then SIGKILL if the child has not exited after grace. OK when it
  // exited within grace; DeadlineExceeded when it had to be killed. Either
  // way the child is gone afterwards.
  absl::Status Terminate(absl::Duration grace);

  // Waits up to timeout for the child to exit and returns its wait status
  // (use WIFEXITED/WEXITSTATUS). DeadlineExceeded if it is still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Whether the child has not exited yet.
  bool Running();

  // Everything the child wrote to stdout and stderr so far.
  std::string LogContents() const;

 private:
  Process(pid_t pid, std::string log_path)
      : pid_(pid), log_path_(std::move(log_path)) {}

  // Reaps the child if it has exited; blocking waits until it does.
  void Reap(bool blocking);

  const pid_t pid_;
  const std::string log_path_;
  // Set once the child has been reaped.
  std::optional<int> wait_status_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_PROCESS_H_
