// The JSON bodies chat senders (chat_senders.h) post for a ChatPost, one per
// platform. Pure functions of the post: the same post always gives the same
// body.
//
//   Slack (webhook)     {"text": fallback, "blocks": [...]}
//   Slack (app mode)    the same plus "channel" (and "thread_ts" for a reply),
//                       or "channel"/"ts" for chat.update
//   Teams (Workflows)   {"type":"message","attachments":[{Adaptive Card 1.4}]}
//   Chime               {"Content": "..."} ("@All " first for impact 1)
//   Mattermost          {"text": markdown, "attachments": [...]}
//
// Everything from the incident is untrusted text: made valid UTF-8, bounded
// (Slack: kSlackMaxSectionBytes per text object, kSlackMaxBlocks blocks;
// Chime: kChimeMaxContentBytes in all), escaped for Slack mrkdwn (&, <, >,
// so no "<!channel>" or link can be smuggled in), and with mentions of
// everyone ("@all", "@here", "@channel", "@present", and Slack's "<!channel>"
// that Mattermost also honours) defused for Chime and Mattermost. JSON is written by nlohmann-json.
//
// Slack message layout (Block Kit): a header with the title; a section with
// what the post says; a section with fields Impact, Status, Engaged; the
// summary; the link; for the incident's first message in app mode while it
// is not resolved, an actions block with the buttons kSlackAcknowledgeAction
// (left out once acknowledged) and kSlackResolveAction, whose value is the
// incident id (slack_interactions.h); a context line. Thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_FORMAT_H_
#define TOCSIN_SERVICES_PAGING_CHAT_FORMAT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "tocsin/paging/v1/chat.pb.h"

namespace tocsin::paging {

// Slack: a section's text is at most 3000 characters (bytes here, which is
// stricter); a message at most 50 blocks; a header 150 characters.
inline constexpr size_t kSlackMaxSectionBytes = 3000;
inline constexpr size_t kSlackMaxBlocks = 50;
inline constexpr size_t kSlackMaxHeaderBytes = 150;
// Chime: a webhook message's Content is at most 4 KB.
inline constexpr size_t kChimeMaxContentBytes = 4096;
// Of any other single text (Teams, Mattermost), the bytes kept.
inline constexpr size_t kChatMaxFieldBytes = 3000;

// The action_id of the buttons on a Slack app's first message.
inline constexpr char kSlackAcknowledgeAction[] = "tocsin_acknowledge";
inline constexpr char kSlackResolveAction[] = "tocsin_resolve";

// Whether the incident is resolved (its resolved flag, or a status
// "RESOLVED ...") or acknowledged (its acknowledged flag, or a status
// "ACKNOWLEDGED by alice"; a resolved incident counts as acknowledged too).
bool ChatIncidentResolved(const v1::ChatIncident& incident);
bool ChatIncidentAcknowledged(const v1::ChatIncident& incident);

// text with &, < and > escaped for Slack mrkdwn, made valid UTF-8 and cut so
// the escaped result is at most max_bytes (text::Truncate's marker shows a
// cut).
std::string SlackEscape(absl::string_view text, size_t max_bytes = kSlackMaxSectionBytes);

// The one-line plain text of a post: "[P1] Database down (OPEN): <post text>"
// (unescaped, bounded to kSlackMaxSectionBytes).
std::string ChatFallbackText(const v1::ChatPost& post);

// Slack incoming webhook: {"text","blocks"}, no buttons.
std::string SlackWebhookBody(const v1::ChatPost& post);

// Slack chat.postMessage: {"channel","text","blocks"} and, when thread_ts is
// not empty, "thread_ts" (a reply). A post without thread_ts is the
// incident's first message and carries the buttons while the incident is
// not resolved.
std::string SlackPostMessageBody(const v1::ChatPost& post, const std::string& channel,
                                 const std::string& thread_ts);

// Slack chat.update of the first message (channel id, ts): the incident as
// post.incident() says it stands now, with the buttons that still apply and
// without the post's own text.
std::string SlackUpdateBody(const v1::ChatPost& post, const std::string& channel,
                            const std::string& ts);

// Teams Workflows: a message with one Adaptive Card (1.4): title, the post's
// text, a FactSet (Impact, Status, Engaged), the summary, a context line, and
// an Action.OpenUrl when the incident has an http(s) link.
std::string TeamsBody(const v1::ChatPost& post);

// Chime: {"Content": "..."}, "@All " first when the incident's impact is 1,
// cut to kChimeMaxContentBytes.
std::string ChimeBody(const v1::ChatPost& post);

// Mattermost (Slack-compatible incoming webhook): {"text": markdown,
// "attachments": [one with the fallback, a colour by status, the title
// (linked when there is a link) and the fields Impact, Status, Engaged]}.
std::string MattermostBody(const v1::ChatPost& post);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_FORMAT_H_
