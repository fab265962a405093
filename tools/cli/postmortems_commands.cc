// tocsin postmortems list|show|create|answer|action-add|status|export|metrics
// tocsin actions list|done
// tocsin templates list|show
//
// Post-incident analyses through the postmortem service
// (proto/tocsin/postmortem/v1/postmortem.proto): an analysis per incident,
// made from a template of questions and filled with the incident's timeline,
// metrics and the people it reached; its answers, action items and review
// states (draft → in-review → published, reopened with a reason); its export
// as Markdown or JSON; metrics across incidents. The service's messages are
// written for the person at the terminal and are printed as they come.
//
// A missing metric (nothing to measure: no alarm, never acknowledged, ...)
// prints "—" (services/postmortem/export.h FormatDuration), and is null in
// JSON: `postmortems show --output json` prints the service's JSON export,
// `postmortems metrics --output json` has null for a missing mean, p50 or p90.
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/postmortem/export.h"
#include "services/postmortem/templates.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::postmortem::v1;
using Json = nlohmann::ordered_json;

// What a missing metric or an unanswered question prints.
constexpr char kMissing[] = "—";

// "draft", "in-review", "published".
std::string StateLabel(v1::AnalysisState state) {
  if (state == v1::ANALYSIS_STATE_UNSPECIFIED || !v1::AnalysisState_IsValid(state)) return "-";
  return postmortem::AnalysisStateName(state);
}

// "open", "open (overdue)", "done".
std::string ActionState(const v1::ActionItem& item) {
  if (item.state() == v1::ACTION_ITEM_STATE_DONE) return "done";
  if (item.state() != v1::ACTION_ITEM_STATE_OPEN) return "-";
  return item.overdue() ? "open (overdue)" : "open";
}

