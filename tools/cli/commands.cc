#include "tools/cli/commands.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "libs/status/status_macros.h"
#include "services/escalation/contacts.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/apply.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;
namespace escalation_v1 = ::tocsin::escalation::v1;
namespace paging_v1 = ::tocsin::paging::v1;
using Json = nlohmann::ordered_json;

// ---- Command table ----

// A flag that takes a value.
struct FlagSpec {
  // "note" for --note; a one-letter name is written -f.
  std::string name;
  // What the usage shows as its value, e.g. "TEXT".
  std::string value;
  // The values allowed, if only some are.
  std::vector<std::string> choices;
  bool required = false;
};

// What a running command works with.
struct Context {
  GlobalOptions options;
  // Positional arguments after the noun and verb.
  std::vector<std::string> args;
  // Values of the command's own flags, by name.
  absl::flat_hash_map<std::string, std::string> flags;
  const IncidentsClient* incidents = nullptr;
  const EscalationClient* escalation = nullptr;
  const PagingClient* paging = nullptr;
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  // Notes that do not fail the command.
  std::ostream* err = nullptr;

  // The flag's value, or "" when it was not given.
  std::string Flag(absl::string_view name) const {
    auto it = flags.find(name);
    return it == flags.end() ? "" : it->second;
  }
};

struct CommandSpec {
  std::string noun;
  // Empty when the noun alone is the command ("apply").
  std::string verb;
  // Names of the positional arguments, e.g. "ID".
  std::vector<std::string> args;
  std::vector<FlagSpec> flags;
  std::string help;
  // Whether it writes on an incident's timeline, which needs an author.
  bool records_author = false;
  absl::Status (*run)(const Context& context);
};

// ---- Helpers ----

absl::Status PrintJson(const absl::StatusOr<Json>& json, std::ostream& out) {
  if (!json.ok()) return json.status();
  out << json->dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  return absl::OkStatus();
}

// Reads the file at `path`, or all of `in` when the path is "-".
absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      std::istream& in) {
  std::ostringstream text;
  if (path == "-") {
    text << in.rdbuf();
    return text.str();
  }
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cannot read \"%s\": %s", path, std::strerror(errno)));
  }
  text << file.rdbuf();
  return text.str();
}

// The one object of kind `T` that the file given by -f declares.
template <typename T>
absl::StatusOr<std::pair<ManifestObject, const T*>> LoadOne(
    const Context& context, absl::string_view kind) {
  const std::string path = context.Flag("f");
  ASSIGN_OR_RETURN(std::string yaml, ReadInput(path, *context.in));
  ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
  const T* message = google::protobuf::DynamicCastToGenerated<T>(
      objects.front().message.get());
  if (objects.size() != 1 || message == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" must declare exactly one %s (\"tocsin apply\" takes several "
        "objects)",
        path, kind));
  }
  return std::make_pair(std::move(objects.front()), message);
}

std::string StatusLabel(v1::IncidentStatus status) {
  return EnumLabel(v1::IncidentStatus_Name(status), "INCIDENT_STATUS_");
}

// "email alice@example.com", "webhook https://...".
std::string Destination(const escalation_v1::ContactChannel& channel) {
  switch (channel.destination_case()) {
    case escalation_v1::ContactChannel::kEmail:
      return absl::StrCat("email ", channel.email().address());
    case escalation_v1::ContactChannel::kWebhook:
      return absl::StrCat("webhook ", channel.webhook().url());
    case escalation_v1::ContactChannel::DESTINATION_NOT_SET:
      break;
  }
  return "-";
}

void PrintPages(const std::vector<paging_v1::Page>& pages, std::ostream& out) {
  Table table;
  table.AddRow({"ID", "CONTACT", "CHANNEL", "STATE", "ATTEMPTS", "CREATED"});
  for (const paging_v1::Page& page : pages) {
    table.AddRow(
        {page.id(), page.contact(), page.channel().name(),
         EnumLabel(paging_v1::PageState_Name(page.state()), "PAGE_STATE_"),
         absl::StrCat(page.attempts_size()),
         FormatTimestamp(page.create_time())});
  }
  table.Print(out);
}

// ---- incidents ----

