#include "services/paging/slack_interactions.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/http/http_client.h"
#include "libs/http/redact.h"
#include "libs/http/url_encoded.h"
#include "libs/log/log.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/chat_format.h"
#include "services/paging/slack_signature.h"

namespace tocsin::paging {
namespace {

using json = nlohmann::json;

// Slack's interaction payloads carry the whole message (blocks and all).
constexpr int64_t kMaxInteractionBodyBytes = 256 * 1024;
// Longer than any Slack id, user name or incident id.
constexpr size_t kMaxField = 256;
// Of a response_url, the bytes accepted.
constexpr size_t kMaxResponseUrlBytes = 2048;
// Of the answer's reply, the bytes kept.
constexpr size_t kMaxReplyBytes = 4096;

http::HttpResponse Plain(int status, absl::string_view message) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(message);
  return r;
}

// A string member of j (an object), made safe; "" when absent.
std::string Field(const json& j, const char* name, size_t max = kMaxField) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return text::UntrustedLine(it->get<std::string>(), max);
}

class Interactions {
 public:
  Interactions(SlackActions* actions, SlackInteractionOptions options)
      : actions_(actions), options_(std::move(options)) {}

  http::HttpResponse Handle(const http::HttpRequest& request) {
    absl::Status verified =
        VerifySlackSignature(request.Header("x-slack-signature"),
                             request.Header("x-slack-request-timestamp"), request.body,
                             options_.signing_secret, options_.clock->Now());
    if (!verified.ok()) {
      log::Warn("Slack interaction refused: its signature does not verify",
                {{"reason", std::string(verified.message())},
                 {"remote_addr", request.remote_addr}});
      return Plain(403, verified.message());
    }
    std::optional<std::string> payload = http::UrlEncodedValue(request.body, "payload");
    if (!payload.has_value()) return Plain(400, "the body has no payload field");
    json j = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return Plain(400, "the payload is not a JSON object");
    const std::string type = Field(j, "type", 64);
    if (type != "block_actions") {
      return Plain(200, absl::StrCat("ignored: Tocsin handles only block_actions, not \"",
                                     type, "\""));
    }
    const json& user = j.contains("user") ? j["user"] : json();
    const std::string user_id = Field(user, "id");
    std::string user_name = Field(user, "username");
    if (user_name.empty()) user_name = Field(user, "name");
    const std::string response_url = Field(j, "response_url", kMaxResponseUrlBytes);
    if (user_id.empty()) return Plain(400, "the payload has no user.id");

    // The first action that is one of Tocsin's buttons.
    std::string action_id, incident_id, first_action;
    if (j.contains("actions") && j["actions"].is_array()) {
      for (const json& a : j["actions"]) {
        const std::string id = Field(a, "action_id");
        if (first_action.empty()) first_action = id;
        if (id == kSlackAcknowledgeAction || id == kSlackResolveAction) {
          action_id = id;
          incident_id = Field(a, "value");
          break;
        }
      }
    }
    if (action_id.empty()) {
      const std::string answer =
          absl::StrCat("Tocsin does not know this button (action_id \"", first_action,
                       "\"); it handles ", kSlackAcknowledgeAction, " and ", kSlackResolveAction,
                       ".");
      Reply(response_url, answer);
      return Plain(200, answer);
    }
    if (incident_id.empty()) return Plain(400, "the button carries no incident id (value)");

    const std::string author = SlackAuthor(user_id, user_name);
    const bool acknowledge = action_id == kSlackAcknowledgeAction;
    absl::StatusOr<std::string> done = acknowledge
                                           ? actions_->Acknowledge(incident_id, author)
                                           : actions_->Resolve(incident_id, author);
    const std::string answer =
        done.ok() ? text::Untrusted(*done, kMaxReplyBytes)
                  : text::Untrusted(absl::StrCat("Could not ", acknowledge ? "acknowledge" : "resolve",
                                                 " incident ", incident_id, ": ",
                                                 done.status().message()),
                                    kMaxReplyBytes);
    log::Info("Slack button pressed", {{"action", action_id},
                                       {"incident", incident_id},
                                       {"author", author},
                                       {"ok", done.ok() ? "true" : "false"}});
    Reply(response_url, answer);
    return Plain(200, answer);
  }

 private:
  // Sends answer to the person who pressed (ephemeral), when response_url is
  // Slack's.
  void Reply(const std::string& response_url, const std::string& answer) {
    if (response_url.empty()) return;
    if (!absl::StartsWith(response_url, options_.response_url_prefix)) {
      log::Warn("Slack interaction: response_url is not Slack's; no reply sent",
                {{"response_url", http::RedactUrl(response_url)}});
      return;
    }
    const json body = {{"response_type", "ephemeral"},
                       {"replace_original", false},
                       {"text", SlackEscape(answer)}};
    http::HttpClient client;
    absl::StatusOr<http::HttpClientResponse> r = client.Send(
        {.method = "POST",
         .url = response_url,
         .body = body.dump(-1, ' ', false, json::error_handler_t::replace),
         .headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"User-Agent", "tocsin"}},
         .timeout = options_.response_timeout,
         .connect_timeout = options_.response_timeout,
         .max_response_bytes = 4096});
    if (!r.ok() || r->status < 200 || r->status >= 300) {
      log::Warn("Slack interaction: the reply to response_url failed",
                {{"response_url", http::RedactUrl(response_url)},
                 {"error", r.ok() ? absl::StrCat("HTTP ", r->status, ": ",
                                                 text::UntrustedLine(r->body, 256))
                                  : text::UntrustedLine(
                                        http::RedactUrlIn(r.status().message(), response_url),
                                        512)}});
    }
  }

  SlackActions* const actions_;
  const SlackInteractionOptions options_;
};

}  // namespace

std::string SlackAuthor(absl::string_view user_id, absl::string_view user_name) {
  const std::string id = text::UntrustedLine(user_id, 64);
  const std::string name = text::UntrustedLine(user_name, 128);
  if (name.empty()) return absl::StrCat("slack:", id);
  return absl::StrCat("slack:", id, " (", name, ")");
}

void RegisterSlackInteractions(http::HttpServer& server, SlackActions* actions,
                               SlackInteractionOptions options) {
  auto interactions = std::make_shared<Interactions>(actions, std::move(options));
  http::RouteOptions route;
  route.max_body_bytes = kMaxInteractionBodyBytes;
  // An unsigned request is refused before its body is read.
  route.authorize = [](const http::HttpRequest& r) -> std::optional<http::HttpResponse> {
    if (r.Header("x-slack-signature").empty()) {
      return Plain(403, "missing X-Slack-Signature header");
    }
    if (r.Header("x-slack-request-timestamp").empty()) {
      return Plain(403, "missing X-Slack-Request-Timestamp header");
    }
    return std::nullopt;
  };
  server.Handle(
      "POST", kSlackInteractionsPath,
      [interactions](const http::HttpRequest& r) { return interactions->Handle(r); }, route);
}

}  // namespace tocsin::paging
