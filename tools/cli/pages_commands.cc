// tocsin pages list|show|ack
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::paging::v1;

std::string StateLabel(v1::PageState state) {
  return EnumLabel(v1::PageState_Name(state), "PAGE_STATE_");
}

std::string ReceiptStatusLabel(v1::ReceiptStatus status) {
  return EnumLabel(v1::ReceiptStatus_Name(status), "RECEIPT_STATUS_");
}

bool IsActivation(const v1::Page& page) {
  return page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION;
}

// The status of the page's newest receipt (the latest time; of equal times,
// the one recorded last), or "-" when it has none.
std::string LastReceipt(const v1::Page& page) {
  const v1::Receipt* newest = nullptr;
  for (const v1::Receipt& receipt : page.receipts()) {
    if (newest == nullptr ||
        std::make_pair(receipt.time().seconds(), receipt.time().nanos()) >=
            std::make_pair(newest->time().seconds(), newest->time().nanos())) {
      newest = &receipt;
    }
  }
  return newest == nullptr ? "-" : ReceiptStatusLabel(newest->status());
}

// A receipt's detail with the provider's id of the message or call.
std::string ReceiptDetail(const v1::Receipt& receipt) {
  if (receipt.provider_id().empty()) return receipt.detail();
  if (receipt.detail().empty()) return receipt.provider_id();
  return absl::StrCat(receipt.provider_id(), ": ", receipt.detail());
}

struct ListParams {
  std::string incident;
  // Empty: any.
  std::string contact;
  std::string engagement;
};

absl::Status ListPages(const ListParams& params, const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Page> pages,
                   context.clients.paging->ListPages(params.incident));
  // The paging API lists by incident; the other filters apply here.
  pages.erase(
      std::remove_if(pages.begin(), pages.end(),
                     [&params](const v1::Page& page) {
                       return (!params.contact.empty() &&
                               page.contact() != params.contact) ||
                              (!params.engagement.empty() &&
                               page.engagement_id() != params.engagement);
                     }),
      pages.end());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(pages), context.out);
  }
  PrintPages(pages, context.out);
  return absl::OkStatus();
}

absl::Status ShowPage(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::Page page, context.clients.paging->GetPage(id));
  if (IsActivation(page)) {
    // Nothing to acknowledge, and the activation code is the contact's to
    // confirm: neither is shown, whatever the service answered.
    page.clear_accept_code();
    page.clear_activation_code();
  }
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(page), context.out);
  }
  std::vector<std::pair<std::string, std::string>> fields = {
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
  };
  if (IsActivation(page)) {
    fields.push_back({"Purpose", "activation (nothing to acknowledge)"});
  } else {
    fields.push_back({"Accept code", page.accept_code()});
  }
  fields.insert(fields.end(),
                {
                    {"Created", FormatTimestamp(page.create_time())},
                    {"Next attempt", FormatTimestamp(page.next_attempt())},
                    {"Acknowledged", FormatTimestamp(page.ack_time())},
                    {"Acknowledged by", page.acked_by()},
                });
  PrintFields(fields, context.out);
  context.out << "\n";
  Table attempts;
  attempts.AddRow({"ATTEMPT", "TIME", "RESULT", "DETAIL"});
  for (const v1::DeliveryAttempt& attempt : page.attempts()) {
    attempts.AddRow({absl::StrCat(attempt.number()),
                     FormatTimestamp(attempt.time()),
                     attempt.ok() ? "ok" : "failed", attempt.detail()});
  }
  attempts.Print(context.out);
  context.out << "\n";
  if (page.receipts().empty()) {
    context.out << "Receipts: none\n";
    return absl::OkStatus();
  }
  Table receipts;
  receipts.AddRow({"TIME", "STATUS", "PROVIDER", "DETAIL"});
  for (const v1::Receipt& receipt : page.receipts()) {
    receipts.AddRow({FormatTimestamp(receipt.time()),
                     ReceiptStatusLabel(receipt.status()), receipt.provider(),
                     ReceiptDetail(receipt)});
  }
  receipts.Print(context.out);
  return absl::OkStatus();
}

struct AckParams {
  std::string id;
  std::string code;
};

absl::Status AcceptPage(const AckParams& params, const Context& context) {
  const std::string author = CliAuthor(context.options);
  ASSIGN_OR_RETURN(v1::Page page,
                   context.clients.paging->AcceptPage(params.id, params.code, author));
  // Someone was first: the page answers as it was acknowledged then.
  if (!page.acked_by().empty() && page.acked_by() != author) {
    context.out << "page/" << page.id() << " was already acknowledged by " << page.acked_by()
                << " at " << FormatTimestamp(page.ack_time()) << "\n";
    return absl::OkStatus();
  }
  context.out << "page/" << page.id() << " acknowledged\n";
  return absl::OkStatus();
}

}  // namespace

void PrintPages(const std::vector<v1::Page>& pages, std::ostream& out) {
  Table table;
  table.AddRow({"ID", "CONTACT", "CHANNEL", "STATE", "ATTEMPTS", "LAST RECEIPT",
                "CREATED"});
  for (const v1::Page& page : pages) {
    table.AddRow({page.id(), page.contact(), page.channel().name(),
                  StateLabel(page.state()), absl::StrCat(page.attempts_size()),
                  LastReceipt(page), FormatTimestamp(page.create_time())});
  }
  table.Print(out);
}

void AddPagesCommands(CommandTable& table) {
  CLI::App* pages =
      table.AddFamily("pages",
                      "Pages: one message to one channel of a contact, and its "
                      "acknowledgement.");

  auto list = std::make_shared<ListParams>();
  CLI::App* list_command = table.AddCommand(
      pages, "list",
      "List the pages of an incident, with the status of each one's newest "
      "provider receipt.",
      [list](const Context& context) { return ListPages(*list, context); });
  list_command->add_option("--incident", list->incident, "the incident")
      ->required()
      ->type_name("ID");
  list_command
      ->add_option("--contact", list->contact, "only the pages of this contact")
      ->type_name("NAME");
  list_command
      ->add_option("--engagement", list->engagement,
                   "only the pages of this engagement")
      ->type_name("ID");

  auto show_id = std::make_shared<std::string>();
  table
      .AddCommand(pages, "show",
                  "Show a page, its delivery attempts and the receipts its "
                  "provider reported.",
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
