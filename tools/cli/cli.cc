#include "tools/cli/cli.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "libs/client/options.h"
#include "tools/cli/command.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {

std::vector<ServiceAddress> ServiceAddresses(const GlobalOptions& options) {
  return {{"incidents", options.server},
          {"escalation", options.escalation},
          {"paging", options.paging},
          {"runbook", options.runbook},
          {"postmortem", options.postmortem}};
}

ServiceClients ConnectInsecure(const GlobalOptions& options) {
  const client::ClientOptions call_options{.deadline = options.timeout};
  ServiceClients clients;
  for (const ServiceAddress& service : ServiceAddresses(options)) {
    // One channel per service, shared by its API and its AdminService.
    std::shared_ptr<grpc::Channel> channel =
        client::MakeChannel(service.address);
    if (service.service == "incidents") {
      clients.incidents =
          client::IncidentsClient::Create(channel, call_options);
    } else if (service.service == "escalation") {
      clients.escalation =
          client::EscalationClient::Create(channel, call_options);
    } else if (service.service == "paging") {
      clients.paging = client::PagingClient::Create(channel, call_options);
    } else if (service.service == "runbook") {
      clients.runbook = client::RunbookClient::Create(channel, call_options);
    } else if (service.service == "postmortem") {
      clients.postmortem =
          client::PostmortemClient::Create(channel, call_options);
    }
    clients.admin[service.service] =
        client::AdminClient::Create(channel, call_options);
  }
  return clients;
}

namespace {

// ---- Global flags ----

// Where the global flags land while parsing; `options` is complete once
// Finish() has run.
struct GlobalFlags {
  GlobalOptions options;
  std::string output;
  std::string timeout;

  explicit GlobalFlags(const GlobalOptions& defaults)
      : options(defaults),
        output(defaults.output == OutputFormat::kJson ? "json" : "table"),
        timeout(absl::FormatDuration(defaults.timeout)) {}

  // After a successful parse, whose checks accepted both values.
  void Finish() {
    options.output =
        output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
    absl::ParseDuration(timeout, &options.timeout);
  }
};

CLI::Validator PositiveDuration() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::Duration duration;
        if (absl::ParseDuration(value, &duration) &&
            duration > absl::ZeroDuration()) {
          return "";
        }
        return absl::StrFormat("\"%s\" is not a positive duration such as 10s",
                               value);
      },
      "");
}

void AddGlobalFlags(CLI::App& root, GlobalFlags& flags) {
  GlobalOptions& options = flags.options;
  auto address = [&root](const std::string& names, std::string& target,
                         const std::string& help) {
    root.add_option(names, target, help)->type_name("HOST:PORT");
  };
  address("--server,--incidents", options.server,
          "incidents service, also --incidents (default: "
          "$TOCSIN_INCIDENTS_ADDR, else 127.0.0.1:7002)");
  address("--escalation", options.escalation,
          "escalation service (default: $TOCSIN_ESCALATION_ADDR, else "
          "127.0.0.1:7003)");
  address("--paging", options.paging,
          "paging service (default: $TOCSIN_PAGING_ADDR, else 127.0.0.1:7004)");
  address("--runbook", options.runbook,
          "runbook service (default: $TOCSIN_RUNBOOK_ADDR, else "
          "127.0.0.1:7005)");
  address("--postmortem", options.postmortem,
          "postmortem service (default: $TOCSIN_POSTMORTEM_ADDR, else "
          "127.0.0.1:7006)");
  root.add_option("--output", flags.output, "how reads print (default: table)")
      ->check(OneOf({"table", "json"}))
      ->type_name("table|json");
  root.add_option("--timeout", flags.timeout,
                  "deadline of each call, e.g. 500ms, 30s (default: 10s)")
      ->check(PositiveDuration())
      ->type_name("DURATION");
  root.add_option("--author", options.author,
                  "who writes, recorded as \"cli:USER\" (default: $USER, else "
                  "the login name)")
      ->type_name("USER");
}

// ---- Names and usage ----

// The commands selected while parsing, root first; the last is the deepest.
std::vector<const CLI::App*> SelectedPath(const CLI::App& root) {
  std::vector<const CLI::App*> path = {&root};
  for (;;) {
    std::vector<const CLI::App*> selected = path.back()->get_subcommands(
        [](const CLI::App* app) { return app->parsed(); });
    if (selected.empty()) return path;
    path.push_back(selected.front());
  }
}

// "incidents show" for the path root > incidents > show; "" for the root.
std::string CommandName(const std::vector<const CLI::App*>& path) {
  std::vector<std::string> words;
  for (size_t i = 1; i < path.size(); ++i) words.push_back(path[i]->get_name());
  return absl::StrJoin(words, " ");
}

std::string Quoted(const std::string& name) {
  return absl::StrCat("\"", name, "\"");
}