// `text` with every line after `indent` (empty lines stay empty).
std::string Indented(absl::string_view text, absl::string_view indent) {
  std::string out;
  for (absl::string_view line :
       absl::StrSplit(absl::StripTrailingAsciiWhitespace(text), '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    absl::StrAppend(&out, line.empty() ? "" : indent, line, "\n");
  }
  return out;
}

std::string Plural(int64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::optional<double> Optional(bool has, double value) {
  return has ? std::optional<double>(value) : std::nullopt;
}

// 2, 1.5, 1.33: a count's mean or percentile.
std::string FormatNumber(double value) {
  std::string text = absl::StrFormat("%.2f", value);
  if (absl::StrContains(text, '.')) {
    while (absl::EndsWith(text, "0")) text.pop_back();
    if (absl::EndsWith(text, ".")) text.pop_back();
  }
  return text;
}

// The change that `postmortems status ID STATE` asks for.
v1::StateChange ParseStateChange(const std::string& name) {
  if (name == "draft") return v1::STATE_CHANGE_DRAFT;
  if (name == "in-review") return v1::STATE_CHANGE_IN_REVIEW;
  if (name == "published") return v1::STATE_CHANGE_PUBLISHED;
  if (name == "reopen") return v1::STATE_CHANGE_REOPEN;
  return v1::STATE_CHANGE_UNSPECIFIED;
}

// An analysis as JSON: the service's JSON export (camelCase keys, states as
// the CLI spells them, a missing metric null), the same for every command.
nlohmann::ordered_json AnalysisJson(const v1::Analysis& analysis) {
  return nlohmann::ordered_json::parse(postmortem::ExportJson(analysis).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// ---- postmortems list ----

absl::Status ListAnalyses(const std::string& incident, const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Analysis> analyses,
                   context.clients.postmortem->ListAnalyses(incident));
  if (context.options.output == OutputFormat::kJson) {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const v1::Analysis& a : analyses) all.push_back(AnalysisJson(a));
    return PrintJson(all, context.out);
  }
  Table table;
  table.AddRow({"ID", "INCIDENT", "TITLE", "STATE", "TEMPLATE", "CREATED", "BY"});
  for (const v1::Analysis& a : analyses) {
    table.AddRow({a.id(), a.incident_id(), OrDash(FirstLine(a.incident().title())),
                  StateLabel(a.state()), OrDash(a.template_().name()),
                  FormatTimestamp(a.create_time()), OrDash(a.created_by())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

// ---- postmortems show ----

void PrintMetrics(const v1::Metrics& m, std::ostream& out) {
  Table table;
  table.AddRow({"METRIC", "VALUE"});
  auto duration = [&table](const char* label, bool has, double seconds) {
    table.AddRow({label, postmortem::FormatDuration(Optional(has, seconds))});
  };
  duration("Time to detect", m.has_time_to_detect_seconds(), m.time_to_detect_seconds());
  duration("Time to engage", m.has_time_to_engage_seconds(), m.time_to_engage_seconds());
  duration("Time to acknowledge", m.has_time_to_acknowledge_seconds(),
           m.time_to_acknowledge_seconds());
  duration("Time to mitigate", m.has_time_to_mitigate_seconds(), m.time_to_mitigate_seconds());
  duration("Time to resolve", m.has_time_to_resolve_seconds(), m.time_to_resolve_seconds());
  table.AddRow({"Pages", absl::StrCat(m.pages())});
  table.AddRow({"People engaged", absl::StrCat(m.people_engaged())});
  table.AddRow({"Escalation stages reached", absl::StrCat(m.stages_reached())});
  table.AddRow({"Alarms", absl::StrCat(m.alarms())});
  table.Print(out);
}

void PrintPeople(const v1::Analysis& analysis, std::ostream& out) {
  if (analysis.people().empty()) {
    out << "People engaged: none\n";
    return;
  }
  out << "People engaged:\n";
  Table table;
  table.AddRow({"CONTACT", "CHANNELS", "PAGES", "FIRST PAGED", "ACKNOWLEDGED", "BY"});
  for (const v1::PersonEngaged& p : analysis.people()) {
    table.AddRow({p.contact(), p.channels().empty() ? "-" : absl::StrJoin(p.channels(), ", "),
                  absl::StrCat(p.pages()), FormatTimestamp(p.first_paged()),
                  FormatTimestamp(p.acknowledged()), OrDash(p.acknowledged_by())});
  }
  table.Print(out);
}

// Each section's questions with their ids and types, and the answer or "—".
void PrintQuestions(const v1::Analysis& analysis, std::ostream& out) {
  out << "Questions (answer with: tocsin postmortems answer " << analysis.id()
      << " QUESTION_ID --text TEXT):\n";
  for (const v1::Section& section : analysis.template_().sections()) {
    out << "\n" << section.id() << ": " << section.title() << "\n";
    for (const v1::Question& q : section.questions()) {
      out << "  " << q.id() << " (" << postmortem::QuestionTypeName(q.type())
          << "): " << q.text() << "\n";
      const v1::Answer* answer = nullptr;
      for (const v1::Answer& a : analysis.answers()) {
        if (a.question_id() == q.id()) answer = &a;
      }
      if (answer == nullptr || answer->text().empty()) {
        out << "    " << kMissing << "\n";
      } else {
        out << Indented(answer->text(), "    ");
      }
    }
  }
}

void PrintActionItems(const v1::Analysis& analysis, std::ostream& out) {
  if (analysis.action_items().empty()) {
    out << "Action items: none\n";
    return;
  }
  out << "Action items:\n";
  Table table;
  table.AddRow({"ID", "TITLE", "OWNER", "DUE", "PRIORITY", "STATE", "LINK"});
  for (const v1::ActionItem& item : analysis.action_items()) {
    table.AddRow({item.id(), FirstLine(item.title()), item.owner(), item.due_date(),
                  OrDash(item.priority()), ActionState(item), OrDash(item.link())});
  }
  table.Print(out);
}

void PrintHistory(const v1::Analysis& analysis, std::ostream& out) {
  out << "History:\n";
  Table table;
  table.AddRow({"TIME", "BY", "ACTION", "REASON"});
  for (const v1::HistoryEntry& entry : analysis.history()) {
    table.AddRow({FormatTimestamp(entry.time()), OrDash(entry.author()), entry.action(),
                  entry.reason().empty() ? "-" : FirstLine(entry.reason())});
  }
  table.Print(out);
}

void PrintAnalysis(const v1::Analysis& a, std::ostream& out) {
  const incidents::v1::Incident& incident = a.incident();
  const std::string title = FirstLine(incident.title());
  std::string template_name = OrDash(a.template_().name());
  if (a.template_().version() > 0) {
    absl::StrAppend(&template_name, " (version ", a.template_().version(), ")");
  }
  PrintFields(
      {
          {"ID", a.id()},
          {"Incident", title == "-" ? a.incident_id() : absl::StrCat(a.incident_id(), ": ", title)},
          {"Incident status",
           EnumLabel(incidents::v1::IncidentStatus_Name(incident.status()), "INCIDENT_STATUS_")},
          {"Response plan", OrDash(incident.response_plan())},
          {"Impact", absl::StrCat(incident.impact())},
          {"Opened", FormatTimestamp(incident.create_time())},
          {"Resolved", FormatTimestamp(incident.resolve_time())},
          {"First alarm", FormatTimestamp(a.first_alarm_time())},
          {"State", StateLabel(a.state())},
          {"Template", template_name},
          {"Created", absl::StrCat(FormatTimestamp(a.create_time()), " by ",
                                   OrDash(a.created_by()))},
          {"Updated", FormatTimestamp(a.update_time())},
          {"Revision", absl::StrCat(a.revision())},
      },
      out);
  out << "\n";
  PrintMetrics(a.metrics(), out);
  out << "\n";
  PrintPeople(a, out);
  out << "\n";
  PrintQuestions(a, out);
  out << "\n";
  PrintActionItems(a, out);
  out << "\n";
  PrintHistory(a, out);
  out << "\nTimeline: " << Plural(a.timeline_size(), "entry", "entries")
      << " (the full timeline: tocsin postmortems export " << a.id() << ")\n";
}

absl::Status ShowAnalysis(const std::string& id, const Context& context) {
  if (context.options.output == OutputFormat::kJson) {
    // The service's JSON document: every field, a missing metric null.
    ASSIGN_OR_RETURN(v1::ExportAnalysisResponse exported,
                     context.clients.postmortem->ExportAnalysis(id, v1::EXPORT_FORMAT_JSON));
    context.out << exported.content();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::Analysis analysis, context.clients.postmortem->GetAnalysis(id));
  PrintAnalysis(analysis, context.out);
  return absl::OkStatus();
}

// ---- postmortems create|answer|action-add|status|export ----

struct CreateFlags {
  std::string incident;
  std::string template_name;
};

absl::Status CreateAnalysis(const CreateFlags& flags, const Context& context) {
  ASSIGN_OR_RETURN(v1::Analysis analysis,
                   context.clients.postmortem->CreateAnalysis(
                       flags.incident, flags.template_name, CliAuthor(context.options)));
  // How the template was chosen, when it was not the one the plan names.
  for (const v1::HistoryEntry& entry : analysis.history()) {
    if (entry.action() == "note") context.err << "note: " << entry.reason() << "\n";
  }
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(AnalysisJson(analysis), context.out);
  }
  context.out << "created " << analysis.id() << " for " << analysis.incident_id()
              << " (template " << analysis.template_().name() << ")\n";
  return absl::OkStatus();
}

struct AnswerFlags {
  std::string analysis;
  std::string question;
  std::string text;
};

absl::Status Answer(const AnswerFlags& flags, const Context& context) {
  ASSIGN_OR_RETURN(v1::Analysis analysis,
                   context.clients.postmortem->AnswerQuestion(
                       flags.analysis, flags.question, flags.text, CliAuthor(context.options)));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(AnalysisJson(analysis), context.out);
  }
  // The answer as the service stored it ("y" is "yes", a choice as spelled).
  std::string stored = flags.text;
  for (const v1::Answer& answer : analysis.answers()) {
    if (answer.question_id() == flags.question) stored = answer.text();
  }
  context.out << "answered " << flags.question << " on " << analysis.id() << ": "
              << FirstLine(stored) << "\n";
  return absl::OkStatus();
}

absl::Status AddActionItem(const v1::AddActionItemRequest& flags, const Context& context) {
  v1::AddActionItemRequest request = flags;
  request.set_author(CliAuthor(context.options));
  ASSIGN_OR_RETURN(v1::ActionItem item, context.clients.postmortem->AddActionItem(request));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(item), context.out);
  }
  context.out << item.id() << "\n";
  return absl::OkStatus();
}

struct StatusFlags {
  std::string analysis;
  std::string state;
  std::string reason;
};

absl::Status SetState(const StatusFlags& flags, const Context& context) {
  ASSIGN_OR_RETURN(v1::Analysis analysis,
                   context.clients.postmortem->SetAnalysisState(
                       flags.analysis, ParseStateChange(flags.state), flags.reason,
                       CliAuthor(context.options)));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(AnalysisJson(analysis), context.out);
  }
  context.out << "analysis " << analysis.id() << " is " << StateLabel(analysis.state())
              << (flags.state == "reopen" ? " (reopened)" : "") << "\n";
  return absl::OkStatus();
}

struct ExportFlags {
  std::string analysis;
  // Empty: json with --output json, else markdown.
  std::string format;
};

absl::Status Export(const ExportFlags& flags, const Context& context) {
  const bool json = flags.format == "json" ||
                    (flags.format.empty() && context.options.output == OutputFormat::kJson);
  ASSIGN_OR_RETURN(v1::ExportAnalysisResponse exported,
                   context.clients.postmortem->ExportAnalysis(
                       flags.analysis, json ? v1::EXPORT_FORMAT_JSON
                                            : v1::EXPORT_FORMAT_MARKDOWN));
  // As the service made it, byte for byte: `> analysis.md` is the file.
  context.out << exported.content();
  return absl::OkStatus();
}

// ---- postmortems metrics ----

// A day (YYYY-MM-DD, its start in UTC) or an RFC 3339 time.
bool ParseDayOrTime(const std::string& text, absl::Time* time) {
  absl::CivilDay day;
  if (absl::ParseCivilTime(text, &day) && absl::FormatCivilTime(day) == text) {
    *time = absl::FromCivil(day, absl::UTCTimeZone());
    return true;
  }
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, text, time, &error);
}

