#include "tools/cli/command.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tocsin::cli {
namespace {

// Marks a Status as a usage error.
constexpr absl::string_view kUsagePayload = "type.tocsin.dev/cli.usage";

}  // namespace

CLI::App* CommandTable::AddFamily(const std::string& name,
                                  const std::string& help) {
  CLI::App* family = root_.add_subcommand(name, help);
  // One command per line: a second word that names a command is an error,
  // not a second command.
  family->require_subcommand(0, 1);
  return family;
}

CLI::App* CommandTable::AddCommand(CLI::App* parent, const std::string& name,
                                   const std::string& help, Action action,
                                   bool records_author) {
  CLI::App* command = parent->add_subcommand(name, help);
  command->footer(
      "Global flags (service addresses, --output, --timeout, --author) may "
      "appear anywhere on the line: see \"tocsin --help\".");
  commands_[command] = Command{std::move(action), records_author};
  return command;
}

const Command* CommandTable::Find(const CLI::App* app) const {
  auto it = commands_.find(app);
  return it == commands_.end() ? nullptr : &it->second;
}

CLI::Validator OneOf(std::vector<std::string> choices) {
  const std::string names = absl::StrJoin(choices, ", ");
  return CLI::Validator(
      [choices = std::move(choices), names](std::string& value) -> std::string {
        if (std::find(choices.begin(), choices.end(), value) != choices.end()) {
          return "";
        }
        return absl::StrFormat("must be one of %s, not \"%s\"", names, value);
      },
      "");
}

CLI::Validator Rfc3339Time() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::Time time;
        std::string error;
        if (absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
          return "";
        }
        return absl::StrFormat(
            "\"%s\" is not an RFC 3339 time such as 2026-01-05T09:00:00Z",
            value);
      },
      "");
}

absl::Time ParseRfc3339(const std::string& text) {
  absl::Time time;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, text, &time, &error);
  return time;
}

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord());
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::Status PrintJson(const absl::StatusOr<nlohmann::ordered_json>& json,
                       std::ostream& out) {
  if (!json.ok()) return json.status();
  out << json->dump(2, ' ', false,
                    nlohmann::ordered_json::error_handler_t::replace)
      << "\n";
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      std::istream& in) {
  std::ostringstream text;
  if (path == "-") {
    text << in.rdbuf();
    return text.str();
  }
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cannot read \"%s\": %s", path, std::strerror(errno)));
  }
  text << file.rdbuf();
  return text.str();
}

std::string CliAuthor(const GlobalOptions& options) {
  return absl::StrCat("cli:", options.author);
}

}  // namespace tocsin::cli
