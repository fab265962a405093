#include "services/paging/chat_updates.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/events/types.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"

namespace tocsin::paging {
namespace {

using ::tocsin::events::v1::Envelope;

std::string Bounded(absl::string_view s) { return text::Untrusted(s, kMaxChatTextBytes); }

// The chat state of an incident as its latest event shows it; keeps what
// only chat knows (alarms joined, acknowledged).
v1::ChatIncident FromIncident(const incidents::v1::Incident& in,
                              const std::optional<v1::ChatIncident>& before,
                              const ChatUpdateOptions& options) {
  v1::ChatIncident out;
  if (before.has_value()) out = *before;
  out.set_id(in.id());
  out.set_title(text::Untrusted(in.title(), 1024));
  out.set_impact(in.impact());
  out.set_summary(text::Untrusted(in.summary(), kMaxChatTextBytes));
  out.clear_engaged();
  for (const std::string& e : in.engagements()) out.add_engaged(text::Untrusted(e, 128));
  out.clear_channels();
  for (const std::string& c : in.chat_channels()) out.add_channels(c);
  std::string link;
  for (const incidents::v1::RelatedItem& item : in.related_items()) {
    if (item.type() == incidents::v1::RELATED_ITEM_TYPE_URL && link.empty() &&
        (absl::StartsWith(item.value(), "https://") || absl::StartsWith(item.value(), "http://"))) {
      link = item.value();
    }
  }
  if (link.empty() && !options.console_url.empty()) {
    link = absl::StrReplaceAll(options.console_url, {{"{id}", in.id()}});
  }
  out.set_link(text::Untrusted(link, 2048));
  if (in.status() == incidents::v1::INCIDENT_STATUS_RESOLVED) out.set_resolved(true);
  if (out.resolved()) {
    out.set_status("RESOLVED");
  } else if (!out.acknowledged()) {
    out.set_status("OPEN");
  }
  return out;
}

std::string ImpactLabel(int impact) {
  switch (impact) {
    case 1: return "1 (critical)";
    case 2: return "2 (high)";
    case 3: return "3 (medium)";
    case 4: return "4 (low)";
    case 5: return "5 (no impact)";
    default: return absl::StrCat(impact);
  }
}

// The stage number (from 1) an "engagement.stage_started" entry names:
// data_json's "stage" (from 0) when present, else "stage N" in its message.
int StageOf(const incidents::v1::TimelineEvent& e) {
  const std::string& m = e.message();
  size_t at = m.find("stage ");
  while (at != std::string::npos) {
    size_t end = at + 6;
    while (end < m.size() && absl::ascii_isdigit(static_cast<unsigned char>(m[end]))) ++end;
    int n = 0;
    if (end > at + 6 && absl::SimpleAtoi(m.substr(at + 6, end - at - 6), &n)) return n;
    at = m.find("stage ", at + 1);
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::vector<ChatUpdate>> ChatUpdatesFor(const Envelope& event,
                                                       std::optional<v1::ChatIncident>& incident,
                                                       const ChatUpdateOptions& options) {
  std::vector<ChatUpdate> out;
  if (!events::Is(event, events::kTimelineAdded)) return out;
  ASSIGN_OR_RETURN(auto added, events::Payload(event, events::kTimelineAdded));
  const std::optional<v1::ChatIncident> before = incident;
  if (added.has_incident()) incident = FromIncident(added.incident(), incident, options);
  // An entry without the incident (written by an older version) about an
  // incident chat knows nothing of: nowhere to post it.
  if (!incident.has_value()) return out;
  const incidents::v1::TimelineEvent& e = added.event();
  const std::string message = Bounded(e.message());
  if (e.type() == events::kIncidentOpened.name) {
    out.push_back({kChatOpened, Bounded(absl::StrCat("Incident opened: ", incident->title()))});
  } else if (e.type() == events::kIncidentUpdated.name) {
    if (!before.has_value()) return out;
    std::vector<std::string> changes;
    if (before->impact() != incident->impact()) {
      changes.push_back(absl::StrCat("impact from ", ImpactLabel(before->impact()), " to ",
                                     ImpactLabel(incident->impact())));
    }
    if (before->title() != incident->title()) {
      changes.push_back(absl::StrCat("title to \"", incident->title(), "\""));
    }
    if (changes.empty()) return out;
    std::string text = "Changed ";
    for (size_t i = 0; i < changes.size(); ++i) {
      absl::StrAppend(&text, i == 0 ? "" : " and ", changes[i]);
    }
    if (!e.author().empty()) absl::StrAppend(&text, " (by ", e.author(), ")");
    out.push_back({kChatUpdated, Bounded(text)});
  } else if (e.type() == events::kIncidentResolved.name) {
    incident->set_resolved(true);
    incident->set_status("RESOLVED");
    if (before.has_value() && before->resolved()) return out;
    out.push_back({kChatResolved, Bounded(absl::StrCat("Incident resolved",
                                                       message.empty() ? ""
                                                                       : absl::StrCat(": ", message)))});
  } else if (e.type() == events::kRunbookExecutionStarted.name ||
             e.type() == events::kRunbookStepChanged.name ||
             e.type() == events::kRunbookExecutionFinished.name ||
             e.type() == "runbook.start_failed") {
    out.push_back({kChatRunbook, message});
  } else if (e.type() == events::kRunbookNotified.name) {
    out.push_back({kChatNotify, message});
  } else if (e.type() == "note" || e.type() == "runbook.note") {
    out.push_back({kChatNote, Bounded(absl::StrCat(
                                  "Note", e.author().empty() ? "" : absl::StrCat(" by ", e.author()),
                                  ": ", message))});
  } else if (e.type() == events::kEngagementStarted.name) {
    out.push_back({kChatEngagement, message});
  } else if (e.type() == events::kPageAcknowledged.name) {
    if (!incident->resolved()) {
      incident->set_acknowledged(true);
      incident->set_status(
          Bounded(absl::StrCat("ACKNOWLEDGED", absl::StartsWith(message, "Acknowledged by ")
                                                   ? absl::StrCat(" by ", message.substr(16))
                                                   : "")));
    }
    out.push_back({kChatAcknowledged, message});
  } else if (e.type() == events::kEngagementStageStarted.name) {
    if (StageOf(e) >= 2) {
      out.push_back({kChatEscalated, Bounded(absl::StrCat("Escalated: ", message))});
    }
  } else if (e.type() == "alarm") {
    incident->set_alarms_joined(incident->alarms_joined() + 1);
    out.push_back({kChatAlarms, Bounded(absl::StrCat("Alarm joined: ", message))});
  }
  return out;
}

bool IsFoldable(const std::string& kind) {
  return kind != kChatOpened && kind != kChatResolved && kind != kChatTest;
}

std::string FoldedText(const std::string& kind, int count, const std::vector<std::string>& lines) {
  std::string head;
  const bool one = count == 1;
  if (kind == kChatAlarms) {
    head = absl::StrCat(count, " more alarm", one ? "" : "s", " joined");
  } else if (kind == kChatNote) {
    head = absl::StrCat(count, " more note", one ? "" : "s");
  } else if (kind == kChatEngagement) {
    head = absl::StrCat(count, " more engagement", one ? "" : "s", " started");
  } else if (kind == kChatAcknowledged) {
    head = absl::StrCat(count, " more acknowledgement", one ? "" : "s");
  } else if (kind == kChatEscalated) {
    head = absl::StrCat(count, " more escalation", one ? "" : "s");
  } else if (kind == kChatRunbook) {
    head = absl::StrCat(count, " more runbook update", one ? "" : "s");
  } else if (kind == kChatNotify) {
    head = absl::StrCat(count, " more runbook message", one ? "" : "s");
  } else {
    head = absl::StrCat(count, " more update", one ? "" : "s");
  }
  std::string text = head;
  for (const std::string& line : lines) absl::StrAppend(&text, "\n• ", line);
  if (count > static_cast<int>(lines.size()) && !lines.empty()) {
    absl::StrAppend(&text, "\n• … and ", count - static_cast<int>(lines.size()), " more");
  }
  return text::Truncate(text, 3 * kMaxChatTextBytes);
}

}  // namespace tocsin::paging
