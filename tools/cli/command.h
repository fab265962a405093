// What each command of the tocsin CLI is made of: a CLI11 subcommand that
// declares its arguments and flags, and an action that runs once the whole
// line is parsed. A family file registers its commands on a CommandTable:
//
//   void AddPagesCommands(CommandTable& table) {
//     CLI::App* pages = table.AddFamily("pages", "Pages: one message ...");
//     auto id = std::make_shared<std::string>();
//     CLI::App* show = table.AddCommand(
//         pages, "show", "Show a page and its delivery attempts.",
//         [id](const Context& context) { return ShowPage(*id, context); });
//     show->add_option("PAGE_ID", *id, "the page")->required();
//   }
//
// Values of flags live in objects the action shares (shared_ptr), so they
// outlive the parse. Arguments are checked while parsing (required(),
// check(...)): a mistake is a usage error before anything is sent. An action
// returns the service's error, which the CLI prints as
// "error: <CODE>: <message>" (exit 1).
#ifndef TOCSIN_TOOLS_CLI_COMMAND_H_
#define TOCSIN_TOOLS_CLI_COMMAND_H_

#include <functional>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "tools/cli/apply.h"
#include "tools/cli/cli.h"

namespace tocsin::cli {

// What a running command works with.
struct Context {
  const GlobalOptions& options;
  const ServiceClients& clients;
  // Read by "-f -".
  std::istream& in;
  std::ostream& out;
  // Notes and partial failures that the command reports itself.
  std::ostream& err;
};

using Action = std::function<absl::Status(const Context&)>;

struct Command {
  Action action;
  // Whether it writes on an incident's timeline, which needs an author.
  bool records_author = false;
};

// The CLI11 tree of families and commands, and the action of each command.
// Not thread-safe; one per command line.
class CommandTable {
 public:
  explicit CommandTable(CLI::App& root) : root_(root) {}

  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  CLI::App& root() { return root_; }

  // A family ("incidents"): groups commands, runs nothing itself.
  CLI::App* AddFamily(const std::string& name, const std::string& help);

  // A command named `name` under `parent` (a family, or the root for a
  // command that is a family of its own, like "apply").
  CLI::App* AddCommand(CLI::App* parent, const std::string& name,
                       const std::string& help, Action action,
                       bool records_author = false);

  // The command that `app` runs, or null for the root and families.
  const Command* Find(const CLI::App* app) const;

 private:
  CLI::App& root_;
  std::map<const CLI::App*, Command> commands_;
};

// A CLI11 check that the value is one of `choices`; its help shows them as
// "a|b|c". CLI11's own IsMember, without its description in the type name.
CLI::Validator OneOf(std::vector<std::string> choices);

// A CLI11 check that the value is an RFC 3339 time, e.g.
// "2026-01-05T09:00:00Z" or "2026-01-05T18:00:00+09:00".
CLI::Validator Rfc3339Time();
// The time of a value that Rfc3339Time() accepted.
absl::Time ParseRfc3339(const std::string& text);

// A mistake on the command line that only the command's action finds: the
// CLI reports it like a parse error (one line and a hint, exit 2).
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// ---- Helpers of several families ----

// Prints `json` indented by two spaces (invalid UTF-8 replaced).
absl::Status PrintJson(const absl::StatusOr<nlohmann::ordered_json>& json,
                       std::ostream& out);

// Reads the file at `path`, or all of `in` when the path is "-".
// InvalidArgument naming the file when it cannot be read.
absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      std::istream& in);

// The one object of kind `T` ("ResponsePlan") that the manifest at `path`
// declares, and its message. InvalidArgument when it declares another kind
// or more than one object.
template <typename T>
absl::StatusOr<std::pair<ManifestObject, const T*>> LoadOne(
    const std::string& path, std::istream& in, absl::string_view kind) {
  ASSIGN_OR_RETURN(std::string yaml, ReadInput(path, in));
  ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
  const T* message = google::protobuf::DynamicCastToGenerated<T>(
      objects.front().message.get());
  if (objects.size() != 1 || message == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" must declare exactly one %s (\"tocsin apply\" takes several "
        "objects)",
        path, kind));
  }
  return std::make_pair(std::move(objects.front()), message);
}

// "cli:<author>", how the timeline records who ran a command.
std::string CliAuthor(const GlobalOptions& options);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_COMMAND_H_