CLI::Validator DayOrTime() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::Time time;
        if (ParseDayOrTime(value, &time)) return "";
        return absl::StrFormat(
            "\"%s\" is not a day such as 2026-03-01 or an RFC 3339 time such as "
            "2026-03-01T09:00:00Z",
            value);
      },
      "");
}

// A metric's mean, p50 or p90: a duration for the times ("time_to_detect"),
// else a number; "—" when unset (no analysis of the group had the metric).
std::string Statistic(const v1::MetricSummary& summary, bool has, double value) {
  if (!has) return kMissing;
  return absl::StartsWith(summary.metric(), "time_to_") ? postmortem::FormatDuration(value)
                                                         : FormatNumber(value);
}

// Protobuf JSON of the response, with null for a mean, p50 or p90 the
// service left unset (no analysis had the metric), rather than no key.
absl::StatusOr<Json> MetricsJson(const v1::GetMetricsResponse& response) {
  ASSIGN_OR_RETURN(Json json, ToJson(response));
  for (Json& group : json["groups"]) {
    for (Json& summary : group["metrics"]) {
      Json ordered = Json::object();
      ordered["metric"] = summary.value("metric", "");
      ordered["count"] = summary.contains("count") ? summary["count"] : Json("0");
      for (const char* key : {"mean", "p50", "p90"}) {
        ordered[key] = summary.contains(key) ? summary[key] : Json(nullptr);
      }
      summary = std::move(ordered);
    }
  }
  return json;
}

