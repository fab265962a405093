#include "services/paging/chat_channels.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;
using ::testing::Not;

v1::ChatChannel Named(const std::string& name) {
  v1::ChatChannel c;
  c.set_name(name);
  return c;
}

TEST(ValidateChatChannelTest, AcceptsEachPlatform) {
  v1::ChatChannel slack = Named("ops");
  slack.mutable_slack()->set_webhook_url("https://hooks.slack.com/services/T/B/X");
  EXPECT_OK(ValidateChatChannel(slack));
  v1::ChatChannel app = Named("ops-app");
  app.mutable_slack()->set_bot_token_file("/etc/tocsin/slack-token");
  app.mutable_slack()->set_channel("C0123456789");
  EXPECT_OK(ValidateChatChannel(app));
  v1::ChatChannel teams = Named("t");
  teams.mutable_teams()->set_webhook_url_file("/etc/tocsin/teams-url");
  EXPECT_OK(ValidateChatChannel(teams));
  v1::ChatChannel chime = Named("c");
  chime.mutable_chime()->set_webhook_url("https://hooks.chime.aws/incomingwebhooks/x?token=y");
  EXPECT_OK(ValidateChatChannel(chime));
  v1::ChatChannel mm = Named("m");
  mm.mutable_mattermost()->set_webhook_url("http://127.0.0.1:8065/hooks/abc");
  EXPECT_OK(ValidateChatChannel(mm));
  EXPECT_EQ(ChatPlatformName(app), "slack-app");
  EXPECT_EQ(ChatPlatformName(mm), "mattermost");
}

TEST(ValidateChatChannelTest, RefusesWhatCannotWorkWithoutQuotingSecrets) {
  EXPECT_THAT(ValidateChatChannel(Named("")), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ValidateChatChannel(Named("#ops")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("may contain only")));
  EXPECT_THAT(ValidateChatChannel(Named("ops")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs one of slack")));
  v1::ChatChannel both = Named("ops");
  both.mutable_teams()->set_webhook_url("https://x.example/SECRET");
  both.mutable_teams()->set_webhook_url_file("/f");
  EXPECT_THAT(ValidateChatChannel(both),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one")));
  v1::ChatChannel ftp = Named("ops");
  ftp.mutable_chime()->set_webhook_url("ftp://x.example/SECRET");
  absl::Status s = ValidateChatChannel(ftp);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("SECRET")));
  v1::ChatChannel half = Named("ops");
  half.mutable_slack()->set_channel("C1");
  EXPECT_THAT(ValidateChatChannel(half),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("botTokenFile")));
  v1::ChatChannel mixed = Named("ops");
  mixed.mutable_slack()->set_channel("C1");
  mixed.mutable_slack()->set_bot_token_file("/t");
  mixed.mutable_slack()->set_webhook_url("https://hooks.slack.com/x");
  EXPECT_THAT(ValidateChatChannel(mixed),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
}

TEST(PublicChatChannelTest, RedactsWebhookUrls) {
  v1::ChatChannel c = Named("ops");
  c.mutable_slack()->set_webhook_url("https://hooks.slack.com/services/T0/B0/SECRET");
  v1::ChatChannel shown = PublicChatChannel(c);
  EXPECT_THAT(shown.slack().webhook_url(), Not(HasSubstr("SECRET")));
  EXPECT_THAT(shown.slack().webhook_url(), HasSubstr("hooks.slack.com"));
  EXPECT_THAT(ChatDestinationLabel(c), Not(HasSubstr("SECRET")));
  v1::ChatChannel t = Named("t");
  t.mutable_teams()->set_webhook_url("https://x.example/workflows?sig=SECRET");
  EXPECT_THAT(PublicChatChannel(t).teams().webhook_url(), Not(HasSubstr("SECRET")));
}

}  // namespace
}  // namespace tocsin::paging