bool IsFlag(const CLI::Option& option) {
  return !option.get_positional() && option.get_type_size_max() == 0;
}

// "--code CODE", "-f FILE", "--all", "ID".
std::string OptionWithValue(const CLI::Option& option) {
  if (option.get_positional()) {
    return option.get_items_expected_max() > 1
               ? absl::StrCat(option.get_name(), "...")
               : option.get_name();
  }
  if (IsFlag(option) || option.get_type_name().empty()) {
    return option.get_name();
  }
  return absl::StrCat(option.get_name(), " ", option.get_type_name());
}

// As a command line shows it: optional arguments in brackets.
std::string OptionSyntax(const CLI::Option& option) {
  const std::string text = OptionWithValue(option);
  return option.get_required() ? text : absl::StrCat("[", text, "]");
}

// The options of `app` that its usage lists (not --help).
std::vector<const CLI::Option*> UsageOptions(const CLI::App& app) {
  const CLI::Option* help = app.get_help_ptr();
  return app.get_options(
      [help](const CLI::Option* option) { return option != help; });
}

// "pages ack PAGE_ID --code CODE": positionals first, then flags.
std::string CommandSyntax(const std::vector<const CLI::App*>& path) {
  std::vector<std::string> parts = {CommandName(path)};
  std::vector<std::string> flags;
  for (const CLI::Option* option : UsageOptions(*path.back())) {
    (option->get_positional() ? parts : flags).push_back(OptionSyntax(*option));
  }
  parts.insert(parts.end(), flags.begin(), flags.end());
  return absl::StrJoin(parts, " ");
}

// Every command under `path`, depth first, in the order they were added.
void CollectCommands(const CommandTable& table,
                     std::vector<const CLI::App*> path,
                     std::vector<std::vector<const CLI::App*>>& commands) {
  if (table.Find(path.back()) != nullptr) commands.push_back(path);
  for (const CLI::App* sub : path.back()->get_subcommands({})) {
    std::vector<const CLI::App*> longer = path;
    longer.push_back(sub);
    CollectCommands(table, std::move(longer), commands);
  }
}

// What `tocsin help` and `tocsin --help` print.
void PrintOverview(const CommandTable& table, const CLI::App& root,
                   std::ostream& out) {
  out << "Usage: tocsin [global flags] <command> [args]\n"
         "       tocsin <command> --help    the arguments and flags of one "
         "command\n\nCommands:\n";
  std::vector<std::vector<const CLI::App*>> commands;
  CollectCommands(table, {&root}, commands);
  Table list;
  for (const auto& path : commands) {
    list.AddRow({"  " + CommandSyntax(path), path.back()->get_description()});
  }
  list.Print(out);
  out << "\nGlobal flags (anywhere on the line):\n";
  Table flags;
  for (const CLI::Option* option : UsageOptions(root)) {
    flags.AddRow({"  " + OptionWithValue(*option), option->get_description()});
  }
  flags.Print(out);
  out << "\nExit codes: 0 done; 1 a service or the input failed "
         "(\"error: CODE: message\"); 2 a mistake on the command line.\n";
}

// The hint under a usage error.
std::string HelpHint(const std::string& command) {
  return command.empty()
             ? "Run \"tocsin --help\" for the commands."
             : absl::StrFormat("Run \"tocsin %s --help\" for its usage.",
                               command);
}

// The one line that says what is wrong with the command line, from CLI11's
// error and where the parse stopped.
std::string DescribeParseError(const CLI::ParseError& error,
                               const CLI::App& root,
                               const std::vector<const CLI::App*>& path) {
  const CLI::App& at = *path.back();
  const std::string name = CommandName(path);
  const std::string what = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    const std::vector<std::string> extras = root.remaining(true);
    if (!extras.empty()) {
      const std::string& first = extras.front();
      if (absl::StartsWith(first, "-") && first.size() > 1) {
        const std::string flag = first.substr(0, first.find('='));
        return name.empty() ? absl::StrFormat("unknown flag %s", flag)
                            : absl::StrFormat("unknown flag %s for %s", flag,
                                              Quoted(name));
      }
      if (!at.get_subcommands({}).empty()) {
        return absl::StrFormat(
            "unknown command %s",
            Quoted(name.empty() ? first : absl::StrCat(name, " ", first)));
      }
      return absl::StrFormat("unexpected argument %s for %s", Quoted(first),
                             Quoted(name));
    }
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    absl::string_view missing = what;
    if (absl::ConsumeSuffix(&missing, " is required")) {
      const CLI::Option* option = at.get_option_no_throw(std::string(missing));
      return absl::StrFormat(
          "%s needs %s", Quoted(name),
          option != nullptr ? OptionWithValue(*option) : std::string(missing));
    }
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
      absl::EndsWith(what, " missing")) {
    return absl::StrFormat("flag %s needs a value",
                           what.substr(0, what.find(':')));
  }
  return what;
}

