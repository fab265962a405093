#include "services/postmortem/export.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/proto/time.h"
#include "services/postmortem/metrics.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::postmortem {
namespace {

namespace inc = ::tocsin::incidents::v1;
using Json = nlohmann::json;
using ::google::protobuf::Timestamp;

constexpr char kDash[] = "—";

// ---- Names of enum values ----

std::string StateText(v1::AnalysisState state) {
  switch (state) {
    case v1::ANALYSIS_STATE_DRAFT:
      return "draft";
    case v1::ANALYSIS_STATE_IN_REVIEW:
      return "in review";
    case v1::ANALYSIS_STATE_PUBLISHED:
      return "published";
    default:
      return kDash;
  }
}

Json StateJson(v1::AnalysisState state) {
  if (state == v1::ANALYSIS_STATE_UNSPECIFIED || !v1::AnalysisState_IsValid(state)) {
    return nullptr;
  }
  return AnalysisStateName(state);
}

Json IncidentStatusJson(inc::IncidentStatus status) {
  switch (status) {
    case inc::INCIDENT_STATUS_OPEN:
      return "open";
    case inc::INCIDENT_STATUS_RESOLVED:
      return "resolved";
    default:
      return nullptr;
  }
}

Json QuestionTypeJson(v1::QuestionType type) {
  switch (type) {
    case v1::QUESTION_TYPE_TEXT:
      return "text";
    case v1::QUESTION_TYPE_YES_NO:
      return "yes-no";
    case v1::QUESTION_TYPE_SINGLE_CHOICE:
      return "single-choice";
    case v1::QUESTION_TYPE_MULTIPLE_CHOICE:
      return "multiple-choice";
    case v1::QUESTION_TYPE_NUMBER:
      return "number";
    default:
      return nullptr;
  }
}

Json RelatedItemTypeJson(inc::RelatedItemType type) {
  switch (type) {
    case inc::RELATED_ITEM_TYPE_ALARM:
      return "alarm";
    case inc::RELATED_ITEM_TYPE_URL:
      return "url";
    case inc::RELATED_ITEM_TYPE_OTHER:
      return "other";
    default:
      return nullptr;
  }
}

// An item that is not done counts as open (an unspecified state included).
bool IsDone(const v1::ActionItem& item) { return item.state() == v1::ACTION_ITEM_STATE_DONE; }

// A history entry's action as a phrase ("created", "sent for review", ...);
// an action this does not know is printed as it is.
std::string HistoryActionText(absl::string_view action) {
  if (action == "draft") return "set back to draft";
  if (action == "in-review") return "sent for review";
  return std::string(action);
}

std::string ImpactText(int impact) {
  switch (impact) {
    case 1:
      return "1 (critical)";
    case 2:
      return "2 (high)";
    case 3:
      return "3 (medium)";
    case 4:
      return "4 (low)";
    case 5:
      return "5 (no impact)";
    case 0:
      return kDash;
    default:
      return absl::StrCat(impact);
  }
}

// ---- Times ----

// "2026-03-01 14:05:09 UTC" (whole seconds).
std::string MdTime(const Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", FromProtoTime(ts), absl::UTCTimeZone());
}

// The same without the zone, for table columns headed "(UTC)".
std::string MdTableTime(const Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", FromProtoTime(ts), absl::UTCTimeZone());
}

std::string MdTimeOrDash(bool has, const Timestamp& ts) { return has ? MdTime(ts) : kDash; }

// RFC 3339 in UTC ("2026-03-01T14:05:09Z", fractions only when there are).
Json JsonTime(bool has, const Timestamp& ts) {
  if (!has) return nullptr;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", FromProtoTime(ts), absl::UTCTimeZone());
}

// ---- Escaping of text from people and alarms ----

std::string NormalizeNewlines(absl::string_view text) {
  return absl::StrReplaceAll(absl::StrReplaceAll(text, {{"\r\n", "\n"}}), {{"\r", "\n"}});
}

// A line that would start a heading ('#' after optional indentation) gets the
// '#' escaped.
std::string EscapeLineStart(absl::string_view line) {
  const size_t first = line.find_first_not_of(" \t");
  if (first == absl::string_view::npos || line[first] != '#') return std::string(line);
  return absl::StrCat(line.substr(0, first), "\\", line.substr(first));
}

// Text on one line (headings, list items, bold question texts): newlines
// become spaces.
std::string InlineText(absl::string_view text) {
  std::string one_line = NormalizeNewlines(absl::StripAsciiWhitespace(text));
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  return EscapeLineStart(one_line);
}

// A table cell: pipes escaped, newlines as <br>; "—" when empty.
std::string Cell(absl::string_view text) {
  const std::string cell = absl::StrReplaceAll(NormalizeNewlines(absl::StripAsciiWhitespace(text)),
                                               {{"|", "\\|"}, {"\n", "<br>"}});
  return cell.empty() ? kDash : cell;
}

// Free text (paragraphs, Markdown welcome), one string per line, each line
// that would start a heading escaped.
std::vector<std::string> BlockLines(absl::string_view text) {
  std::vector<std::string> lines;
  const std::string normalized = NormalizeNewlines(absl::StripAsciiWhitespace(text));
  for (absl::string_view line : absl::StrSplit(normalized, '\n')) {
    lines.push_back(EscapeLineStart(absl::StripTrailingAsciiWhitespace(line)));
  }
  return lines;
}

std::string Row(const std::vector<std::string>& cells) {
  return absl::StrCat("| ", absl::StrJoin(cells, " | "), " |");
}

// A table: the header row, its separator and one row per entry.
std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> lines = {Row(header),
                                    Row(std::vector<std::string>(header.size(), "---"))};
  for (const auto& row : rows) lines.push_back(Row(row));
  return absl::StrJoin(lines, "\n");
}