absl::Status ListIncidents(const Context& context) {
  ListIncidentsParams params;
  const std::string status = context.Flag("status");
  if (status == "open") params.status = v1::INCIDENT_STATUS_OPEN;
  if (status == "resolved") params.status = v1::INCIDENT_STATUS_RESOLVED;
  params.response_plan = context.Flag("plan");
  ASSIGN_OR_RETURN(std::vector<v1::Incident> incidents,
                   context.incidents->ListIncidents(params));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(incidents), *context.out);
  }
  Table table;
  table.AddRow({"ID", "STATUS", "IMPACT", "TITLE", "CREATED"});
  for (const v1::Incident& incident : incidents) {
    table.AddRow({incident.id(), StatusLabel(incident.status()),
                  absl::StrCat(incident.impact()), incident.title(),
                  FormatTimestamp(incident.create_time())});
  }
  table.Print(*context.out);
  return absl::OkStatus();
}

absl::Status ShowIncident(const Context& context) {
  const std::string& id = context.args[0];
  ASSIGN_OR_RETURN(v1::Incident incident, context.incidents->GetIncident(id));
  ASSIGN_OR_RETURN(std::vector<v1::TimelineEvent> timeline,
                   context.incidents->ListTimeline(id));
  // The pages are extra: the incident is shown without them when the paging
  // service does not answer.
  absl::StatusOr<std::vector<paging_v1::Page>> pages =
      context.paging->ListPages(id);
  if (!pages.ok()) {
    *context.err << "note: pages not shown: paging service at "
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
    return PrintJson(json, *context.out);
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
  PrintFields(fields, *context.out);
  *context.out << "\n";
  Table table;
  table.AddRow({"TIME", "TYPE", "AUTHOR", "MESSAGE"});
  for (const v1::TimelineEvent& event : timeline) {
    table.AddRow({FormatTimestamp(event.event_time()), event.type(),
                  event.author(), event.message()});
  }
  table.Print(*context.out);
  if (pages.ok()) {
    *context.out << "\n";
    PrintPages(*pages, *context.out);
  }
  return absl::OkStatus();
}

absl::Status ResolveIncident(const Context& context) {
  ASSIGN_OR_RETURN(v1::Incident incident,
                   context.incidents->ResolveIncident(
                       context.args[0], context.Flag("note"),
                       absl::StrCat("cli:", context.options.author)));
  *context.out << "incident/" << incident.id() << " resolved\n";
  return absl::OkStatus();
}

absl::Status ListUnmatched(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::UnmatchedAlarm> unmatched,
                   context.incidents->ListUnmatched());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(unmatched), *context.out);
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
  table.Print(*context.out);
  return absl::OkStatus();
}

// ---- plans ----

absl::Status ListPlans(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::ResponsePlan> plans,
                   context.incidents->ListPlans());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(plans), *context.out);
  }
  Table table;
  table.AddRow({"NAME", "PRIORITY", "VERSION", "DISPLAY NAME"});
  for (const v1::ResponsePlan& plan : plans) {
    table.AddRow({plan.name(), absl::StrCat(plan.priority()),
                  absl::StrCat(plan.version()), plan.display_name()});
  }
  table.Print(*context.out);
  return absl::OkStatus();
}

absl::Status ShowPlan(const Context& context) {
  ASSIGN_OR_RETURN(v1::ResponsePlan plan,
                   context.incidents->GetPlan(context.args[0]));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(plan), *context.out);
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
      *context.out);
  return absl::OkStatus();
}

absl::Status CreatePlan(const Context& context) {
  ASSIGN_OR_RETURN(auto plan,
                   LoadOne<v1::ResponsePlan>(context, "ResponsePlan"));
  RETURN_IF_ERROR(context.incidents->CreatePlan(*plan.second).status());
  *context.out << ObjectLabel(plan.first) << " created\n";
  return absl::OkStatus();
}

// ---- contacts ----