struct MetricsFlags {
  std::string plan;
  std::string from;
  std::string to;
};

absl::Status Metrics(const MetricsFlags& flags, const Context& context) {
  v1::GetMetricsRequest request;
  request.set_plan(flags.plan);
  absl::Time time;
  if (!flags.from.empty() && ParseDayOrTime(flags.from, &time)) {
    *request.mutable_from() = ToProtoTime(time);
  }
  if (!flags.to.empty() && ParseDayOrTime(flags.to, &time)) {
    *request.mutable_to() = ToProtoTime(time);
  }
  ASSIGN_OR_RETURN(v1::GetMetricsResponse response,
                   context.clients.postmortem->GetMetrics(request));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(MetricsJson(response), context.out);
  }
  // One block of rows per group (a plan's month, or its total "all"), its
  // metrics in the service's order; one alignment for all.
  Table groups;
  groups.AddRow({"PLAN", "MONTH", "INCIDENTS", "METRIC", "MEAN", "P50", "P90"});
  std::vector<int> sizes;
  for (const v1::MetricsGroup& group : response.groups()) {
    for (const v1::MetricSummary& summary : group.metrics()) {
      groups.AddRow({OrDash(group.plan()), group.month().empty() ? "all" : group.month(),
                     absl::StrCat(group.incidents()), summary.metric(),
                     Statistic(summary, summary.has_mean(), summary.mean()),
                     Statistic(summary, summary.has_p50(), summary.p50()),
                     Statistic(summary, summary.has_p90(), summary.p90())});
    }
    sizes.push_back(group.metrics_size());
  }
  std::ostringstream table;
  groups.Print(table);
  std::vector<std::string> lines = absl::StrSplit(table.str(), '\n');
  context.out << lines[0] << "\n";
  size_t line = 1;
  for (size_t g = 0; g < sizes.size(); ++g) {
    if (g > 0) context.out << "\n";
    for (int i = 0; i < sizes[g] && line < lines.size(); ++i, ++line) {
      context.out << lines[line] << "\n";
    }
  }
  context.out << "\n";
  Table owners;
  owners.AddRow({"OWNER", "OPEN", "OVERDUE"});
  for (const v1::OwnerActions& owner : response.owners()) {
    owners.AddRow({owner.owner(), absl::StrCat(owner.open()), absl::StrCat(owner.overdue())});
  }
  owners.Print(context.out);
  return absl::OkStatus();
}