std::string Count(int64_t n) { return absl::StrCat(n); }

// ---- Answers ----

// The newest answer to each question (an empty text is no answer).
std::map<std::string, const v1::Answer*> AnswersById(const v1::Analysis& analysis) {
  std::map<std::string, const v1::Answer*> answers;
  for (const v1::Answer& answer : analysis.answers()) {
    if (absl::StripAsciiWhitespace(answer.text()).empty()) {
      answers.erase(answer.question_id());
    } else {
      answers[answer.question_id()] = &answer;
    }
  }
  return answers;
}

std::set<std::string> TemplateQuestionIds(const v1::Template& tmpl) {
  std::set<std::string> ids;
  for (const v1::Section& section : tmpl.sections()) {
    for (const v1::Question& question : section.questions()) ids.insert(question.id());
  }
  return ids;
}

// The answer, quoted, and who gave it when.
void AppendAnswer(const v1::Answer* answer, std::vector<std::string>& blocks) {
  if (answer == nullptr) {
    blocks.push_back("_No answer yet._");
    return;
  }
  std::vector<std::string> quoted;
  for (const std::string& line : BlockLines(answer->text())) {
    quoted.push_back(line.empty() ? ">" : absl::StrCat("> ", line));
  }
  blocks.push_back(absl::StrJoin(quoted, "\n"));
  std::vector<std::string> by;
  if (!answer->author().empty()) by.push_back(InlineText(answer->author()));
  if (answer->has_update_time()) by.push_back(MdTime(answer->update_time()));
  if (!by.empty()) blocks.push_back(absl::StrCat(kDash, " ", absl::StrJoin(by, ", ")));
}

// A timeline entry with when it happened (EntryTime: the reported event's
// own time, as the metrics use it), computed once per entry.
struct TimedEntry {
  Timestamp happened;
  const inc::TimelineEvent* entry;
};

