// Chat channel objects: what a valid one is, and how answers show it.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_CHANNELS_H_
#define TOCSIN_SERVICES_PAGING_CHAT_CHANNELS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tocsin/paging/v1/chat.pb.h"

namespace tocsin::paging {

// OK for a channel that can be posted to; InvalidArgument naming the field
// otherwise (never quoting a webhook URL): a name of 1-128 letters, digits,
// '-', '_', '.'; exactly one platform; for teams/chime/mattermost and Slack
// webhook mode exactly one of webhookUrl (an http(s) URL) and
// webhookUrlFile; Slack app mode both botTokenFile and channel, and not
// with a webhook; a description of at most 1024 bytes.
absl::Status ValidateChatChannel(const v1::ChatChannel& channel);

// Whether url is one a chat webhook may have: lower-case http:// or
// https:// and something after it. The senders check the same.
bool IsChatWebhookUrl(absl::string_view url);

// "slack", "slack-app", "teams", "chime", "mattermost"; "" when none is set.
std::string ChatPlatformName(const v1::ChatChannel& channel);

// The channel as answers and logs show it: webhook URLs redacted
// (libs/http/redact.h); file paths kept (they are not secrets).
v1::ChatChannel PublicChatChannel(v1::ChatChannel channel);

// Where the channel posts, for people: "slack app, channel C0123",
// "teams webhook https://x.example/…", "chime webhook from /etc/tocsin/chime".
std::string ChatDestinationLabel(const v1::ChatChannel& channel);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_CHANNELS_H_