absl::Status ListContacts(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<escalation_v1::Contact> contacts,
                   context.escalation->ListContacts());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(contacts), *context.out);
  }
  Table table;
  table.AddRow({"NAME", "CHANNELS", "VERSION", "DISPLAY NAME"});
  for (const escalation_v1::Contact& contact : contacts) {
    table.AddRow({contact.name(),
                  absl::StrJoin(contact.channels(), ", ",
                                [](std::string* out,
                                   const escalation_v1::ContactChannel& c) {
                                  absl::StrAppend(out, c.name());
                                }),
                  absl::StrCat(contact.version()), contact.display_name()});
  }
  table.Print(*context.out);
  return absl::OkStatus();
}

absl::Status ShowContact(const Context& context) {
  ASSIGN_OR_RETURN(escalation_v1::Contact contact,
                   context.escalation->GetContact(context.args[0]));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(contact), *context.out);
  }
  PrintFields(
      {
          {"Name", contact.name()},
          {"Display name", contact.display_name()},
          {"Version", absl::StrCat(contact.version())},
          {"Created", FormatTimestamp(contact.create_time())},
          {"Updated", FormatTimestamp(contact.update_time())},
      },
      *context.out);
  *context.out << "\n";
  // Channels are paged in order, each its delay after the one before.
  Table table;
  table.AddRow({"STAGE", "CHANNEL", "AFTER", "DESTINATION"});
  for (int i = 0; i < contact.channels_size(); ++i) {
    const escalation_v1::ContactChannel& channel = contact.channels(i);
    std::string after = "at once";
    if (i > 0) {
      after = absl::FormatDuration(escalation::ChannelDelay(channel));
    }
    table.AddRow(
        {absl::StrCat(i), channel.name(), after, Destination(channel)});
  }
  table.Print(*context.out);
  return absl::OkStatus();
}

absl::Status CreateContact(const Context& context) {
  ASSIGN_OR_RETURN(auto contact,
                   LoadOne<escalation_v1::Contact>(context, "Contact"));
  RETURN_IF_ERROR(context.escalation->CreateContact(*contact.second).status());
  *context.out << ObjectLabel(contact.first) << " created\n";
  return absl::OkStatus();
}

// ---- engagements ----

absl::Status ListEngagements(const Context& context) {
  ASSIGN_OR_RETURN(
      std::vector<escalation_v1::Engagement> engagements,
      context.escalation->ListEngagements(context.Flag("incident")));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(engagements), *context.out);
  }
  Table table;
  table.AddRow({"ID", "INCIDENT", "CONTACT", "STATE", "PAGED", "NEXT DUE",
                "STARTED", "STOP REASON"});
  for (const escalation_v1::Engagement& engagement : engagements) {
    table.AddRow(
        {engagement.id(), engagement.incident_id(), engagement.contact(),
         EnumLabel(escalation_v1::EngagementState_Name(engagement.state()),
                   "ENGAGEMENT_STATE_"),
         absl::StrCat(engagement.next_stage(), "/",
                      engagement.contact_snapshot().channels_size()),
         FormatTimestamp(engagement.next_due()),
         FormatTimestamp(engagement.start_time()), engagement.stop_reason()});
  }
  table.Print(*context.out);
  return absl::OkStatus();
}

// ---- pages ----

absl::Status ListPages(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<paging_v1::Page> pages,
                   context.paging->ListPages(context.Flag("incident")));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(pages), *context.out);
  }
  PrintPages(pages, *context.out);
  return absl::OkStatus();
}

absl::Status ShowPage(const Context& context) {
  ASSIGN_OR_RETURN(paging_v1::Page page,
                   context.paging->GetPage(context.args[0]));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(page), *context.out);
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
          {"State",
           EnumLabel(paging_v1::PageState_Name(page.state()), "PAGE_STATE_")},
          {"Title", page.incident_title()},
          {"Impact", absl::StrCat(page.impact())},
          {"Summary", page.summary()},
          {"Accept code", page.accept_code()},
          {"Created", FormatTimestamp(page.create_time())},
          {"Next attempt", FormatTimestamp(page.next_attempt())},
          {"Acknowledged", FormatTimestamp(page.ack_time())},
          {"Acknowledged by", page.acked_by()},
      },
      *context.out);
  *context.out << "\n";
  Table table;
  table.AddRow({"ATTEMPT", "TIME", "RESULT", "DETAIL"});
  for (const paging_v1::DeliveryAttempt& attempt : page.attempts()) {
    table.AddRow({absl::StrCat(attempt.number()),
                  FormatTimestamp(attempt.time()),
                  attempt.ok() ? "ok" : "failed", attempt.detail()});
  }
  table.Print(*context.out);
  return absl::OkStatus();
}