// The timeline, oldest first by when each entry happened, entries of the
// same time in the given order.
std::vector<TimedEntry> SortedTimeline(const v1::Analysis& analysis) {
  std::vector<std::pair<absl::Time, const inc::TimelineEvent*>> timed;
  timed.reserve(analysis.timeline_size());
  for (const inc::TimelineEvent& entry : analysis.timeline()) {
    timed.emplace_back(EntryTime(entry), &entry);
  }
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TimedEntry> out;
  out.reserve(timed.size());
  for (const auto& [time, entry] : timed) out.push_back({ToProtoTime(time), entry});
  return out;
}

std::optional<double> Opt(bool has, double value) {
  if (!has) return std::nullopt;
  return value;
}

Json NumberOrNull(bool has, double value) {
  if (!has) return nullptr;
  return value;
}

}  // namespace

std::string AnalysisStateName(v1::AnalysisState state) {
  switch (state) {
    case v1::ANALYSIS_STATE_DRAFT: return "draft";
    case v1::ANALYSIS_STATE_IN_REVIEW: return "in-review";
    case v1::ANALYSIS_STATE_PUBLISHED: return "published";
    default: return "unspecified";
  }
}

std::string FormatDuration(std::optional<double> seconds) {
  if (!seconds.has_value() || std::isnan(*seconds)) return kDash;
  // Whole seconds, rounded down; never negative; capped far beyond any
  // incident so the conversion cannot overflow.
  const double capped = std::min(std::max(*seconds, 0.0), 1e15);
  const int64_t total = static_cast<int64_t>(std::floor(capped));
  const int64_t hours = total / 3600;
  const int64_t minutes = total % 3600 / 60;
  const int64_t secs = total % 60;
  if (hours > 0) return absl::StrFormat("%dh %02dm %02ds", hours, minutes, secs);
  if (minutes > 0) return absl::StrFormat("%dm %02ds", minutes, secs);
  return absl::StrFormat("%ds", secs);
}