// ---- actions list|done ----

struct ActionsFlags {
  std::string owner;
  bool overdue = false;
};

absl::Status ListActions(const ActionsFlags& flags, const Context& context) {
  v1::ListActionItemsRequest request;
  request.set_owner(flags.owner);
  request.set_overdue(flags.overdue);
  ASSIGN_OR_RETURN(std::vector<v1::ActionItem> items,
                   context.clients.postmortem->ListActionItems(request));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(items), context.out);
  }
  Table table;
  table.AddRow(
      {"ID", "TITLE", "OWNER", "DUE", "PRIORITY", "STATE", "INCIDENT", "ANALYSIS", "LINK"});
  for (const v1::ActionItem& item : items) {
    table.AddRow({item.id(), FirstLine(item.title()), item.owner(), item.due_date(),
                  OrDash(item.priority()), ActionState(item), item.incident_id(),
                  item.analysis_id(), OrDash(item.link())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status CompleteAction(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::ActionItem item, context.clients.postmortem->CompleteActionItem(
                                            id, CliAuthor(context.options)));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(item), context.out);
  }
  context.out << "action " << item.id() << " done\n";
  return absl::OkStatus();
}

// ---- templates list|show ----

int QuestionCount(const v1::Template& t) {
  int count = 0;
  for (const v1::Section& section : t.sections()) count += section.questions_size();
  return count;
}

absl::Status ListTemplates(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Template> templates,
                   context.clients.postmortem->ListTemplates());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(templates), context.out);
  }
  Table table;
  table.AddRow({"NAME", "VERSION", "SECTIONS", "QUESTIONS", "BUILT-IN"});
  for (const v1::Template& t : templates) {
    table.AddRow({t.name(), absl::StrCat(t.version()), absl::StrCat(t.sections_size()),
                  absl::StrCat(QuestionCount(t)), t.builtin() ? "yes" : "no"});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status ShowTemplate(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(v1::Template t, context.clients.postmortem->GetTemplate(name));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(t), context.out);
  }
  PrintFields(
      {
          {"Name", t.name()},
          {"Version", absl::StrCat(t.version())},
          {"Built in", t.builtin() ? "yes" : "no"},
          {"Description", FirstLine(t.description())},
          {"Sections", absl::StrCat(t.sections_size())},
          {"Questions", absl::StrCat(QuestionCount(t))},
          {"Saved", FormatTimestamp(t.update_time())},
          {"By", OrDash(t.author())},
      },
      context.out);
  for (const v1::Section& section : t.sections()) {
    context.out << "\n" << section.id() << ": " << section.title() << "\n";
    if (!section.help().empty()) context.out << Indented(section.help(), "  ");
    for (const v1::Question& q : section.questions()) {
      context.out << "  " << q.id() << " (" << postmortem::QuestionTypeName(q.type())
                  << "): " << q.text() << "\n";
      if (!q.help().empty()) {
        context.out << Indented(absl::StrCat("help: ", q.help()), "    ");
      }
      if (!q.choices().empty()) {
        context.out << "    choices: " << absl::StrJoin(q.choices(), ", ") << "\n";
      }
    }
  }
  return absl::OkStatus();
}