absl::Status AcceptPage(const Context& context) {
  ASSIGN_OR_RETURN(
      paging_v1::Page page,
      context.paging->AcceptPage(context.args[0], context.Flag("code"),
                                 absl::StrCat("cli:", context.options.author)));
  *context.out << "page/" << page.id() << " acknowledged\n";
  return absl::OkStatus();
}

// ---- apply ----

absl::Status Apply(const Context& context) {
  ASSIGN_OR_RETURN(std::string yaml, ReadInput(context.Flag("f"), *context.in));
  ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
  return ApplyManifest(objects, Clients{context.incidents, context.escalation},
                       *context.out);
}

const std::vector<CommandSpec>& Commands() {
  static const auto* commands = new std::vector<CommandSpec>{
      {"incidents",
       "list",
       {},
       {{"status", "", {"open", "resolved"}}, {"plan", "NAME"}},
       "List incidents.",
       /*records_author=*/false,
       ListIncidents},
      {"incidents",
       "show",
       {"ID"},
       {},
       "Show an incident, its timeline and its pages.",
       /*records_author=*/false,
       ShowIncident},
      {"incidents",
       "resolve",
       {"ID"},
       {{"note", "TEXT"}},
       "Resolve an incident.",
       /*records_author=*/true,
       ResolveIncident},
      {"incidents",
       "unmatched",
       {},
       {},
       "List alarms that matched no response plan.",
       /*records_author=*/false,
       ListUnmatched},
      {"plans", "list", {}, {}, "List response plans.", false, ListPlans},
      {"plans", "show", {"NAME"}, {}, "Show a response plan.", false, ShowPlan},
      {"plans",
       "create",
       {},
       {{"f", "FILE", {}, true}},
       "Create the response plan that FILE declares (\"-\": stdin).",
       /*records_author=*/false,
       CreatePlan},
      {"contacts", "list", {}, {}, "List contacts.", false, ListContacts},
      {"contacts",
       "show",
       {"NAME"},
       {},
       "Show a contact and its channels.",
       /*records_author=*/false,
       ShowContact},
      {"contacts",
       "create",
       {},
       {{"f", "FILE", {}, true}},
       "Create the contact that FILE declares (\"-\": stdin).",
       /*records_author=*/false,
       CreateContact},
      {"engagements",
       "list",
       {},
       {{"incident", "ID"}},
       "List the engagements of an incident (default: every active one).",
       /*records_author=*/false,
       ListEngagements},
      {"pages",
       "list",
       {},
       {{"incident", "ID", {}, true}},
       "List the pages of an incident.",
       /*records_author=*/false,
       ListPages},
      {"pages",
       "show",
       {"PAGE_ID"},
       {},
       "Show a page and its delivery attempts.",
       /*records_author=*/false,
       ShowPage},
      {"pages",
       "ack",
       {"PAGE_ID"},
       {{"code", "CODE", {}, true}},
       "Acknowledge a page with its accept code.",
       /*records_author=*/true,
       AcceptPage},
      {"apply",
       "",
       {},
       {{"f", "FILE", {}, true}},
       "Create or update every object that FILE declares (\"-\": stdin).",
       /*records_author=*/false,
       Apply},
  };
  return *commands;
}

// ---- Global flags ----

struct GlobalFlag {
  FlagSpec spec;
  // Another name of the same flag, or "".
  std::string alias;
  std::string help;
  // Sets the option from the flag's value; an error is a usage error.
  absl::Status (*set)(const std::string& value, GlobalOptions& options);
};

