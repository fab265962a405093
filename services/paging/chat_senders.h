// HttpChatSender: the ChatSender (chat_sender.h) that speaks to each chat
// platform over HTTPS (libs/http HttpClient), with the bodies of
// chat_format.h.
//
//   HttpChatSender sender({.slack_api_url = "https://slack.com/api"});
//   absl::StatusOr<ChatSent> sent = sender.Post(channel, post, thread_id);
//
// By channel.platform_case():
//   slack, bot_token_file set (app mode)
//       POST {slack_api_url}/chat.postMessage, "Authorization: Bearer <token>"
//       (the file's content, trimmed, read at each call), {"channel","text",
//       "blocks"} and "thread_ts" for a reply. Slack answers HTTP 200
//       {"ok":true,"channel":"C…","ts":"…"}: provider_id "<channel id>:<ts>",
//       to be passed back as thread_id (replies go to that channel id, under
//       that ts). UpdateHead: POST chat.update {"channel","ts","text",
//       "blocks"}. {"ok":false,"error":E}: "ratelimited" is
//       ResourceExhausted; internal_error, fatal_error, service_unavailable
//       are Unavailable; every other error (invalid_auth, not_authed,
//       channel_not_found, not_in_channel, is_archived, account_inactive,
//       token_revoked, ...) is FailedPrecondition.
//   slack (incoming webhook), teams, chime, mattermost
//       POST the webhook URL (webhook_url, or webhook_url_file's content,
//       trimmed, read at each call). Any 2xx is accepted (Slack answers 200
//       "ok", Teams Workflows 202).
//
// HTTP answers: 408 DeadlineExceeded; 429 ResourceExhausted (with the
// Retry-After delay, see below); 5xx Unavailable; any
// other non-2xx FailedPrecondition (Slack webhooks' 400 invalid_payload, 403
// action_prohibited, 404 channel_not_found, 410 channel_is_archived).
// Transport: a timeout is DeadlineExceeded, a URL libcurl refuses
// InvalidArgument, anything else Unavailable. A channel without a usable
// destination (no URL, a URL that is not http(s), an unreadable or empty URL
// or token file, or one with white space inside the value, app mode without
// a channel, a malformed thread_id) is InvalidArgument naming the file's
// path, never its content.
//
// Retry-After: a throttled answer's Retry-After (delta-seconds) becomes
// kRetryAfterPayload on the ResourceExhausted (code_limiter.h's
// RetryAfter(status) reads it) and the message says "(retry after 30s)".
//
// Every request: "Content-Type: application/json" ("; charset=utf-8" for
// Slack's Web API, which asks for it), "Idempotency-Key: <post id>",
// "User-Agent: tocsin". At most max_response_bytes of an answer are read; a
// Slack answer cut there still counts when its "ok", "channel" and "ts" came
// before the cut (they do: Slack sends them first). Error messages quote a
// bounded, valid UTF-8 line of the answer and show URLs only through
// RedactUrl; the token never appears.
//
// Thread-safe: calls run in parallel, each on its own connection (idle
// connections are kept for the next call).
#ifndef TOCSIN_SERVICES_PAGING_CHAT_SENDERS_H_
#define TOCSIN_SERVICES_PAGING_CHAT_SENDERS_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/http/http_client.h"
#include "services/paging/chat_sender.h"

namespace tocsin::paging {

struct HttpChatSenderOptions {
  // Slack's Web API base; tests point it at a local receiver.
  std::string slack_api_url = "https://slack.com/api";
  // Each request, connection included.
  absl::Duration timeout = absl::Seconds(10);
  // Of an answer, the bytes read.
  size_t max_response_bytes = 64 * 1024;
};

class HttpChatSender final : public ChatSender {
 public:
  explicit HttpChatSender(HttpChatSenderOptions options = {});

  absl::StatusOr<ChatSent> Post(const v1::ChatChannel& channel, const v1::ChatPost& post,
                                const std::string& thread_id) override;
  absl::Status UpdateHead(const v1::ChatChannel& channel, const v1::ChatPost& post,
                          const std::string& thread_id) override;

 private:
  absl::StatusOr<ChatSent> PostWebhook(const v1::ChatChannel& channel, const v1::ChatPost& post,
                                       const std::string& url, const std::string& url_file,
                                       std::string body);
  absl::StatusOr<ChatSent> CallSlack(const v1::ChatChannel& channel, const v1::ChatPost& post,
                                     absl::string_view method, std::string body);
  absl::StatusOr<http::HttpClientResponse> Send(http::HttpClientRequest request);

  const HttpChatSenderOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<http::HttpClient>> idle_ ABSL_GUARDED_BY(mu_);
};

// A Retry-After header's delay: delta-seconds ("30"); nullopt for anything
// else (an HTTP date is not used by the chat platforms).
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value);

// status with kRetryAfterPayload (code_limiter.h) saying delay, rounded up
// to whole seconds.
absl::Status WithRetryAfter(absl::Status status, absl::Duration delay);

// The secret (webhook URL or token) in the file at path, with surrounding
// white space removed. InvalidArgument naming path (never its content) when
// it cannot be read or is empty; what says whose file it is.
absl::StatusOr<std::string> ReadChatSecretFile(const std::string& path, absl::string_view what);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_SENDERS_H_
