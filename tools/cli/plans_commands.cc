// tocsin plans list|show|create
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/status/status_macros.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;

absl::Status ListPlans(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::ResponsePlan> plans,
                   context.clients.incidents->ListPlans());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(plans), context.out);
  }
  Table table;
  table.AddRow({"NAME", "PRIORITY", "VERSION", "DISPLAY NAME"});
  for (const v1::ResponsePlan& plan : plans) {
    table.AddRow({plan.name(), absl::StrCat(plan.priority()),
                  absl::StrCat(plan.version()), plan.display_name()});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status ShowPlan(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(v1::ResponsePlan plan,
                   context.clients.incidents->GetPlan(name));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(plan), context.out);
  }
  const v1::AlarmMatch& match = plan.match();
  const v1::IncidentTemplate& incident = plan.incident_template();
  PrintFields(
      {
          {"Name", plan.name()},
          {"Display name", plan.display_name()},
          {"Priority", absl::StrCat(plan.priority())},
          {"Version", absl::StrCat(plan.version())},
          {"Alarm name pattern", match.alarm_name_pattern()},
          {"Accounts", absl::StrJoin(match.accounts(), ", ")},
          {"Regions", absl::StrJoin(match.regions(), ", ")},
          {"Sources", absl::StrJoin(match.sources(), ", ")},
          {"Detail types", absl::StrJoin(match.detail_types(), ", ")},
          {"Title", incident.title()},
          {"Impact", absl::StrCat(incident.impact())},
          {"Summary", incident.summary()},
          {"Dedupe string", incident.dedupe_string()},
          {"Engagements", absl::StrJoin(plan.engagements(), ", ")},
          {"Chat channels", absl::StrJoin(plan.chat_channels(), ", ")},
          {"Resolve on OK", plan.resolve_on_ok() ? "true" : "false"},
          {"Open on insufficient data",
           plan.open_on_insufficient_data() ? "true" : "false"},
          {"Created", FormatTimestamp(plan.create_time())},
          {"Updated", FormatTimestamp(plan.update_time())},
      },
      context.out);
  return absl::OkStatus();
}

absl::Status CreatePlan(const std::string& path, const Context& context) {
  ASSIGN_OR_RETURN(auto plan,
                   LoadOne<v1::ResponsePlan>(path, context.in, "ResponsePlan"));
  RETURN_IF_ERROR(context.clients.incidents->CreatePlan(*plan.second).status());
  context.out << ObjectLabel(plan.first) << " created\n";
  return absl::OkStatus();
}

}  // namespace

void AddPlansCommands(CommandTable& table) {
  CLI::App* plans = table.AddFamily(
      "plans",
      "Response plans: which alarms open incidents, and who is paged.");

  table.AddCommand(plans, "list", "List response plans.", ListPlans);

  auto name = std::make_shared<std::string>();
  table
      .AddCommand(
          plans, "show", "Show a response plan.",
          [name](const Context& context) { return ShowPlan(*name, context); })
      ->add_option("NAME", *name, "the plan")
      ->required()
      ->type_name("");

  auto path = std::make_shared<std::string>();
  table
      .AddCommand(
          plans, "create",
          "Create the response plan that FILE declares (\"-\": stdin).",
          [path](const Context& context) { return CreatePlan(*path, context); })
      ->add_option("-f", *path, "a YAML manifest of one ResponsePlan")
      ->required()
      ->type_name("FILE");
}

}  // namespace tocsin::cli