std::string ExportMarkdown(const v1::Analysis& analysis) {
  const inc::Incident& incident = analysis.incident();
  const v1::Metrics& metrics = analysis.metrics();
  // Blocks of the document, separated by one blank line.
  std::vector<std::string> blocks;

  const std::string title = InlineText(incident.title());
  blocks.push_back(absl::StrCat("# Post-incident analysis: ",
                                title.empty() ? InlineText(analysis.incident_id()) : title));
  std::string template_name =
      analysis.template_().name().empty() ? kDash : InlineText(analysis.template_().name());
  if (analysis.template_().version() > 0) {
    absl::StrAppend(&template_name, " (version ", analysis.template_().version(), ")");
  }
  const std::string plan = InlineText(incident.response_plan());
  blocks.push_back(absl::StrCat(
      "Analysis ", analysis.id().empty() ? kDash : InlineText(analysis.id()), " · incident ",
      analysis.incident_id().empty() ? kDash : InlineText(analysis.incident_id()),
      " · state: ", StateText(analysis.state()), " · response plan: ", plan.empty() ? kDash : plan,
      " · template: ", template_name));

  blocks.push_back("## Summary");
  const std::vector<std::string> summary = BlockLines(incident.summary());
  const std::string summary_text = absl::StrJoin(summary, "\n");
  blocks.push_back(summary_text.empty() ? kDash : summary_text);

  blocks.push_back("## Impact");
  blocks.push_back(absl::StrCat(
      "- Impact: ", ImpactText(incident.impact()),
      "\n- Opened: ", MdTimeOrDash(incident.has_create_time(), incident.create_time()),
      "\n- Resolved: ", MdTimeOrDash(incident.has_resolve_time(), incident.resolve_time())));

  blocks.push_back("## Metrics");
  blocks.push_back(Table(
      {"Metric", "Value"},
      {
          {"Time to detect", FormatDuration(Opt(metrics.has_time_to_detect_seconds(),
                                                metrics.time_to_detect_seconds()))},
          {"Time to engage", FormatDuration(Opt(metrics.has_time_to_engage_seconds(),
                                                metrics.time_to_engage_seconds()))},
          {"Time to acknowledge", FormatDuration(Opt(metrics.has_time_to_acknowledge_seconds(),
                                                     metrics.time_to_acknowledge_seconds()))},
          {"Time to mitigate", FormatDuration(Opt(metrics.has_time_to_mitigate_seconds(),
                                                  metrics.time_to_mitigate_seconds()))},
          {"Time to resolve", FormatDuration(Opt(metrics.has_time_to_resolve_seconds(),
                                                 metrics.time_to_resolve_seconds()))},
          {"Pages", Count(metrics.pages())},
          {"People engaged", Count(metrics.people_engaged())},
          {"Escalation stages reached", Count(metrics.stages_reached())},
          {"Alarms", Count(metrics.alarms())},
      }));

  blocks.push_back("## People engaged");
  if (analysis.people().empty()) {
    blocks.push_back("None.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const v1::PersonEngaged& person : analysis.people()) {
      rows.push_back({Cell(person.contact()), Cell(absl::StrJoin(person.channels(), ", ")),
                      Count(person.pages()),
                      person.has_first_paged() ? MdTableTime(person.first_paged()) : kDash,
                      person.has_acknowledged() ? MdTableTime(person.acknowledged()) : kDash,
                      Cell(person.acknowledged_by())});
    }
    blocks.push_back(Table(
        {"Contact", "Channels", "Pages", "First paged (UTC)", "Acknowledged (UTC)", "By"}, rows));
  }

  blocks.push_back("## Related items");
  if (incident.related_items().empty()) {
    blocks.push_back("None.");
  } else {
    std::vector<std::string> items;
    for (const inc::RelatedItem& item : incident.related_items()) {
      const std::string item_title = InlineText(item.title());
      const std::string value = InlineText(item.value());
      items.push_back(item_title.empty() ? absl::StrCat("- ", value)
                                         : absl::StrCat("- ", item_title, ": ", value));
    }
    blocks.push_back(absl::StrJoin(items, "\n"));
  }

  blocks.push_back("## Timeline");
  const std::vector<TimedEntry> timeline = SortedTimeline(analysis);
  if (timeline.empty()) {
    blocks.push_back("None.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [happened, entry] : timeline) {
      rows.push_back({MdTableTime(happened), Cell(entry->type()), Cell(entry->message()),
                      Cell(entry->author())});
    }
    blocks.push_back(Table({"Time (UTC)", "Type", "Entry", "Author"}, rows));
  }

  blocks.push_back("## Questions and answers");
  const std::map<std::string, const v1::Answer*> answers = AnswersById(analysis);
  if (analysis.template_().sections().empty()) blocks.push_back("None.");
  for (const v1::Section& section : analysis.template_().sections()) {
    const std::string section_title = InlineText(section.title());
    blocks.push_back(
        absl::StrCat("### ", section_title.empty() ? InlineText(section.id()) : section_title));
    if (section.questions().empty()) blocks.push_back("_No questions._");
    for (const v1::Question& question : section.questions()) {
      const std::string text = InlineText(question.text());
      blocks.push_back(absl::StrCat("**", text.empty() ? InlineText(question.id()) : text, "**"));
      const auto it = answers.find(question.id());
      AppendAnswer(it == answers.end() ? nullptr : it->second, blocks);
    }
  }
  // Answers to questions the template does not have (kept, never dropped).
  const std::set<std::string> question_ids = TemplateQuestionIds(analysis.template_());
  bool other_heading = false;
  for (const auto& [id, answer] : answers) {
    if (question_ids.count(id) > 0) continue;
    if (!other_heading) blocks.push_back("### Other answers");
    other_heading = true;
    blocks.push_back(absl::StrCat("**", InlineText(id), "**"));
    AppendAnswer(answer, blocks);
  }

  blocks.push_back("## Action items");
  if (analysis.action_items().empty()) {
    blocks.push_back("None.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const v1::ActionItem& item : analysis.action_items()) {
      std::string state = IsDone(item) ? "done" : "open";
      if (!IsDone(item) && item.overdue()) state = "open (overdue)";
      rows.push_back({Cell(item.id()), Cell(item.title()), Cell(item.owner()),
                      Cell(item.due_date()), Cell(item.priority()), state, Cell(item.link())});
    }
    blocks.push_back(Table({"ID", "Title", "Owner", "Due", "Priority", "State", "Link"}, rows));
  }

  blocks.push_back("## History");
  if (analysis.history().empty()) {
    blocks.push_back("None.");
  } else {
    std::vector<std::string> entries;
    for (const v1::HistoryEntry& entry : analysis.history()) {
      std::string line = absl::StrCat("- ", MdTimeOrDash(entry.has_time(), entry.time()), " ",
                                      kDash, " ", HistoryActionText(InlineText(entry.action())));
      if (!entry.author().empty()) absl::StrAppend(&line, " by ", InlineText(entry.author()));
      const std::string reason = InlineText(entry.reason());
      if (!reason.empty()) absl::StrAppend(&line, ": ", reason);
      entries.push_back(std::move(line));
    }
    blocks.push_back(absl::StrJoin(entries, "\n"));
  }

  return absl::StrCat(absl::StrJoin(blocks, "\n\n"), "\n");
}