const std::vector<GlobalFlag>& GlobalFlags() {
  static const auto* flags = new std::vector<GlobalFlag>{
      {{"server", "HOST:PORT"},
       "incidents",
       "incidents service, also --incidents (default: "
       "$TOCSIN_INCIDENTS_ADDR, else 127.0.0.1:7002)",
       [](const std::string& value, GlobalOptions& options) {
         options.server = value;
         return absl::OkStatus();
       }},
      {{"escalation", "HOST:PORT"},
       "",
       "escalation service (default: $TOCSIN_ESCALATION_ADDR, else "
       "127.0.0.1:7003)",
       [](const std::string& value, GlobalOptions& options) {
         options.escalation = value;
         return absl::OkStatus();
       }},
      {{"paging", "HOST:PORT"},
       "",
       "paging service (default: $TOCSIN_PAGING_ADDR, else 127.0.0.1:7004)",
       [](const std::string& value, GlobalOptions& options) {
         options.paging = value;
         return absl::OkStatus();
       }},
      {{"output", "", {"table", "json"}},
       "",
       "how reads print (default: table)",
       [](const std::string& value, GlobalOptions& options) {
         options.output =
             value == "json" ? OutputFormat::kJson : OutputFormat::kTable;
         return absl::OkStatus();
       }},
      {{"timeout", "DURATION"},
       "",
       "deadline of each call, e.g. 500ms, 30s (default: 10s)",
       [](const std::string& value, GlobalOptions& options) {
         absl::Duration timeout;
         if (!absl::ParseDuration(value, &timeout) ||
             timeout <= absl::ZeroDuration()) {
           return absl::InvalidArgumentError(absl::StrFormat(
               "--timeout \"%s\" is not a positive duration such as 10s",
               value));
         }
         options.timeout = timeout;
         return absl::OkStatus();
       }},
      {{"author", "USER"},
       "",
       "who writes, recorded as \"cli:USER\" (default: $USER, else the login name)",
       [](const std::string& value, GlobalOptions& options) {
         options.author = value;
         return absl::OkStatus();
       }},
  };
  return *flags;
}

// ---- Usage ----

std::string FlagName(absl::string_view name) {
  return absl::StrCat(name.size() == 1 ? "-" : "--", name);
}

// "--status open|resolved".
std::string FlagWithValue(const FlagSpec& flag) {
  return absl::StrCat(
      FlagName(flag.name), " ",
      flag.choices.empty() ? flag.value : absl::StrJoin(flag.choices, "|"));
}

// As a command line shows it: optional flags in brackets.
std::string FlagSyntax(const FlagSpec& flag) {
  return flag.required ? FlagWithValue(flag)
                       : absl::StrCat("[", FlagWithValue(flag), "]");
}

std::string CommandName(const CommandSpec& command) {
  return command.verb.empty() ? command.noun
                              : absl::StrCat(command.noun, " ", command.verb);
}

std::string CommandSyntax(const CommandSpec& command) {
  std::vector<std::string> parts = {CommandName(command)};
  parts.insert(parts.end(), command.args.begin(), command.args.end());
  for (const FlagSpec& flag : command.flags) parts.push_back(FlagSyntax(flag));
  return absl::StrJoin(parts, " ");
}

void PrintUsage(std::ostream& out) {
  out << "Usage: tocsin [global flags] <command> [args]\n\nCommands:\n";
  Table commands;
  for (const CommandSpec& command : Commands()) {
    commands.AddRow({"  " + CommandSyntax(command), command.help});
  }
  commands.AddRow({"  help", "Show this help."});
  commands.Print(out);
  out << "\nGlobal flags (anywhere on the line):\n";
  Table flags;
  for (const GlobalFlag& flag : GlobalFlags()) {
    flags.AddRow({"  " + FlagWithValue(flag.spec), flag.help});
  }
  flags.Print(out);
}

// ---- Parsing ----

// A parsed command line: a command to run, or a request for help.
struct Invocation {
  bool help = false;
  const CommandSpec* command = nullptr;
  Context context;
};

absl::StatusOr<const CommandSpec*> FindCommand(
    const std::vector<std::string>& words) {
  std::vector<std::string> verbs;
  for (const CommandSpec& command : Commands()) {
    if (command.noun != words[0]) continue;
    if (command.verb.empty()) return &command;
    if (words.size() > 1 && command.verb == words[1]) return &command;
    verbs.push_back(command.verb);
  }
  if (verbs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unknown command \"%s\"", words[0]));
  }
  if (words.size() == 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" needs one of: %s", words[0], absl::StrJoin(verbs, ", ")));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown command \"%s %s\"", words[0], words[1]));
}

