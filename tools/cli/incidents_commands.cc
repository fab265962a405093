// tocsin incidents list|show|resolve|unmatched
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;
namespace paging_v1 = ::tocsin::paging::v1;
using Json = nlohmann::ordered_json;

std::string StatusLabel(v1::IncidentStatus status) {
  return EnumLabel(v1::IncidentStatus_Name(status), "INCIDENT_STATUS_");
}

struct ListParams {
  // "open", "resolved", or "" for both.
  std::string status;
  std::string plan;
};

absl::Status ListIncidents(const ListParams& params, const Context& context) {
  client::ListIncidentsParams request;
  if (params.status == "open") request.status = v1::INCIDENT_STATUS_OPEN;
  if (params.status == "resolved")
    request.status = v1::INCIDENT_STATUS_RESOLVED;
  request.response_plan = params.plan;
  ASSIGN_OR_RETURN(std::vector<v1::Incident> incidents,
                   context.clients.incidents->ListIncidents(request));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(incidents), context.out);
  }
  Table table;
  table.AddRow({"ID", "STATUS", "IMPACT", "TITLE", "CREATED"});
  for (const v1::Incident& incident : incidents) {
    table.AddRow({incident.id(), StatusLabel(incident.status()),
                  absl::StrCat(incident.impact()), incident.title(),
                  FormatTimestamp(incident.create_time())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status ShowIncident(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::Incident incident,
                   context.clients.incidents->GetIncident(id));
  ASSIGN_OR_RETURN(std::vector<v1::TimelineEvent> timeline,
                   context.clients.incidents->ListTimeline(id));
  // The pages are extra: the incident is shown without them when the paging
  // service does not answer.
  absl::StatusOr<std::vector<paging_v1::Page>> pages =
      context.clients.paging->ListPages(id);
  if (!pages.ok()) {
    context.err << "note: pages not shown: paging service at "
                << context.options.paging << ": "
                << absl::StatusCodeToString(pages.status().code()) << ": "
                << pages.status().message() << "\n";
  }
  if (context.options.output == OutputFormat::kJson) {
    ASSIGN_OR_RETURN(Json incident_json, ToJson(incident));
    ASSIGN_OR_RETURN(Json timeline_json, ToJsonArray(timeline));
    Json json = Json::object();
    json["incident"] = std::move(incident_json);
    json["timeline"] = std::move(timeline_json);
    if (pages.ok()) {
      ASSIGN_OR_RETURN(json["pages"], ToJsonArray(*pages));
    }
    return PrintJson(json, context.out);
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"ID", incident.id()},
      {"Title", incident.title()},
      {"Status", StatusLabel(incident.status())},
      {"Impact", absl::StrCat(incident.impact())},
      {"Response plan", incident.response_plan()},
      {"Source", incident.source()},
      {"Summary", incident.summary()},
      {"Engagements", absl::StrJoin(incident.engagements(), ", ")},
      {"Chat channels", absl::StrJoin(incident.chat_channels(), ", ")},
      {"Alarms", absl::StrCat(incident.alarm_count())},
      {"Created", FormatTimestamp(incident.create_time())},
      {"Updated", FormatTimestamp(incident.update_time())},
      {"Resolved", FormatTimestamp(incident.resolve_time())},
  };
  for (const v1::RelatedItem& item : incident.related_items()) {
    fields.push_back(
        {"Related", item.title().empty()
                        ? item.value()
                        : absl::StrCat(item.title(), ": ", item.value())});
  }
  PrintFields(fields, context.out);
  context.out << "\n";
  Table table;
  table.AddRow({"TIME", "TYPE", "AUTHOR", "MESSAGE"});
  for (const v1::TimelineEvent& event : timeline) {
    table.AddRow({FormatTimestamp(event.event_time()), event.type(),
                  event.author(), event.message()});
  }
  table.Print(context.out);
  if (pages.ok()) {
    context.out << "\n";
    PrintPages(*pages, context.out);
  }
  return absl::OkStatus();
}

struct ResolveParams {
  std::string id;
  std::string note;
};

absl::Status ResolveIncident(const ResolveParams& params,
                             const Context& context) {
  ASSIGN_OR_RETURN(v1::Incident incident,
                   context.clients.incidents->ResolveIncident(
                       params.id, params.note, CliAuthor(context.options)));
  context.out << "incident/" << incident.id() << " resolved\n";
  return absl::OkStatus();
}

struct MarkParams {
  std::string id;
  std::string mark;
  std::string note;
};

// A mark is a moment people name on the timeline ("mitigated": what the
// post-incident analysis's time to mitigate reads). One entry per mark and
// incident: marking again keeps the first time.
absl::Status MarkIncident(const MarkParams& params, const Context& context) {
  const bool valid_name =
      !params.mark.empty() && params.mark.size() <= 32 && absl::ascii_islower(params.mark[0]) &&
      std::all_of(params.mark.begin(), params.mark.end(), [](char c) {
        return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
      });
  if (!valid_name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mark \"", params.mark, "\" must be a lower-case word of letters, digits and '-' "
        "(1 to 32 characters), e.g. mitigated"));
  }
  v1::AddTimelineEventRequest request;
  request.set_incident_id(params.id);
  request.set_type("mark");
  request.set_message(params.note.empty()
                          ? absl::StrCat("Marked ", params.mark)
                          : absl::StrCat("Marked ", params.mark, ": ", params.note));
  request.set_data_json(nlohmann::json{{"mark", params.mark}}.dump());
  request.set_source_event_id(absl::StrCat("mark:", params.mark));
  request.set_author(CliAuthor(context.options));
  ASSIGN_OR_RETURN(v1::TimelineEvent entry,
                   context.clients.incidents->AddTimelineEvent(request));
  context.out << "incident/" << params.id << " marked " << params.mark << " at "
              << FormatTimestamp(entry.event_time()) << "\n";
  return absl::OkStatus();
}

