// tocsin contacts list|show|create
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "libs/status/status_macros.h"
#include "services/escalation/contacts.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::escalation::v1;

absl::Status ListContacts(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Contact> contacts,
                   context.clients.escalation->ListContacts());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(contacts), context.out);
  }
  Table table;
  table.AddRow({"NAME", "CHANNELS", "VERSION", "DISPLAY NAME"});
  for (const v1::Contact& contact : contacts) {
    table.AddRow(
        {contact.name(),
         absl::StrJoin(contact.channels(), ", ",
                       [](std::string* out, const v1::ContactChannel& c) {
                         absl::StrAppend(out, c.name());
                       }),
         absl::StrCat(contact.version()), contact.display_name()});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status ShowContact(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(v1::Contact contact,
                   context.clients.escalation->GetContact(name));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(contact), context.out);
  }
  PrintFields(
      {
          {"Name", contact.name()},
          {"Display name", contact.display_name()},
          {"Version", absl::StrCat(contact.version())},
          {"Created", FormatTimestamp(contact.create_time())},
          {"Updated", FormatTimestamp(contact.update_time())},
      },
      context.out);
  context.out << "\n";
  // Channels are paged in order, each its delay after the one before.
  Table table;
  table.AddRow({"STAGE", "CHANNEL", "AFTER", "DESTINATION"});
  for (int i = 0; i < contact.channels_size(); ++i) {
    const v1::ContactChannel& channel = contact.channels(i);
    std::string after = "at once";
    if (i > 0) {
      after = absl::FormatDuration(escalation::ChannelDelay(channel));
    }
    table.AddRow(
        {absl::StrCat(i), channel.name(), after, Destination(channel)});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status CreateContact(const std::string& path, const Context& context) {
  ASSIGN_OR_RETURN(auto contact,
                   LoadOne<v1::Contact>(path, context.in, "Contact"));
  RETURN_IF_ERROR(
      context.clients.escalation->CreateContact(*contact.second).status());
  context.out << ObjectLabel(contact.first) << " created\n";
  return absl::OkStatus();
}

}  // namespace

std::string Destination(const v1::ContactChannel& channel) {
  switch (channel.destination_case()) {
    case v1::ContactChannel::kEmail:
      return absl::StrCat("email ", channel.email().address());
    case v1::ContactChannel::kWebhook:
      return absl::StrCat("webhook ", channel.webhook().url());
    case v1::ContactChannel::DESTINATION_NOT_SET:
      break;
  }
  return "-";
}

void AddContactsCommands(CommandTable& table) {
  CLI::App* contacts = table.AddFamily(
      "contacts", "Contacts: who is paged, on which channels, in which order.");

  table.AddCommand(contacts, "list", "List contacts.", ListContacts);

  auto name = std::make_shared<std::string>();
  table
      .AddCommand(contacts, "show", "Show a contact and its channels.",
                  [name](const Context& context) {
                    return ShowContact(*name, context);
                  })
      ->add_option("NAME", *name, "the contact")
      ->required()
      ->type_name("");

  auto path = std::make_shared<std::string>();
  table
      .AddCommand(contacts, "create",
                  "Create the contact that FILE declares (\"-\": stdin).",
                  [path](const Context& context) {
                    return CreateContact(*path, context);
                  })
      ->add_option("-f", *path, "a YAML manifest of one Contact")
      ->required()
      ->type_name("FILE");
}

}  // namespace tocsin::cli