void AddPostmortems(CommandTable& table) {
  CLI::App* postmortems = table.AddFamily(
      "postmortems",
      "Post-incident analyses: the incident's metrics and timeline, questions to answer, "
      "action items, reviews and exports.");

  auto incident = std::make_shared<std::string>();
  table
      .AddCommand(postmortems, "list", "List analyses, newest first.",
                  [incident](const Context& context) { return ListAnalyses(*incident, context); })
      ->add_option("--incident", *incident, "only this incident's")
      ->type_name("ID");

  auto show_id = std::make_shared<std::string>();
  table
      .AddCommand(postmortems, "show",
                  "Show an analysis: the incident, its metrics, the people engaged, the "
                  "questions and their answers, the action items and the history.",
                  [show_id](const Context& context) { return ShowAnalysis(*show_id, context); })
      ->add_option("ID", *show_id, "the analysis, e.g. pia-...")
      ->required();

  auto create = std::make_shared<CreateFlags>();
  CLI::App* create_command = table.AddCommand(
      postmortems, "create",
      "Make an analysis of an incident (resolved or not) by hand, filled with what the "
      "incidents service knows now.",
      [create](const Context& context) { return CreateAnalysis(*create, context); },
      /*records_author=*/true);
  create_command->add_option("--incident", create->incident, "the incident")
      ->required()
      ->type_name("ID");
  create_command
      ->add_option("--template", create->template_name,
                   "the template (default: the plan's postIncidentTemplate, else "
                   "Tocsin-Default)")
      ->type_name("NAME");

  auto answer = std::make_shared<AnswerFlags>();
  CLI::App* answer_command = table.AddCommand(
      postmortems, "answer",
      "Answer one of the analysis's questions (again: replaces the answer). yes-no: yes or "
      "no; number: a decimal number; single-choice: one of the choices; multiple-choice: "
      "choices separated by commas.",
      [answer](const Context& context) { return Answer(*answer, context); },
      /*records_author=*/true);
  answer_command->add_option("ID", answer->analysis, "the analysis")->required();
  answer_command->add_option("QUESTION_ID", answer->question, "the question, e.g. why-1")
      ->required();
  answer_command->add_option("--text", answer->text, "the answer (Markdown for text questions)")
      ->required()
      ->type_name("TEXT");

  auto action = std::make_shared<v1::AddActionItemRequest>();
  CLI::App* action_command = table.AddCommand(
      postmortems, "action-add", "Add an action item to an analysis; prints its id.",
      [action](const Context& context) { return AddActionItem(*action, context); },
      /*records_author=*/true);
  action_command->add_option("ID", *action->mutable_analysis_id(), "the analysis")->required();
  action_command->add_option("--title", *action->mutable_title(), "what is to be done")
      ->required()
      ->type_name("TEXT");
  action_command->add_option("--owner", *action->mutable_owner(), "a contact, person or team")
      ->required()
      ->type_name("OWNER");
  action_command
      ->add_option("--due", *action->mutable_due_date(),
                   "the day it is due (overdue from the day after, UTC)")
      ->required()
      ->type_name("YYYY-MM-DD");
  action_command
      ->add_option("--priority", *action->mutable_priority(),
                   "critical, high, medium or low (default: medium)")
      ->type_name("P");
  action_command->add_option("--link", *action->mutable_link(), "a tracker's http(s) URL")
      ->type_name("URL");

  auto status = std::make_shared<StatusFlags>();
  CLI::App* status_command = table.AddCommand(
      postmortems, "status",
      "Move an analysis through its review: draft -> in-review -> published; in-review -> "
      "draft; a published one is edited again only after `reopen` with a reason.",
      [status](const Context& context) { return SetState(*status, context); },
      /*records_author=*/true);
  status_command->add_option("ID", status->analysis, "the analysis")->required();
  status_command->add_option("STATE", status->state, "the new state, or reopen")
      ->required()
      ->check(OneOf({"draft", "in-review", "published", "reopen"}))
      ->type_name("draft|in-review|published|reopen");
  status_command
      ->add_option("--reason", status->reason, "why, on the history (reopen needs one)")
      ->type_name("TEXT");

  auto exported = std::make_shared<ExportFlags>();
  CLI::App* export_command = table.AddCommand(
      postmortems, "export",
      "Print the analysis as the service exports it: a Markdown document (the full timeline "
      "included) or a JSON document (a missing metric is null).",
      [exported](const Context& context) { return Export(*exported, context); });
  export_command->add_option("ID", exported->analysis, "the analysis")->required();
  export_command
      ->add_option("--format", exported->format, "default: markdown (json with --output json)")
      ->check(OneOf({"markdown", "json"}))
      ->type_name("markdown|json");

  auto metrics = std::make_shared<MetricsFlags>();
  CLI::App* metrics_command = table.AddCommand(
      postmortems, "metrics",
      "Metrics across incidents (the newest analysis of each) per response plan and month "
      "(UTC), and per plan in all (MONTH all): the mean, p50 and p90 of each (\"—\": no "
      "incident had it); then open and overdue action items per owner.",
      [metrics](const Context& context) { return Metrics(*metrics, context); });
  metrics_command->add_option("--plan", metrics->plan, "only this response plan's incidents")
      ->type_name("NAME");
  metrics_command
      ->add_option("--from", metrics->from,
                   "incidents opened from then (a day: its start, UTC)")
      ->check(DayOrTime())
      ->type_name("YYYY-MM-DD|RFC3339");
  metrics_command
      ->add_option("--to", metrics->to,
                   "incidents opened before then (a day: its start, UTC, so --to 2026-04-01 "
                   "ends with March)")
      ->check(DayOrTime())
      ->type_name("YYYY-MM-DD|RFC3339");
}

