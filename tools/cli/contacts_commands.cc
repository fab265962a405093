// tocsin contacts list|show|create|activate|deactivate|send-code
#include <memory>
#include <string>
#include <utility>
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

std::string ActivationLabel(const v1::ContactChannel& channel) {
  // Stored before activation existed: paged as activated.
  if (channel.activation().state() == v1::ACTIVATION_STATE_UNSPECIFIED) {
    return "activated (grandfathered)";
  }
  return EnumLabel(v1::ActivationState_Name(channel.activation().state()),
                   "ACTIVATION_STATE_");
}

std::string ContactTypeLabel(const v1::Contact& contact) {
  if (contact.type() == v1::CONTACT_TYPE_UNSPECIFIED) return "personal";
  return EnumLabel(v1::ContactType_Name(contact.type()), "CONTACT_TYPE_");
}

void PrintPlan(const v1::Contact& contact, std::ostream& out) {
  Table table;
  table.AddRow({"STAGE", "DURATION", "TARGETS"});
  switch (contact.plan_case()) {
    case v1::Contact::kPersonalPlan: {
      out << "\nPlan: stages in order, each lasting its duration\n";
      const auto& stages = contact.personal_plan().stages();
      for (int i = 0; i < stages.size(); ++i) {
        table.AddRow(
            {absl::StrCat(i + 1),
             FormatMinutes(stages[i].duration_in_minutes()),
             absl::StrJoin(stages[i].targets(), ", ",
                           [](std::string* text, const v1::ChannelTarget& t) {
                             absl::StrAppend(text, t.channel());
                             if (t.retry_interval_in_minutes() > 0) {
                               absl::StrAppend(
                                   text, " (retry every ",
                                   FormatMinutes(t.retry_interval_in_minutes()),
                                   ")");
                             }
                           })});
      }
      table.Print(out);
      return;
    }
    case v1::Contact::kEscalationPlan: {
      const v1::EscalationPlan& plan = contact.escalation_plan();
      out << "\nPlan: stages in order, each lasting its duration; stop on "
             "first ack: "
          << (plan.stop_on_first_ack() ? "yes" : "no")
          << "; repeat: " << plan.repeat() << "\n";
      for (int i = 0; i < plan.stages_size(); ++i) {
        table.AddRow(
            {absl::StrCat(i + 1),
             FormatMinutes(plan.stages(i).duration_in_minutes()),
             absl::StrJoin(plan.stages(i).targets(), ", ",
                           [](std::string* text, const v1::ContactTarget& t) {
                             absl::StrAppend(
                                 text, t.contact(),
                                 t.is_essential() ? " (essential)" : "");
                           })});
      }
      table.Print(out);
      return;
    }
    case v1::Contact::kSchedule:
      out << "\nRotations (all on call together): "
          << absl::StrJoin(contact.schedule().rotation_ids(), ", ") << "\n";
      return;
    case v1::Contact::PLAN_NOT_SET:
      return;
  }
}

absl::Status ShowContact(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(v1::Contact contact,
                   context.clients.escalation->GetContact(name));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(contact), context.out);
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Name", contact.name()},
      {"Display name", contact.display_name()},
      {"Type", ContactTypeLabel(contact)},
  };
  if (contact.ack_timeout_in_minutes() > 0) {
    fields.push_back(
        {"Ack timeout", FormatMinutes(contact.ack_timeout_in_minutes())});
  }
  fields.insert(fields.end(),
                {{"Version", absl::StrCat(contact.version())},
                 {"Created", FormatTimestamp(contact.create_time())},
                 {"Updated", FormatTimestamp(contact.update_time())}});
  PrintFields(fields, context.out);
  if (contact.channels_size() > 0) context.out << "\n";
  if (contact.plan_case() == v1::Contact::PLAN_NOT_SET &&
      contact.channels_size() > 0) {
    // No plan: channels are paged in order, each its delay after the one
    // before.
    Table table;
    table.AddRow({"STAGE", "CHANNEL", "AFTER", "ACTIVATION", "DESTINATION"});
    for (int i = 0; i < contact.channels_size(); ++i) {
      const v1::ContactChannel& channel = contact.channels(i);
      std::string after = "at once";
      if (i > 0) {
        after = absl::FormatDuration(escalation::ChannelDelay(channel));
      }
      table.AddRow({absl::StrCat(i), channel.name(), after,
                    ActivationLabel(channel), Destination(channel)});
    }
    table.Print(context.out);
    return absl::OkStatus();
  }
  if (contact.channels_size() > 0) {
    Table table;
    table.AddRow({"CHANNEL", "ACTIVATION", "DESTINATION"});
    for (const v1::ContactChannel& channel : contact.channels()) {
      table.AddRow(
          {channel.name(), ActivationLabel(channel), Destination(channel)});
    }
    table.Print(context.out);
  }
  PrintPlan(contact, context.out);
  return absl::OkStatus();
}

// What contacts activate|deactivate|send-code name.
struct ChannelArgs {
  std::string contact;
  std::string channel;
  std::string code;
};

absl::Status ChangeChannel(const ChannelArgs& args, absl::string_view verb,
                           const Context& context) {
  const client::EscalationClient& escalation = *context.clients.escalation;
  absl::StatusOr<v1::Contact> changed;
  std::string done;
  if (verb == "activate") {
    changed = escalation.ActivateChannel(args.contact, args.channel, args.code);
    done = "activated";
  } else if (verb == "deactivate") {
    changed = escalation.DeactivateChannel(args.contact, args.channel);
    done = "deactivated";
  } else {
    changed = escalation.SendActivationCode(args.contact, args.channel);
    done = "sent a new activation code";
  }
  RETURN_IF_ERROR(changed.status());
  context.out << "contact/" << args.contact << " channel " << args.channel
              << " " << done << "\n";
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
    case v1::ContactChannel::kSms:
      return absl::StrCat("sms ", channel.sms().number());
    case v1::ContactChannel::kVoice:
      return absl::StrCat("voice ", channel.voice().number());
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

  struct Verb {
    const char* name;
    const char* help;
    bool code;
  };
  for (const Verb& verb : {
           Verb{"activate",
                "Activate a channel with the code that was sent to it.", true},
           Verb{"deactivate", "Stop paging a channel until it is activated.",
                false},
           Verb{"send-code", "Send a new activation code to a channel.", false},
       }) {
    auto args = std::make_shared<ChannelArgs>();
    const std::string name = verb.name;
    CLI::App* command = table.AddCommand(
        contacts, name, verb.help, [args, name](const Context& context) {
          return ChangeChannel(*args, name, context);
        });
    command->add_option("CONTACT", args->contact, "the contact")
        ->required()
        ->type_name("");
    command->add_option("CHANNEL", args->channel, "the channel's name")
        ->required()
        ->type_name("");
    if (verb.code) {
      command->add_option("CODE", args->code, "the code the channel received")
          ->required()
          ->type_name("");
    }
  }
}

}  // namespace tocsin::cli
