// Slack's interactivity requests on the paging service's public HTTP port:
// the Acknowledge and Resolve buttons of an incident's first message in a
// Slack app channel (chat_format.h). Set the Slack app's Interactivity
// Request URL to the public URL followed by kSlackInteractionsPath.
//
//   RegisterSlackInteractions(host.http(), &actions,
//                             {.signing_secret = ..., .clock = host.clock()});
//
//   POST /v1/providers/slack/interactions
//       body: application/x-www-form-urlencoded "payload=<JSON>". The
//       request must carry a valid X-Slack-Signature for its raw body and
//       X-Slack-Request-Timestamp (slack_signature.h), checked before the
//       body is parsed; otherwise 403 and nothing is done (missing headers
//       are refused before the body is read).
//       For "type":"block_actions", the first action whose action_id is
//       kSlackAcknowledgeAction or kSlackResolveAction is run: its value is
//       the incident id, the person is user.id with user.username (or
//       user.name), the author "slack:<user id> (<name>)". SlackActions
//       answers a sentence ("Acknowledged by ...", "already acknowledged by
//       X at T") or an error, and that goes back to the person only: POSTed
//       to the payload's response_url as {"response_type":"ephemeral",
//       "replace_original":false,"text":...} (Slack's way of answering a
//       block action; the message itself is kept current by the chat core's
//       chat.update). Slack wants the request answered 200 within 3 seconds,
//       so it is answered at once (empty body) and the action and the
//       response_url POST (bounded by response_timeout) run afterwards, in
//       order, on one worker thread; more than 256 presses waiting are
//       answered 503.
//       Other payload types are answered 200 "ignored"; an unknown action
//       200 with a sentence saying so (also sent to response_url); a body
//       without a payload, or a payload that is not JSON or has no user or
//       incident, 400.
//
// The response_url is used only when it starts with response_url_prefix
// (Slack's own https://hooks.slack.com/), so a payload cannot make Tocsin
// POST elsewhere even with a leaked signing secret. Everything in the payload
// is untrusted: made valid UTF-8, bounded, and escaped in the reply.
// Thread-safe; actions and clock must outlive the server (the worker finishes
// the presses already answered when the server's routes are destroyed).
#ifndef TOCSIN_SERVICES_PAGING_SLACK_INTERACTIONS_H_
#define TOCSIN_SERVICES_PAGING_SLACK_INTERACTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/http/http_server.h"

namespace tocsin::paging {

inline constexpr char kSlackInteractionsPath[] = "/v1/providers/slack/interactions";

// What the buttons do (implemented over the paging core by whoever wires
// the route). Thread-safe.
class SlackActions {
 public:
  virtual ~SlackActions() = default;
  // The sentence for the person who pressed: "Acknowledged by <author>",
  // "already acknowledged by X at T". An error (NotFound for an unknown
  // incident, ...) is shown to them as "Could not acknowledge incident ID:
  // <message>".
  virtual absl::StatusOr<std::string> Acknowledge(const std::string& incident_id,
                                                  const std::string& author) = 0;
  virtual absl::StatusOr<std::string> Resolve(const std::string& incident_id,
                                              const std::string& author) = 0;
};

struct SlackInteractionOptions {
  // The Slack app's signing secret. Never logged. Empty: every request is
  // refused.
  std::string signing_secret;
  // For the signature's 5-minute window.
  const Clock* clock = nullptr;
  // A response_url is POSTed to only when it starts with this.
  std::string response_url_prefix = "https://hooks.slack.com/";
  // The response_url POST, connection included.
  absl::Duration response_timeout = absl::Seconds(2);
};

void RegisterSlackInteractions(http::HttpServer& server, SlackActions* actions,
                               SlackInteractionOptions options);

// "slack:U0123 (alice)"; "slack:U0123" without a name. Valid UTF-8, one line,
// bounded.
std::string SlackAuthor(absl::string_view user_id, absl::string_view user_name);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_SLACK_INTERACTIONS_H_