// Returns the invocation, or the usage error (InvalidArgument) to report.
absl::StatusOr<Invocation> Parse(const std::vector<std::string>& args,
                                 const GlobalOptions& defaults) {
  Invocation invocation;
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      words.insert(words.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      words.emplace_back(arg);
      continue;
    }
    absl::ConsumePrefix(&arg, "-");
    absl::ConsumePrefix(&arg, "-");
    if (arg == "h" || arg == "help") {
      invocation.help = true;
      return invocation;
    }
    const size_t equals = arg.find('=');
    if (equals != absl::string_view::npos) {
      flags.emplace_back(arg.substr(0, equals), arg.substr(equals + 1));
    } else if (i + 1 < args.size()) {
      flags.emplace_back(arg, args[++i]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrFormat("flag %s needs a value", args[i]));
    }
  }
  if (words.empty()) return absl::InvalidArgumentError("no command given");
  if (words[0] == "help") {
    invocation.help = true;
    return invocation;
  }

  ASSIGN_OR_RETURN(const CommandSpec* command, FindCommand(words));
  invocation.command = command;
  Context& context = invocation.context;
  context.options = defaults;
  context.args.assign(words.begin() + (command->verb.empty() ? 1 : 2),
                      words.end());
  if (context.args.size() != command->args.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("expected \"tocsin %s\"", CommandSyntax(*command)));
  }

  // A flag's name (not its alias) -> the name it was given as.
  absl::flat_hash_map<std::string, std::string> seen;
  for (const auto& [name, value] : flags) {
    const FlagSpec* spec = nullptr;
    const GlobalFlag* global = nullptr;
    for (const GlobalFlag& flag : GlobalFlags()) {
      if (flag.spec.name == name || flag.alias == name) global = &flag;
    }
    for (const FlagSpec& flag : command->flags) {
      if (flag.name == name) spec = &flag;
    }
    if (global != nullptr) spec = &global->spec;
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "unknown flag %s for \"%s\"", FlagName(name), CommandName(*command)));
    }
    auto [given, inserted] = seen.try_emplace(spec->name, name);
    if (!inserted) {
      return absl::InvalidArgumentError(
          given->second == name
              ? absl::StrFormat("flag %s given twice", FlagName(name))
              : absl::StrFormat("flags %s and %s are the same flag",
                                FlagName(given->second), FlagName(name)));
    }
    if (!spec->choices.empty() &&
        std::find(spec->choices.begin(), spec->choices.end(), value) ==
            spec->choices.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s must be one of %s, not \"%s\"", FlagName(spec->name),
          absl::StrJoin(spec->choices, ", "), value));
    }
    if (global != nullptr) {
      RETURN_IF_ERROR(global->set(value, context.options));
    } else {
      context.flags[name] = value;
    }
  }
  for (const FlagSpec& flag : command->flags) {
    if (flag.required && !context.flags.contains(flag.name)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "\"%s\" needs %s", CommandName(*command), FlagWithValue(flag)));
    }
  }
  if (command->records_author && context.options.author.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" needs --author USER when $USER is not set",
                        CommandName(*command)));
  }
  return invocation;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const GlobalOptions& defaults,
           const Connector& connect, std::istream& in, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<Invocation> invocation = Parse(args, defaults);
  if (!invocation.ok()) {
    err << "error: " << invocation.status().message() << "\n\n";
    PrintUsage(err);
    return kExitUsage;
  }
  if (invocation->help) {
    PrintUsage(out);
    return kExitOk;
  }
  Context& context = invocation->context;
  const ServiceClients clients = connect(context.options);
  context.incidents = clients.incidents.get();
  context.escalation = clients.escalation.get();
  context.paging = clients.paging.get();
  context.in = &in;
  context.out = &out;
  context.err = &err;
  absl::Status status = invocation->command->run(context);
  if (!status.ok()) {
    err << "error: " << absl::StatusCodeToString(status.code()) << ": "
        << status.message() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tocsin::cli
