// Which incident updates are posted to chat, and what they say: a pure
// translation of timeline.added events (each carries its entry and the
// incident as it stood with it; the chat core consumes them in stream order)
// into at most one ChatUpdate each, keeping the incident's chat state
// (ChatIncident: title, impact, status, channels) current.
//
// Posted (kind: timeline entry type):
//   opened        incident.opened: title, impact, summary, link, engaged;
//   updated       incident.updated when the impact or title changed
//                 ("Changed impact from 3 (medium) to 1 (critical)");
//   note          note (a person's note, with its author);
//   engagement    engagement.started;
//   acknowledged  page.acknowledged (by whom, how);
//   escalated     engagement.stage_started past the first stage;
//   alarms        alarm (an alarm joined the open incident);
//   resolved      incident.resolved;
//   runbook       runbook.execution.started|finished, runbook.step.changed,
//                 runbook.start_failed (a runbook's progress, step by step);
//   notify        runbook.notified (a tocsin:notify step's message);
//                 runbook.note (tocsin:updateIncident Note) posts as a note.
// Anything else (page.sent, page.delivered, ...) is not posted. Text taken
// from events is made valid UTF-8 and bounded.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_UPDATES_H_
#define TOCSIN_SERVICES_PAGING_CHAT_UPDATES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/paging/v1/chat.pb.h"

namespace tocsin::paging {

inline constexpr char kChatOpened[] = "opened";
inline constexpr char kChatUpdated[] = "updated";
inline constexpr char kChatNote[] = "note";
inline constexpr char kChatEngagement[] = "engagement";
inline constexpr char kChatAcknowledged[] = "acknowledged";
inline constexpr char kChatEscalated[] = "escalated";
inline constexpr char kChatAlarms[] = "alarms";
inline constexpr char kChatResolved[] = "resolved";
inline constexpr char kChatTest[] = "test";
inline constexpr char kChatRunbook[] = "runbook";
inline constexpr char kChatNotify[] = "notify";

// The longest text of one update (a digest lists several).
inline constexpr size_t kMaxChatTextBytes = 2000;

struct ChatUpdate {
  std::string kind;
  std::string text;
};

struct ChatUpdateOptions {
  // The link for incidents without a console link of their own: "{id}" is
  // replaced by the incident id ("https://tocsin.example.com/incidents/{id}").
  // Empty: none.
  std::string console_url;
};

// Applies a timeline.added event to `incident` (nullopt: nothing known of
// it yet; the event's incident snapshot creates it) and answers the update
// to post, if any. Other event types answer nothing. InvalidArgument when
// the payload is not the one the type promises.
absl::StatusOr<std::vector<ChatUpdate>> ChatUpdatesFor(
    const ::tocsin::events::v1::Envelope& event, std::optional<v1::ChatIncident>& incident,
    const ChatUpdateOptions& options);

// Whether later updates of this kind within a minute are folded into one
// post (every kind but opened, resolved and test).
bool IsFoldable(const std::string& kind);

// The text of a post standing for `count` updates of kind folded together:
// "3 more alarms joined" and then up to `lines` of what they said.
std::string FoldedText(const std::string& kind, int count, const std::vector<std::string>& lines);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_UPDATES_H_