absl::Status ListUnmatched(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::UnmatchedAlarm> unmatched,
                   context.clients.incidents->ListUnmatched());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(unmatched), context.out);
  }
  Table table;
  table.AddRow({"RECEIVED", "STATE", "SOURCE", "ACCOUNT", "REGION", "ALARM"});
  for (const v1::UnmatchedAlarm& entry : unmatched) {
    const v1::Alarm& alarm = entry.alarm();
    table.AddRow({FormatTimestamp(entry.receive_time()),
                  EnumLabel(v1::AlarmState_Name(alarm.state()), "ALARM_STATE_"),
                  alarm.source(), alarm.account(), alarm.region(),
                  alarm.alarm_name().empty() ? alarm.detail_type()
                                             : alarm.alarm_name()});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

}  // namespace

void AddIncidentsCommands(CommandTable& table) {
  CLI::App* incidents = table.AddFamily(
      "incidents",
      "Incidents: what alarms opened, their timelines, resolving.");

  auto list = std::make_shared<ListParams>();
  CLI::App* list_command = table.AddCommand(
      incidents, "list", "List incidents.",
      [list](const Context& context) { return ListIncidents(*list, context); });
  list_command
      ->add_option("--status", list->status, "only open or resolved ones")
      ->check(OneOf({"open", "resolved"}))
      ->type_name("open|resolved");
  list_command
      ->add_option("--plan", list->plan,
                   "only those the response plan NAME opened")
      ->type_name("NAME");

  auto show_id = std::make_shared<std::string>();
  table
      .AddCommand(incidents, "show",
                  "Show an incident, its timeline and its pages.",
                  [show_id](const Context& context) {
                    return ShowIncident(*show_id, context);
                  })
      ->add_option("ID", *show_id, "the incident, e.g. inc-...")
      ->required()
      ->type_name("");

  auto resolve = std::make_shared<ResolveParams>();
  CLI::App* resolve_command = table.AddCommand(
      incidents, "resolve", "Resolve an incident.",
      [resolve](const Context& context) {
        return ResolveIncident(*resolve, context);
      },
      /*records_author=*/true);
  resolve_command->add_option("ID", resolve->id, "the incident")
      ->required()
      ->type_name("");
  resolve_command
      ->add_option("--note", resolve->note, "why, recorded on the timeline")
      ->type_name("TEXT");

  auto mark = std::make_shared<MarkParams>();
  CLI::App* mark_command = table.AddCommand(
      incidents, "mark",
      "Mark a moment on an incident's timeline (mitigated: the time to mitigate of its "
      "post-incident analysis).",
      [mark](const Context& context) { return MarkIncident(*mark, context); },
      /*records_author=*/true);
  mark_command->add_option("ID", mark->id, "the incident")->required()->type_name("");
  mark_command->add_option("MARK", mark->mark, "e.g. mitigated")->required()->type_name("");
  mark_command->add_option("--note", mark->note, "recorded with the mark")->type_name("TEXT");

  table.AddCommand(incidents, "unmatched",
                   "List alarms that matched no response plan.", ListUnmatched);
}

}  // namespace tocsin::cli