// A flag given twice is a mistake (two --server, or --server and its alias
// --incidents), not "the last one wins".
std::string RepeatedFlag(const std::vector<const CLI::App*>& path) {
  for (const CLI::App* app : path) {
    for (const CLI::Option* option : UsageOptions(*app)) {
      if (option->get_positional() || option->count() <= 1) continue;
      // A flag meant to repeat (executions start --param).
      if (option->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll) continue;
      const std::vector<std::string>& names = option->get_lnames();
      if (names.size() <= 1) {
        return absl::StrFormat("flag %s given more than once",
                               option->get_name());
      }
      return absl::StrFormat("flag %s given more than once (--%s are one flag)",
                             option->get_name(),
                             absl::StrJoin(names, " and --"));
    }
  }
  return "";
}

int ReportUsageError(const std::string& message, const std::string& command,
                     std::ostream& err) {
  err << "error: " << message << "\n" << HelpHint(command) << "\n";
  return kExitUsage;
}

// `tocsin help [COMMAND...]`.
absl::Status Help(const CommandTable& table, const CLI::App& root,
                  const std::vector<std::string>& words, std::ostream& out) {
  std::vector<const CLI::App*> path = {&root};
  for (const std::string& word : words) {
    std::vector<const CLI::App*> found = path.back()->get_subcommands(
        [&word](const CLI::App* app) { return app->get_name() == word; });
    if (found.empty()) {
      return UsageError(absl::StrFormat("unknown command %s",
                                        Quoted(absl::StrJoin(words, " "))));
    }
    path.push_back(found.front());
  }
  if (path.size() == 1) {
    PrintOverview(table, root, out);
    return absl::OkStatus();
  }
  const std::vector<const CLI::App*> parents(path.begin(), path.end() - 1);
  out << path.back()->help(parents.size() == 1
                               ? "tocsin"
                               : absl::StrCat("tocsin ", CommandName(parents)));
  return absl::OkStatus();
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const GlobalOptions& defaults,
           const Connector& connect, std::istream& in, std::ostream& out,
           std::ostream& err) {
  CLI::App root("tocsin: the command-line client of Tocsin.", "tocsin");
  // Global flags may follow the command: a subcommand hands the flags it
  // does not know to its parent.
  root.fallthrough();
  root.require_subcommand(0, 1);
  // Repeated flags are reported by RepeatedFlag, with a clearer message
  // than CLI11's.
  root.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  GlobalFlags flags(defaults);
  AddGlobalFlags(root, flags);
  CommandTable table(root);
  AddAllCommands(table);
  auto help_words = std::make_shared<std::vector<std::string>>();
  table
      .AddCommand(&root, "help", "Show this help, or a command's.",
                  [&table, &root, help_words](const Context& context) {
                    return Help(table, root, *help_words, context.out);
                  })
      ->add_option("COMMAND", *help_words, "e.g. pages ack")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("");

  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    root.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    const std::vector<const CLI::App*> path = SelectedPath(root);
    if (path.size() == 1) {
      PrintOverview(table, root, out);
    } else {
      out << root.help();
    }
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    const std::vector<const CLI::App*> path = SelectedPath(root);
    return ReportUsageError(DescribeParseError(error, root, path),
                            CommandName(path), err);
  }

  const std::vector<const CLI::App*> path = SelectedPath(root);
  const std::string name = CommandName(path);
  if (std::string repeated = RepeatedFlag(path); !repeated.empty()) {
    return ReportUsageError(repeated, name, err);
  }
  const Command* command = table.Find(path.back());
  if (command == nullptr) {
    if (path.size() == 1) return ReportUsageError("no command given", "", err);
    std::vector<std::string> verbs;
    for (const CLI::App* sub : path.back()->get_subcommands({})) {
      verbs.push_back(sub->get_name());
    }
    return ReportUsageError(absl::StrFormat("%s needs one of: %s", Quoted(name),
                                            absl::StrJoin(verbs, ", ")),
                            name, err);
  }
  flags.Finish();
  const GlobalOptions& options = flags.options;
  if (command->records_author && options.author.empty()) {
    return ReportUsageError(
        absl::StrFormat("%s needs --author USER when $USER is not set",
                        Quoted(name)),
        name, err);
  }

  const ServiceClients clients = connect(options);
  const absl::Status status =
      command->action(Context{options, clients, in, out, err});
  if (IsUsageError(status)) {
    // Only `help` finds mistakes this late; its own usage would not help.
    return ReportUsageError(std::string(status.message()),
                            name == "help" ? "" : name, err);
  }
  if (!status.ok()) {
    err << "error: " << absl::StatusCodeToString(status.code()) << ": "
        << status.message() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tocsin::cli
