// ChatSender: posts one incident update to one chat channel (Slack, Teams,
// Chime, Mattermost). The chat core (chat_core.h) calls it outside any
// database transaction, from its delivery thread, once per attempt, and reads
// the result to decide what comes next. Results are classified like a
// Notifier's (libs/status/retry.h):
//
//   OK                 the platform accepted the post;
//   transient          Unavailable (unreachable, 5xx), DeadlineExceeded
//                      (timed out, 408), ResourceExhausted (429; Slack's
//                      "ratelimited"): retried with backoff; when the platform
//                      said how long to wait (Retry-After) the status carries
//                      it (code_limiter.h's RetryAfter(status) reads it) and
//                      the retry waits at least that long;
//   anything else      permanent: FailedPrecondition for a refusal that will
//                      not change by itself (Slack's invalid_auth,
//                      channel_not_found, is_archived; a webhook's 400/403/
//                      404/410), InvalidArgument for a channel without a
//                      usable destination (no URL, an unreadable token file):
//                      the post is set aside as FAILED.
//
// Secrets: webhook URLs and bot tokens never appear in a status message or
// a log line (libs/http/redact.h); an error says "webhook of chat channel
// ops (https://hooks.slack.com) answered HTTP 404: channel_not_found".
// Whatever the platform answered is quoted only after text::Untrusted.
//
// Every request carries "Idempotency-Key: <post id>" (platforms that honour it
// drop a repeat; docs/paging.md states the window for those that do not).
// Thread-safe; each call is bounded by the implementation's timeout.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_SENDER_H_
#define TOCSIN_SERVICES_PAGING_CHAT_SENDER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tocsin/paging/v1/chat.pb.h"

namespace tocsin::paging {

// What the platform answered for an accepted post.
struct ChatSent {
  // The platform's id of the message when it gives one and later posts need
  // it: Slack app mode answers an opaque id ("C0123:1712345678.000100") to
  // be passed back as thread_id; empty otherwise.
  std::string provider_id;
  // For people: "HTTP 200", "Slack ts 1712345678.000100".
  std::string answer;
};

class ChatSender {
 public:
  virtual ~ChatSender() = default;

  // Posts post (its text, kind and incident) to channel. thread_id is the
  // provider_id the incident's first post in this channel was answered with
  // (Slack app mode threads later posts under it with thread_ts); empty for
  // the first post, and ignored by platforms without threads.
  virtual absl::StatusOr<ChatSent> Post(const v1::ChatChannel& channel,
                                        const v1::ChatPost& post,
                                        const std::string& thread_id) = 0;

  // Slack app mode: edits the incident's first message (thread_id) in place
  // to show post.incident() as it stands now (chat.update). OK and nothing
  // sent for every other platform or an empty thread_id. Errors as Post.
  virtual absl::Status UpdateHead(const v1::ChatChannel& channel, const v1::ChatPost& post,
                                  const std::string& thread_id) = 0;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_SENDER_H_
