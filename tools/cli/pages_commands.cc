// tocsin pages list|show|ack
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::paging::v1;

std::string StateLabel(v1::PageState state) {
  return EnumLabel(v1::PageState_Name(state), "PAGE_STATE_");
}

absl::Status ListPages(const std::string& incident_id, const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Page> pages,
                   context.clients.paging->ListPages(incident_id));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(pages), context.out);
  }
  PrintPages(pages, context.out);
  return absl::OkStatus();
}

absl::Status ShowPage(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::Page page, context.clients.paging->GetPage(id));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(page), context.out);
  }
  PrintFields(
      {
          {"ID", page.id()},
          {"Incident", page.incident_id()},
          {"Engagement", page.engagement_id()},
          {"Contact", page.contact()},
          {"Stage", absl::StrCat(page.stage())},
          {"Channel", page.channel().name()},
          {"Destination", Destination(page.channel())},
          {"State", StateLabel(page.state())},
          {"Title", page.incident_title()},
          {"Impact", absl::StrCat(page.impact())},
          {"Summary", page.summary()},
          {"Accept code", page.accept_code()},
          {"Created", FormatTimestamp(page.create_time())},
          {"Next attempt", FormatTimestamp(page.next_attempt())},
          {"Acknowledged", FormatTimestamp(page.ack_time())},
          {"Acknowledged by", page.acked_by()},
      },
      context.out);
  context.out << "\n";
  Table table;
  table.AddRow({"ATTEMPT", "TIME", "RESULT", "DETAIL"});
  for (const v1::DeliveryAttempt& attempt : page.attempts()) {
    table.AddRow({absl::StrCat(attempt.number()),
                  FormatTimestamp(attempt.time()),
                  attempt.ok() ? "ok" : "failed", attempt.detail()});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

struct AckParams {
  std::string id;
  std::string code;
};

absl::Status AcceptPage(const AckParams& params, const Context& context) {
  ASSIGN_OR_RETURN(v1::Page page,
                   context.clients.paging->AcceptPage(
                       params.id, params.code, CliAuthor(context.options)));
  context.out << "page/" << page.id() << " acknowledged\n";
  return absl::OkStatus();
}

}  // namespace

void PrintPages(const std::vector<v1::Page>& pages, std::ostream& out) {
  Table table;
  table.AddRow({"ID", "CONTACT", "CHANNEL", "STATE", "ATTEMPTS", "CREATED"});
  for (const v1::Page& page : pages) {
    table.AddRow({page.id(), page.contact(), page.channel().name(),
                  StateLabel(page.state()), absl::StrCat(page.attempts_size()),
                  FormatTimestamp(page.create_time())});
  }
  table.Print(out);
}

void AddPagesCommands(CommandTable& table) {
  CLI::App* pages =
      table.AddFamily("pages",
                      "Pages: one message to one channel of a contact, and its "
                      "acknowledgement.");

  auto incident = std::make_shared<std::string>();
  table
      .AddCommand(pages, "list", "List the pages of an incident.",
                  [incident](const Context& context) {
                    return ListPages(*incident, context);
                  })
      ->add_option("--incident", *incident, "the incident")
      ->required()
      ->type_name("ID");

  auto show_id = std::make_shared<std::string>();
  table
      .AddCommand(pages, "show", "Show a page and its delivery attempts.",
                  [show_id](const Context& context) {
                    return ShowPage(*show_id, context);
                  })
      ->add_option("PAGE_ID", *show_id, "the page, e.g. pg-...")
      ->required()
      ->type_name("");

  auto ack = std::make_shared<AckParams>();
  CLI::App* ack_command = table.AddCommand(
      pages, "ack", "Acknowledge a page with its accept code.",
      [ack](const Context& context) { return AcceptPage(*ack, context); },
      /*records_author=*/true);
  ack_command->add_option("PAGE_ID", ack->id, "the page")
      ->required()
      ->type_name("");
  ack_command
      ->add_option("--code", ack->code,
                   "the accept code its recipient was given")
      ->required()
      ->type_name("CODE");
}

}  // namespace tocsin::cli
