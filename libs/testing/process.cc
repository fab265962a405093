#include "libs/testing/process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/testing/ports.h"

extern char** environ;

namespace tocsin::testing {
namespace {

bool IsExecutable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

absl::StatusOr<std::string> ResolveBinary(const std::string& binary) {
  if (binary.find('/') != std::string::npos) {
    if (IsExecutable(binary)) return binary;
    return absl::NotFoundError(
        absl::StrCat("no executable file at \"", binary, "\""));
  }
  const char* path = getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", binary);
    if (IsExecutable(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("\"", binary, "\" is not in PATH (",
                                          path != nullptr ? path : "", ")"));
}

// The parent's environment with extra_env added or replaced, as NAME=VALUE.
std::vector<std::string> ChildEnvironment(
    const std::map<std::string, std::string>& extra_env) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view name = absl::string_view(*entry).substr(
        0, absl::string_view(*entry).find('='));
    if (extra_env.count(std::string(name)) == 0) env.emplace_back(*entry);
  }
  for (const auto& [name, value] : extra_env) {
    env.push_back(absl::StrCat(name, "=", value));
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void ExecChild(pid_t parent, int stdin_fd, int log_fd,
                            int error_fd, const char* path, char** argv,
                            char** envp) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before prctl took effect.
  if (getppid() != parent) _exit(127);
  // Dispositions set to SIG_IGN and blocked signals survive execve; the
  // child should start as if launched from a shell.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
      dup2(log_fd, STDERR_FILENO) < 0) {
    int error = errno;
    (void)!write(error_fd, &error, sizeof(error));
    _exit(127);
  }
  execve(path, argv, envp);
  int error = errno;
  (void)!write(error_fd, &error, sizeof(error));
  _exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> Process::Start(
    const std::string& binary, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& extra_env,
    const std::string& log_path) {
  absl::StatusOr<std::string> path = ResolveBinary(binary);
  if (!path.ok()) return path.status();

  // Everything the child needs is allocated before fork: a multi-threaded
  // parent's child may only make async-signal-safe calls.
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = ChildEnvironment(extra_env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);

  int log_fd = open(log_path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open log file \"", log_path, "\": ", strerror(errno)));
  }
  int stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error_pipe[2];
  if (stdin_fd < 0 || pipe2(error_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close(log_fd);
    if (stdin_fd >= 0) close(stdin_fd);
    return absl::InternalError(
        absl::StrCat("preparing to start ", binary, ": ", strerror(error)));
  }

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(parent, stdin_fd, log_fd, error_pipe[1], path->c_str(),
              argv.data(), envp.data());
  }
  int fork_error = errno;
  close(log_fd);
  close(stdin_fd);
  close(error_pipe[1]);
  if (pid < 0) {
    close(error_pipe[0]);
    return absl::InternalError(
        absl::StrCat("fork for ", binary, ": ", strerror(fork_error)));
  }
  // Also from the parent, so the group exists before Start returns.
  setpgid(pid, pid);

  // The pipe closes on a successful execve; otherwise it carries errno.
  int exec_error = 0;
  ssize_t n;
  do {
    n = read(error_pipe[0], &exec_error, sizeof(exec_error));
  } while (n < 0 && errno == EINTR);
  close(error_pipe[0]);
  auto process = std::unique_ptr<Process>(new Process(pid, log_path));
  if (n > 0) {
    process->Reap(/*blocking=*/true);
    return absl::NotFoundError(absl::StrCat("cannot execute ", *path, ": ",
                                            strerror(exec_error)));
  }
  return process;
}

Process::~Process() {
  // The whole group, including anything the child left behind.
  ::kill(-pid_, SIGKILL);
  Reap(/*blocking=*/true);
}

void Process::Kill(int signal) {
  if (wait_status_.has_value()) return;
  ::kill(-pid_, signal);
  if (signal == SIGKILL) Reap(/*blocking=*/true);
}

absl::Status Process::Terminate(absl::Duration grace) {
  if (!Running()) return absl::OkStatus();
  Kill(SIGTERM);
  if (Wait(grace).ok()) return absl::OkStatus();
  Kill(SIGKILL);
  return absl::DeadlineExceededError(
      absl::StrCat("pid ", pid_, " was still running ",
                   absl::FormatDuration(grace), " after SIGTERM; killed"));
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  absl::Status exited = WaitFor([this] { return !Running(); }, timeout,
                                absl::Milliseconds(10));
  if (!exited.ok()) {
    return absl::DeadlineExceededError(
        absl::StrCat("pid ", pid_, " still running after ",
                     absl::FormatDuration(timeout)));
  }
  return *wait_status_;
}

bool Process::Running() {
  Reap(/*blocking=*/false);
  return !wait_status_.has_value();
}

std::string Process::LogContents() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void Process::Reap(bool blocking) {
  if (wait_status_.has_value()) return;
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &status, blocking ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    wait_status_ = status;
  } else if (result < 0) {
    // ECHILD: someone else reaped it; it is gone, its status unknown.
    wait_status_ = -1;
  }
}

}  // namespace tocsin::testing
