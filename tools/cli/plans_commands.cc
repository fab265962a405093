// tocsin plans list|show|create|test
//
// `plans test` is a dry run of a whole route: the EventBridge event is parsed
// by the gateway's own parser, the incidents service's TestAlarm says which
// plan matches (and why the others do not) and whether it would open or join
// an incident, and the escalation service's PreviewEngagement says who the
// plan's engagements would page, on which channel, at which stage and when.
// Nothing is stored and nobody is paged.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "services/gateway/eventbridge.h"
#include "tocsin/escalation/v1/escalation.pb.h"
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

namespace escalation_v1 = ::tocsin::escalation::v1;
using Json = nlohmann::ordered_json;

std::string OutcomeLabel(v1::IngestOutcome outcome) {
  return EnumLabel(v1::IngestOutcome_Name(outcome), "INGEST_OUTCOME_");
}

// What the incident part of the report says.
std::string IncidentDecision(const v1::TestAlarmResponse& test) {
  const v1::IngestAlarmResponse& result = test.result();
  switch (result.outcome()) {
    case v1::INGEST_OUTCOME_OPENED:
      return absl::StrFormat("would open a new incident \"%s\" (impact %d)",
                             test.incident().title(), test.incident().impact());
    case v1::INGEST_OUTCOME_JOINED:
      return absl::StrFormat("would join open incident %s \"%s\"",
                             result.incident_id(), test.incident().title());
    case v1::INGEST_OUTCOME_RESOLVED:
      return absl::StrFormat("would resolve incident %s", result.incident_id());
    case v1::INGEST_OUTCOME_IGNORED:
      return "would open nothing";
    case v1::INGEST_OUTCOME_UNMATCHED:
      return "would be kept as unmatched (no plan matches, no default plan)";
    default:
      return "-";
  }
}

// Why nobody is paged when the alarm engages nobody new.
std::string WhyNoPages(const v1::TestAlarmResponse& test) {
  if (test.result().outcome() == v1::INGEST_OUTCOME_JOINED) {
    return "the alarm joins an open incident, whose engagements run already";
  }
  if (test.result().outcome() != v1::INGEST_OUTCOME_OPENED) {
    return "no incident opens";
  }
  return "the plan engages no contact";
}

absl::Status TestPlans(const std::string& path, const std::string& at,
                       const Context& context) {
  ASSIGN_OR_RETURN(std::string body, ReadInput(path, context.in));
  absl::StatusOr<std::vector<v1::Alarm>> alarms =
      gateway::ParseEventBridgeBody(body);
  if (!alarms.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\": %s", path, alarms.status().message()));
  }
  if (alarms->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" holds %d events; \"plans test\" takes one",
                        path, alarms->size()));
  }
  const v1::Alarm& alarm = alarms->front();
  ASSIGN_OR_RETURN(v1::TestAlarmResponse test,
                   context.clients.incidents->TestAlarm(alarm));

  std::optional<absl::Time> when;
  if (!at.empty()) when = ParseRfc3339(at);
  std::vector<std::string> engaged;
  if (test.result().outcome() == v1::INGEST_OUTCOME_OPENED) {
    engaged.assign(test.incident().engagements().begin(),
                   test.incident().engagements().end());
  }
  std::vector<escalation_v1::PlannedPage> pages;
  if (!engaged.empty()) {
    ASSIGN_OR_RETURN(
        pages, context.clients.escalation->PreviewEngagement(engaged, when));
  }

  if (context.options.output == OutputFormat::kJson) {
    Json json = Json::object();
    json["alarm"] = {{"eventId", alarm.event_id()},
                     {"source", alarm.source()},
                     {"detailType", alarm.detail_type()},
                     {"alarmName", alarm.alarm_name()},
                     {"state", EnumLabel(v1::AlarmState_Name(alarm.state()),
                                         "ALARM_STATE_")}};
    ASSIGN_OR_RETURN(json["plans"],
                     ToJsonArray(std::vector<v1::PlanVerdict>(
                         test.plans().begin(), test.plans().end())));
    Json incident = Json::object();
    incident["outcome"] = std::string(absl::StripPrefix(
        v1::IngestOutcome_Name(test.result().outcome()), "INGEST_OUTCOME_"));
    incident["responsePlan"] = test.result().response_plan();
    incident["incidentId"] = test.result().incident_id();
    incident["detail"] = test.result().detail();
    incident["title"] = test.incident().title();
    incident["impact"] = test.incident().impact();
    incident["engagements"] = engaged;
    json["incident"] = std::move(incident);
    json["at"] =
        when ? Json(FormatTimestamp(ToProtoTime(*when))) : Json(nullptr);
    ASSIGN_OR_RETURN(json["pages"], ToJsonArray(pages));
    return PrintJson(json, context.out);
  }

  std::ostream& out = context.out;
  out << "Alarm: " << (alarm.alarm_name().empty() ? "-" : alarm.alarm_name())
      << " (" << alarm.source() << ", " << alarm.detail_type() << "), state "
      << EnumLabel(v1::AlarmState_Name(alarm.state()), "ALARM_STATE_")
      << "\n\nResponse plans, in the order they are considered:\n";
  Table plans;
  plans.AddRow({"PLAN", "MATCHES", "PRIORITY", "WHY"});
  for (const v1::PlanVerdict& verdict : test.plans()) {
    plans.AddRow({verdict.plan(), verdict.matches() ? "yes" : "no",
                  absl::StrCat(verdict.priority()),
                  absl::StrJoin(verdict.reasons(), "; ")});
  }
  plans.Print(out);
  out << "\nIncident: " << IncidentDecision(test);
  if (!test.result().response_plan().empty()) {
    out << " by plan " << test.result().response_plan();
  }
  out << "\n";
  if (!test.result().detail().empty()) {
    out << "  " << test.result().detail() << "\n";
  }
  if (engaged.empty()) {
    out << "\nNobody would be paged: " << WhyNoPages(test) << ".\n";
    return absl::OkStatus();
  }
  out << "\nPages if " << absl::StrJoin(engaged, ", ") << " were engaged at "
      << (when ? FormatTimestamp(ToProtoTime(*when)) : std::string("now"))
      << ":\n";
  Table table;
  table.AddRow({"TIME", "STAGE", "PATH", "CHANNEL", "DETAIL"});
  for (const escalation_v1::PlannedPage& page : pages) {
    table.AddRow({FormatTimestamp(page.time()), absl::StrCat(page.stage() + 1),
                  absl::StrJoin(page.path(), " > "),
                  page.channel().empty() ? "-" : page.channel(),
                  page.detail()});
  }
  table.Print(out);
  if (pages.empty()) out << "(nobody: the plans page no one)\n";
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

  auto alarm = std::make_shared<std::string>();
  auto at = std::make_shared<std::string>();
  CLI::App* test = table.AddCommand(
      plans, "test",
      "Dry run of an EventBridge event: which plan matches, open or join, and "
      "who would be paged when. Stores nothing, pages nobody.",
      [alarm, at](const Context& context) {
        return TestPlans(*alarm, *at, context);
      });
  test->add_option("-f", *alarm,
                   "the EventBridge event (JSON) as the gateway receives it")
      ->required()
      ->type_name("FILE");
  test->add_option("--at", *at,
                   "when the engagements would start (RFC 3339; default: now)")
      ->check(Rfc3339Time())
      ->type_name("TIME");
}

}  // namespace tocsin::cli
