#include "services/paging/chat_channels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/http/redact.h"

namespace tocsin::paging {
namespace {

absl::Status Invalid(const v1::ChatChannel& channel, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("chat channel \"", channel.name(), "\": ", why));
}


absl::Status CheckWebhook(const v1::ChatChannel& channel, absl::string_view platform,
                          const std::string& url, const std::string& file) {
  if (url.empty() == file.empty()) {
    return Invalid(channel, absl::StrCat(platform, ": give exactly one of webhookUrl and "
                                                   "webhookUrlFile"));
  }
  if (!url.empty() && !IsChatWebhookUrl(url)) {
    return Invalid(channel, absl::StrCat(platform, ".webhookUrl must be an http:// or https:// "
                                                   "URL"));
  }
  return absl::OkStatus();
}

void RedactWebhook(v1::ChatWebhook& webhook) {
  if (!webhook.webhook_url().empty()) {
    webhook.set_webhook_url(http::RedactUrl(webhook.webhook_url()));
  }
}

std::string WebhookLabel(absl::string_view platform, const std::string& url,
                         const std::string& file) {
  if (!file.empty()) return absl::StrCat(platform, " webhook from ", file);
  return absl::StrCat(platform, " webhook ", http::RedactUrl(url));
}

}  // namespace

bool IsChatWebhookUrl(absl::string_view url) {
  return (absl::StartsWith(url, "https://") && url.size() > 8) ||
         (absl::StartsWith(url, "http://") && url.size() > 7);
}

absl::Status ValidateChatChannel(const v1::ChatChannel& channel) {
  const std::string& name = channel.name();
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat("chat channel name must be 1 to 128 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.') {
      return absl::InvalidArgumentError(absl::StrCat(
          "chat channel name \"", name, "\" may contain only letters, digits, '-', '_' and '.'"));
    }
  }
  if (channel.description().size() > 1024) {
    return Invalid(channel, "description is longer than 1024 bytes");
  }
  switch (channel.platform_case()) {
    case v1::ChatChannel::kSlack: {
      const v1::SlackChat& s = channel.slack();
      const bool webhook = !s.webhook_url().empty() || !s.webhook_url_file().empty();
      const bool app = !s.bot_token_file().empty() || !s.channel().empty();
      if (webhook && app) {
        return Invalid(channel, "slack: give either a webhook (webhookUrl or webhookUrlFile) or "
                                "app mode (botTokenFile and channel), not both");
      }
      if (app) {
        if (s.bot_token_file().empty()) return Invalid(channel, "slack: channel needs botTokenFile");
        if (s.channel().empty()) return Invalid(channel, "slack: botTokenFile needs channel");
        if (s.channel().size() > 80) return Invalid(channel, "slack.channel is longer than 80");
        return absl::OkStatus();
      }
      return CheckWebhook(channel, "slack", s.webhook_url(), s.webhook_url_file());
    }
    case v1::ChatChannel::kTeams:
      return CheckWebhook(channel, "teams", channel.teams().webhook_url(),
                          channel.teams().webhook_url_file());
    case v1::ChatChannel::kChime:
      return CheckWebhook(channel, "chime", channel.chime().webhook_url(),
                          channel.chime().webhook_url_file());
    case v1::ChatChannel::kMattermost:
      return CheckWebhook(channel, "mattermost", channel.mattermost().webhook_url(),
                          channel.mattermost().webhook_url_file());
    case v1::ChatChannel::PLATFORM_NOT_SET:
      break;
  }
  return Invalid(channel, "needs one of slack, teams, chime, mattermost");
}

std::string ChatPlatformName(const v1::ChatChannel& channel) {
  switch (channel.platform_case()) {
    case v1::ChatChannel::kSlack:
      return channel.slack().bot_token_file().empty() ? "slack" : "slack-app";
    case v1::ChatChannel::kTeams:
      return "teams";
    case v1::ChatChannel::kChime:
      return "chime";
    case v1::ChatChannel::kMattermost:
      return "mattermost";
    case v1::ChatChannel::PLATFORM_NOT_SET:
      break;
  }
  return "";
}

v1::ChatChannel PublicChatChannel(v1::ChatChannel channel) {
  if (channel.has_slack() && !channel.slack().webhook_url().empty()) {
    channel.mutable_slack()->set_webhook_url(http::RedactUrl(channel.slack().webhook_url()));
  }
  if (channel.has_teams()) RedactWebhook(*channel.mutable_teams());
  if (channel.has_chime()) RedactWebhook(*channel.mutable_chime());
  if (channel.has_mattermost()) RedactWebhook(*channel.mutable_mattermost());
  return channel;
}

std::string ChatDestinationLabel(const v1::ChatChannel& channel) {
  switch (channel.platform_case()) {
    case v1::ChatChannel::kSlack: {
      const v1::SlackChat& s = channel.slack();
      if (!s.bot_token_file().empty()) return absl::StrCat("slack app, channel ", s.channel());
      return WebhookLabel("slack", s.webhook_url(), s.webhook_url_file());
    }
    case v1::ChatChannel::kTeams:
      return WebhookLabel("teams", channel.teams().webhook_url(),
                          channel.teams().webhook_url_file());
    case v1::ChatChannel::kChime:
      return WebhookLabel("chime", channel.chime().webhook_url(),
                          channel.chime().webhook_url_file());
    case v1::ChatChannel::kMattermost:
      return WebhookLabel("mattermost", channel.mattermost().webhook_url(),
                          channel.mattermost().webhook_url_file());
    case v1::ChatChannel::PLATFORM_NOT_SET:
      break;
  }
  return "nowhere";
}

}  // namespace tocsin::paging