Json ExportJson(const v1::Analysis& analysis) {
  const inc::Incident& incident = analysis.incident();
  const v1::Metrics& metrics = analysis.metrics();
  Json doc = Json::object();
  doc["id"] = analysis.id();
  doc["incidentId"] = analysis.incident_id();
  doc["state"] = StateJson(analysis.state());
  doc["createdBy"] = analysis.created_by();
  doc["automatic"] = analysis.automatic();
  doc["createTime"] = JsonTime(analysis.has_create_time(), analysis.create_time());
  doc["updateTime"] = JsonTime(analysis.has_update_time(), analysis.update_time());
  doc["revision"] = analysis.revision();

  doc["incident"] = {
      {"id", incident.id()},
      {"title", incident.title()},
      {"summary", incident.summary()},
      {"impact", incident.impact()},
      {"status", IncidentStatusJson(incident.status())},
      {"responsePlan", incident.response_plan()},
      {"createTime", JsonTime(incident.has_create_time(), incident.create_time())},
      {"resolveTime", JsonTime(incident.has_resolve_time(), incident.resolve_time())},
  };
  doc["template"] = {{"name", analysis.template_().name()},
                     {"version", analysis.template_().version()}};
  doc["metrics"] = {
      {"timeToDetectSeconds",
       NumberOrNull(metrics.has_time_to_detect_seconds(), metrics.time_to_detect_seconds())},
      {"timeToEngageSeconds",
       NumberOrNull(metrics.has_time_to_engage_seconds(), metrics.time_to_engage_seconds())},
      {"timeToAcknowledgeSeconds", NumberOrNull(metrics.has_time_to_acknowledge_seconds(),
                                                   metrics.time_to_acknowledge_seconds())},
      {"timeToMitigateSeconds",
       NumberOrNull(metrics.has_time_to_mitigate_seconds(), metrics.time_to_mitigate_seconds())},
      {"timeToResolveSeconds",
       NumberOrNull(metrics.has_time_to_resolve_seconds(), metrics.time_to_resolve_seconds())},
      {"pages", metrics.pages()},
      {"peopleEngaged", metrics.people_engaged()},
      {"stagesReached", metrics.stages_reached()},
      {"alarms", metrics.alarms()},
  };
  doc["firstAlarmTime"] = JsonTime(analysis.has_first_alarm_time(), analysis.first_alarm_time());

  Json people = Json::array();
  for (const v1::PersonEngaged& person : analysis.people()) {
    people.push_back({
        {"contact", person.contact()},
        {"channels",
         Json(std::vector<std::string>(person.channels().begin(), person.channels().end()))},
        {"pages", person.pages()},
        {"firstPaged", JsonTime(person.has_first_paged(), person.first_paged())},
        {"acknowledged", JsonTime(person.has_acknowledged(), person.acknowledged())},
        {"acknowledgedBy", person.acknowledged_by()},
    });
  }
  doc["people"] = std::move(people);

  Json related = Json::array();
  for (const inc::RelatedItem& item : incident.related_items()) {
    related.push_back({{"type", RelatedItemTypeJson(item.type())},
                       {"title", item.title()},
                       {"value", item.value()}});
  }
  doc["relatedItems"] = std::move(related);

  Json timeline = Json::array();
  for (const auto& [happened, entry] : SortedTimeline(analysis)) {
    Json data = nullptr;
    if (!entry->data_json().empty()) {
      data = Json::parse(entry->data_json(), nullptr, /*allow_exceptions=*/false);
      // Not JSON after all: kept as the text it is.
      if (data.is_discarded()) data = entry->data_json();
    }
    timeline.push_back({
        {"id", entry->id()},
        {"time", JsonTime(entry->has_event_time(), happened)},
        {"type", entry->type()},
        {"message", entry->message()},
        {"author", entry->author()},
        {"data", std::move(data)},
    });
  }
  doc["timeline"] = std::move(timeline);

  const std::map<std::string, const v1::Answer*> answers = AnswersById(analysis);
  Json questions = Json::array();
  auto question_json = [&](const Json& section, const Json& section_title, const std::string& id,
                           const Json& text, const Json& type, const Json& choices) {
    const auto it = answers.find(id);
    const v1::Answer* answer = it == answers.end() ? nullptr : it->second;
    questions.push_back({
        {"section", section},
        {"sectionTitle", section_title},
        {"id", id},
        {"text", text},
        {"type", type},
        {"choices", choices},
        {"answer", answer == nullptr ? Json(nullptr) : Json(answer->text())},
        {"answeredBy", answer == nullptr ? Json(nullptr) : Json(answer->author())},
        {"answeredAt", answer == nullptr
                            ? Json(nullptr)
                            : JsonTime(answer->has_update_time(), answer->update_time())},
    });
  };
  for (const v1::Section& section : analysis.template_().sections()) {
    for (const v1::Question& question : section.questions()) {
      question_json(
          section.id(), section.title(), question.id(), question.text(),
          QuestionTypeJson(question.type()),
          Json(std::vector<std::string>(question.choices().begin(), question.choices().end())));
    }
  }
  const std::set<std::string> question_ids = TemplateQuestionIds(analysis.template_());
  for (const auto& [id, answer] : answers) {
    if (question_ids.count(id) > 0) continue;
    question_json(nullptr, nullptr, id, nullptr, nullptr, Json::array());
  }
  doc["questions"] = std::move(questions);

  Json action_items = Json::array();
  for (const v1::ActionItem& item : analysis.action_items()) {
    action_items.push_back({
        {"id", item.id()},
        {"title", item.title()},
        {"owner", item.owner()},
        {"dueDate", item.due_date()},
        {"priority", item.priority()},
        {"state", IsDone(item) ? "done" : "open"},
        {"link", item.link()},
        {"overdue", !IsDone(item) && item.overdue()},
        {"createTime", JsonTime(item.has_create_time(), item.create_time())},
        {"author", item.author()},
        {"doneTime", JsonTime(item.has_done_time(), item.done_time())},
        {"doneBy", item.done_by()},
    });
  }
  doc["actionItems"] = std::move(action_items);

  Json history = Json::array();
  for (const v1::HistoryEntry& entry : analysis.history()) {
    history.push_back({{"time", JsonTime(entry.has_time(), entry.time())},
                       {"author", entry.author()},
                       {"action", entry.action()},
                       {"reason", entry.reason()}});
  }
  doc["history"] = std::move(history);
  return doc;
}

}  // namespace tocsin::postmortem
