// tocsin deadletters list|replay: what the services set aside because it can
// never succeed as it is, asked of every service's AdminService.
#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/client/admin_client.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "tocsin/admin/v1/admin.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::admin::v1;

// What the ERROR column keeps of an error; JSON has it whole.
constexpr size_t kErrorColumnBytes = 80;

std::vector<std::string> ServiceNames() {
  std::vector<std::string> names;
  for (const ServiceAddress& service : ServiceAddresses(GlobalOptions())) {
    names.push_back(service.service);
  }
  return names;
}

// "paging (127.0.0.1:7004)": which service answered, and where.
std::string Where(const ServiceAddress& service) {
  return absl::StrCat(service.service, " (", service.address, ")");
}

bool Newer(const v1::DeadLetter& a, const v1::DeadLetter& b) {
  return std::make_tuple(a.create_time().seconds(), a.create_time().nanos(),
                         a.service(), a.id()) >
         std::make_tuple(b.create_time().seconds(), b.create_time().nanos(),
                         b.service(), b.id());
}

struct ListParams {
  // One service, or "" for every one.
  std::string service;
  bool all = false;
  int limit = 100;
};

absl::Status ListDeadLetters(const ListParams& params, const Context& context) {
  std::vector<v1::DeadLetter> letters;
  std::vector<std::string> failed;
  absl::StatusCode first_failure = absl::StatusCode::kOk;
  for (const ServiceAddress& service : ServiceAddresses(context.options)) {
    if (!params.service.empty() && service.service != params.service) continue;
    absl::StatusOr<std::vector<v1::DeadLetter>> listed =
        context.clients.admin.at(service.service)
            ->ListDeadLetters(
                {.include_replayed = params.all, .limit = params.limit});
    if (!listed.ok()) {
      // The others are still listed; the command fails at the end.
      context.err << "error: " << Where(service) << ": "
                  << absl::AsciiStrToLower(
                         absl::StatusCodeToString(listed.status().code()))
                  << ": " << listed.status().message() << "\n";
      if (failed.empty()) first_failure = listed.status().code();
      failed.push_back(service.service);
      continue;
    }
    letters.insert(letters.end(), listed->begin(), listed->end());
  }
  // Each service gave its newest `limit`, so the newest `limit` of them all
  // are among them.
  std::sort(letters.begin(), letters.end(), Newer);
  if (letters.size() > static_cast<size_t>(params.limit)) {
    letters.resize(params.limit);
  }

  if (context.options.output == OutputFormat::kJson) {
    RETURN_IF_ERROR(PrintJson(ToJsonArray(letters), context.out));
  } else {
    Table table;
    std::vector<std::string> header = {"ID",         "SERVICE",  "SOURCE",
                                       "EVENT TYPE", "INCIDENT", "ATTEMPTS",
                                       "CREATED"};
    if (params.all) header.push_back("REPLAYED");
    header.push_back("ERROR");
    table.AddRow(std::move(header));
    for (const v1::DeadLetter& letter : letters) {
      std::vector<std::string> row = {letter.id(),
                                      letter.service(),
                                      OrDash(letter.source()),
                                      OrDash(letter.event_type()),
                                      OrDash(letter.incident_id()),
                                      absl::StrCat(letter.attempts()),
                                      FormatTimestamp(letter.create_time())};
      if (params.all) row.push_back(FormatTimestamp(letter.replay_time()));
      row.push_back(text::UntrustedLine(letter.error(), kErrorColumnBytes));
      table.AddRow(std::move(row));
    }
    table.Print(context.out);
  }
  if (!failed.empty()) {
    return absl::Status(first_failure,
                        absl::StrFormat("dead letters of %s not listed",
                                        absl::StrJoin(failed, ", ")));
  }
  return absl::OkStatus();
}

absl::Status ReplayDeadLetter(const std::string& id, const Context& context) {
  // The id was checked while parsing.
  ASSIGN_OR_RETURN(const std::string service_name,
                   client::DeadLetterService(id));
  for (const ServiceAddress& service : ServiceAddresses(context.options)) {
    if (service.service != service_name) continue;
    absl::StatusOr<v1::DeadLetter> replayed =
        context.clients.admin.at(service.service)->ReplayDeadLetter(id);
    if (!replayed.ok()) {
      return absl::Status(
          replayed.status().code(),
          absl::StrCat(Where(service), ": ", replayed.status().message()));
    }
    context.out << "deadletter/" << replayed->id() << " replayed\n";
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("dead letter id \"%s\" names no service", id));
}

// A CLI11 check of a dead letter id: "<service>-<n>" of a known service.
CLI::Validator DeadLetterId() {
  return CLI::Validator(
      [](std::string& id) -> std::string {
        absl::StatusOr<std::string> service = client::DeadLetterService(id);
        if (!service.ok()) return std::string(service.status().message());
        const std::vector<std::string> names = ServiceNames();
        if (std::find(names.begin(), names.end(), *service) == names.end()) {
          return absl::StrFormat("dead letter id \"%s\" names no service (%s)",
                                 id, absl::StrJoin(names, ", "));
        }
        return "";
      },
      "");
}

}  // namespace

void AddDeadLettersCommands(CommandTable& table) {
  CLI::App* deadletters = table.AddFamily(
      "deadletters",
      "Dead letters: events a service set aside because they can never "
      "succeed as they are; replay one once its cause is fixed.");

  auto list = std::make_shared<ListParams>();
  CLI::App* list_command = table.AddCommand(
      deadletters, "list",
      "List the dead letters of every service (or one), newest first.",
      [list](const Context& context) {
        return ListDeadLetters(*list, context);
      });
  list_command
      ->add_option("--service", list->service,
                   absl::StrCat("only this service's: ",
                                absl::StrJoin(ServiceNames(), ", ")))
      ->check(OneOf(ServiceNames()))
      ->type_name("NAME");
  list_command->add_flag("--all", list->all, "also those replayed already");
  list_command
      ->add_option("--limit", list->limit,
                   "at most N, the newest (1 to 1000; default 100)")
      ->check(CLI::Range(1, 1000).description(""))
      ->type_name("N");

  auto id = std::make_shared<std::string>();
  table
      .AddCommand(deadletters, "replay",
                  "Process a dead letter again, in the service that holds it.",
                  [id](const Context& context) {
                    return ReplayDeadLetter(*id, context);
                  })
      ->add_option("ID", *id,
                   "the dead letter, \"<service>-<n>\", e.g. paging-17")
      ->required()
      ->check(DeadLetterId())
      ->type_name("");
}

}  // namespace tocsin::cli