void AddActions(CommandTable& table) {
  CLI::App* actions = table.AddFamily(
      "actions", "Action items of post-incident analyses: who does what by when.");
  auto list = std::make_shared<ActionsFlags>();
  CLI::App* list_command = table.AddCommand(
      actions, "list", "List action items, open and done.",
      [list](const Context& context) { return ListActions(*list, context); });
  list_command->add_option("--owner", list->owner, "only this owner's")->type_name("OWNER");
  list_command->add_flag("--overdue", list->overdue,
                         "only open items past their due date (UTC)");

  auto done_id = std::make_shared<std::string>();
  table
      .AddCommand(
          actions, "done", "Mark an action item done (also one of a published analysis).",
          [done_id](const Context& context) { return CompleteAction(*done_id, context); },
          /*records_author=*/true)
      ->add_option("ACTION_ID", *done_id, "the action item, e.g. act-...")
      ->required();
}

void AddTemplates(CommandTable& table) {
  CLI::App* templates = table.AddFamily(
      "templates",
      "Analysis templates: the questions of post-incident analyses (save yours with "
      "tocsin apply, kind AnalysisTemplate).");
  table.AddCommand(templates, "list", "List templates, the built-in Tocsin-Default first.",
                   [](const Context& context) { return ListTemplates(context); });
  auto name = std::make_shared<std::string>();
  table
      .AddCommand(templates, "show",
                  "Show a template: its sections and questions with their ids, types, help "
                  "and choices.",
                  [name](const Context& context) { return ShowTemplate(*name, context); })
      ->add_option("NAME", *name, "the template")
      ->required();
}

}  // namespace

void AddPostmortemsCommands(CommandTable& table) {
  AddPostmortems(table);
  AddActions(table);
  AddTemplates(table);
}

}  // namespace tocsin::cli
