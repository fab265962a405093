// tocsin engagements list
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::escalation::v1;

absl::Status ListEngagements(const std::string& incident_id,
                             const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Engagement> engagements,
                   context.clients.escalation->ListEngagements(incident_id));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(engagements), context.out);
  }
  Table table;
  table.AddRow({"ID", "INCIDENT", "CONTACT", "STATE", "PAGED", "NEXT DUE",
                "STARTED", "STOP REASON"});
  for (const v1::Engagement& engagement : engagements) {
    table.AddRow(
        {engagement.id(), engagement.incident_id(), engagement.contact(),
         EnumLabel(v1::EngagementState_Name(engagement.state()),
                   "ENGAGEMENT_STATE_"),
         absl::StrCat(engagement.next_stage(), "/",
                      engagement.contact_snapshot().channels_size()),
         FormatTimestamp(engagement.next_due()),
         FormatTimestamp(engagement.start_time()), engagement.stop_reason()});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

}  // namespace

void AddEngagementsCommands(CommandTable& table) {
  CLI::App* engagements = table.AddFamily(
      "engagements",
      "Engagements: one contact being paged for one incident, stage by stage.");

  auto incident = std::make_shared<std::string>();
  table
      .AddCommand(
          engagements, "list",
          "List the engagements of an incident (default: every active one).",
          [incident](const Context& context) {
            return ListEngagements(*incident, context);
          })
      ->add_option("--incident", *incident, "the incident")
      ->type_name("ID");
}

}  // namespace tocsin::cli
