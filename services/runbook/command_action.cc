#include "services/runbook/command_action.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

bool IsCommandName(absl::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
         });
}

absl::Status Errno(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(err)));
}

// Closes a descriptor once.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  int* out() { return &fd_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

absl::Status MakePipe(Pipe* pipe) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2", errno);
  *pipe->read.out() = fds[0];
  *pipe->write.out() = fds[1];
  return absl::OkStatus();
}

// One output stream of the child, kept up to a limit.
struct Capture {
  Fd* fd;
  std::string kept;
  bool truncated = false;
  bool open = true;
};

// Reads what is available; closes the stream at EOF or error.
void Drain(Capture& capture, size_t limit) {
  char buffer[16384];
  while (true) {
    const ssize_t n = read(capture.fd->get(), buffer, sizeof buffer);
    if (n > 0) {
      const size_t room = limit - std::min(limit, capture.kept.size());
      const size_t take = std::min(room, static_cast<size_t>(n));
      capture.kept.append(buffer, take);
      if (take < static_cast<size_t>(n)) capture.truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    capture.open = false;  // EOF or error
    capture.fd->Close();
    return;
  }
}

std::string ArgText(const Json& arg) {
  if (arg.is_string()) return arg.get<std::string>();
  if (arg.is_boolean()) return arg.get<bool>() ? "true" : "false";
  return arg.dump();
}

}  // namespace

const std::string* CommandAllowList::Find(absl::string_view name) const {
  auto it = paths_.find(name);
  return it == paths_.end() ? nullptr : &it->second;
}

absl::StatusOr<CommandAllowList> ParseCommandAllowList(absl::string_view flag) {
  CommandAllowList list;
  if (absl::StripAsciiWhitespace(flag).empty()) return list;
  for (absl::string_view entry : absl::StrSplit(flag, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t eq = entry.find('=');
    const absl::string_view name =
        eq == absl::string_view::npos ? entry : absl::StripAsciiWhitespace(entry.substr(0, eq));
    const absl::string_view path =
        eq == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(entry.substr(eq + 1));
    if (eq == absl::string_view::npos || !IsCommandName(name) || path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--commands entry \"", entry,
          "\" must be name=/absolute/path (name: letters, digits, '.', '_', '-')"));
    }
    if (path[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("--commands entry \"", entry, "\": path \"",
                                                     path, "\" must be absolute"));
    }
    if (!list.paths_.emplace(std::string(name), std::string(path)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--commands names \"", name, "\" twice"));
    }
  }
  return list;
}

absl::StatusOr<Json> RunCommandAction(const Json& inputs, const CommandOptions& options) {
  if (options.allow_list == nullptr) {
    return absl::FailedPreconditionError("no command allow-list (--commands)");
  }
  if (!inputs.is_object() || !inputs.contains("Command") || !inputs["Command"].is_string()) {
    return absl::InvalidArgumentError("Command must be a string");
  }
  const std::string command = inputs["Command"].get<std::string>();
  const std::string* path = options.allow_list->Find(command);
  if (path == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "command \"", command, "\" is not in the runbook service's allow-list (--commands)"));
  }
  std::vector<std::string> argv_strings = {*path};
  if (inputs.contains("Args")) {
    const Json& args = inputs["Args"];
    if (!args.is_array()) return absl::InvalidArgumentError("Args must be a list");
    for (size_t i = 0; i < args.size(); ++i) {
      if (!args[i].is_string() && !args[i].is_number() && !args[i].is_boolean()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Args[", i, "] must be a string, a number or a boolean"));
      }
      argv_strings.push_back(ArgText(args[i]));
    }
  }
  std::vector<std::string> env_strings = {"PATH=/usr/bin:/bin"};
  for (const auto& [name, value] : options.env) {
    if (name.empty() || absl::StrContains(name, '=')) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable name \"", name, "\" is not valid"));
    }
    env_strings.push_back(absl::StrCat(name, "=", value));
  }
  for (const std::string& s : argv_strings) {
    if (absl::StrContains(s, '\0')) {
      return absl::InvalidArgumentError("an argument contains a NUL byte");
    }
  }
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  Pipe out, err;
  RETURN_IF_ERROR(MakePipe(&out));
  RETURN_IF_ERROR(MakePipe(&err));

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
  // Everything else the service has open is close-on-exec (pipes here are O_CLOEXEC).
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&default_signals, sig);
  }
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, path->c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out.write.Close();
  err.write.Close();
  if (spawned != 0) {
    return absl::FailedPreconditionError(absl::StrCat("command \"", command, "\" (", *path,
                                                      ") could not be started: ",
                                                      std::strerror(spawned)));
  }
  for (Fd* fd : {&out.read, &err.read}) {
    fcntl(fd->get(), F_SETFL, fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }

  Capture captures[2] = {{&out.read}, {&err.read}};
  const Clock::time_point deadline =
      Clock::now() + std::chrono::nanoseconds(absl::ToInt64Nanoseconds(options.timeout));
  int wait_status = 0;
  bool reaped = false;
  std::optional<Clock::time_point> exited_at;  // reaped while output was still open
  while (true) {
    if (!reaped) {
      const pid_t done = waitpid(pid, &wait_status, WNOHANG);
      if (done == pid) {
        reaped = true;
      } else if (done < 0 && errno != EINTR) {
        const int saved = errno;
        kill(-pid, SIGKILL);
        return Errno("waitpid", saved);
      }
    }
    const bool any_open = captures[0].open || captures[1].open;
    if (reaped && !any_open) break;
    const Clock::time_point now = Clock::now();
    if (reaped && !exited_at) exited_at = now;
    // Output still held open after the program exited: whatever it left running is killed.
    // (The group outlives its leader while members remain, so its id is not reused.)
    if (exited_at && now - *exited_at > std::chrono::milliseconds(200)) {
      kill(-pid, SIGKILL);
      for (Capture& capture : captures) {
        if (capture.open) Drain(capture, options.max_output_bytes);
      }
      break;
    }
    if (!reaped && now >= deadline) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      return absl::DeadlineExceededError(absl::StrCat("command \"", command, "\" timed out after ",
                                                      absl::FormatDuration(options.timeout)));
    }
    pollfd fds[2];
    nfds_t count = 0;
    Capture* polled[2];
    for (Capture& capture : captures) {
      if (!capture.open) continue;
      fds[count] = {capture.fd->get(), POLLIN, 0};
      polled[count++] = &capture;
    }
    // Short waits: the child's exit is noticed by waitpid, not by a signal.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    const int wait_ms =
        static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(left.count() + 1, 20)));
    const int ready = poll(fds, count, wait_ms);
    if (ready < 0 && errno != EINTR) {
      const int saved = errno;
      kill(-pid, SIGKILL);
      if (!reaped) waitpid(pid, &wait_status, 0);
      return Errno("poll", saved);
    }
    for (nfds_t i = 0; i < count && ready > 0; ++i) {
      if (fds[i].revents != 0) Drain(*polled[i], options.max_output_bytes);
    }
  }

  Json result = Json::object();
  if (WIFSIGNALED(wait_status)) {
    result["exitCode"] = 128 + WTERMSIG(wait_status);
    result["signal"] = WTERMSIG(wait_status);
  } else {
    result["exitCode"] = WEXITSTATUS(wait_status);
  }
  result["stdout"] = text::MakeValidUtf8(captures[0].kept);
  result["stderr"] = text::MakeValidUtf8(captures[1].kept);
  result["truncated"] = captures[0].truncated || captures[1].truncated;
  return result;
}

}  // namespace tocsin::runbook
