// tocsin:command: runs one allow-listed program, never a shell.
//
//   ASSIGN_OR_RETURN(CommandAllowList commands,
//                    ParseCommandAllowList("kubectl=/usr/bin/kubectl,restart=/opt/bin/restart"));
//   ASSIGN_OR_RETURN(nlohmann::json inputs, SubstituteJson(step.inputs, values));
//   ASSIGN_OR_RETURN(nlohmann::json result,
//                    RunCommandAction(inputs, {.allow_list = &commands,
//                                              .timeout = absl::Seconds(60),
//                                              .env = {{"TOCSIN_INCIDENT_ID", "inc-7"}}}));
//   // {"exitCode": 0, "stdout": "...", "stderr": "", "truncated": false}
//
// The program is the allow-list's path for Command; argv is [path, Args...] (Args rendered as
// text: strings as they are, numbers and booleans as JSON). It runs with stdin /dev/null, in a
// process group of its own, with the environment PATH=/usr/bin:/bin plus options.env only
// (nothing of the service's own environment, which holds its secrets). Its stdout and stderr
// are read as they come (the first max_output_bytes of each kept, the rest read and dropped so
// the program never blocks on a full pipe), invalid UTF-8 replaced by U+FFFD.
//
// Result: {"exitCode": N, "stdout": S, "stderr": E, "truncated": bool}; a program killed by a
// signal has exitCode 128+signal and "signal": N. A non-zero exit is a result, not an error:
// the engine decides what it means.
// When the program exits while a process it started still holds its output open, that process
// group is killed and the result returned (a runbook command does not leave daemons behind).
//
// Errors:
//   PermissionDenied  command "x" is not in the runbook service's allow-list (--commands)
//   DeadlineExceeded  command "x" timed out after 5s (its whole process group was killed with
//                     SIGKILL and reaped)
//   FailedPrecondition  the program could not be started (e.g. the path does not exist)
//   InvalidArgument   inputs of the wrong shape (Command not a string, Args not a list of
//                     scalars, an env name with '=')
//   Internal          pipes or waiting failed
//
// Thread-safety: RunCommandAction is thread-safe (called from a worker pool): posix_spawn, pipes
// opened close-on-exec so concurrent calls never leak descriptors into each other's children.
// The process must not ignore SIGCHLD (children would not be waitable).
#ifndef TOCSIN_SERVICES_RUNBOOK_COMMAND_ACTION_H_
#define TOCSIN_SERVICES_RUNBOOK_COMMAND_ACTION_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace tocsin::runbook {

// The programs runbooks may run, by name. Immutable once parsed; thread-safe to share.
class CommandAllowList {
 public:
  CommandAllowList() = default;
  // The absolute path for a name, or nullptr.
  const std::string* Find(absl::string_view name) const;
  using Paths = std::map<std::string, std::string, std::less<>>;
  const Paths& paths() const { return paths_; }
  bool empty() const { return paths_.empty(); }

 private:
  friend absl::StatusOr<CommandAllowList> ParseCommandAllowList(absl::string_view flag);
  Paths paths_;
};

// Parses the --commands flag: "name=/abs/path,name2=/abs/path2" (spaces around entries
// ignored; "" is an empty list). A name is letters, digits, '.', '_' or '-'. InvalidArgument
// naming the entry for a malformed entry, a path that is not absolute, or a name given twice.
absl::StatusOr<CommandAllowList> ParseCommandAllowList(absl::string_view flag);

struct CommandOptions {
  const CommandAllowList* allow_list = nullptr;  // required
  absl::Duration timeout = absl::Seconds(60);
  size_t max_output_bytes = 64 * 1024;  // of stdout and of stderr, each
  // Added to the program's environment (after PATH), e.g. {"TOCSIN_INCIDENT_ID", "inc-7"}.
  std::vector<std::pair<std::string, std::string>> env;
};

// `inputs`: {"Command": "name", "Args": [...]}, already substituted.
absl::StatusOr<nlohmann::json> RunCommandAction(const nlohmann::json& inputs,
                                                const CommandOptions& options);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_COMMAND_ACTION_H_
