// tocsin chat list|show|test|retry|delete, and `tocsin apply` of ChatChannel
// objects, against a fake ChatService over real gRPC.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tocsin/paging/v1/chat.pb.h"
#include "tools/cli/cli.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

namespace chat_v1 = ::tocsin::paging::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSecret[] = "SECRET-SIG";

// The issue's two channels, and a plan that names the first.
constexpr char kChannels[] = R"yaml(
kind: ChatChannel
name: payments-incidents
slack: {webhookUrlFile: /etc/tocsin/slack-payments-webhook}
---
kind: ChatChannel
name: payments-teams
teams: {webhookUrl: "https://prod-00.westus.logic.azure.com/workflows/abc?sig=SECRET-SIG"}
)yaml";

class ChatCommandsTest : public CliTest {
 protected:
  // Three channels: Slack app mode, a Teams webhook given inline, a Chime
  // webhook from a file.
  void AddThreeChannels() {
    chat_v1::ChatChannel slack;
    slack.set_name("sre");
    slack.set_description("SRE incidents");
    slack.mutable_slack()->set_bot_token_file("/etc/tocsin/bot-token");
    slack.mutable_slack()->set_channel("C0123");
    chat_.AddChannel(slack);
    chat_v1::ChatChannel teams;
    teams.set_name("payments-teams");
    teams.mutable_teams()->set_webhook_url(absl::StrCat(
        "https://prod-00.westus.logic.azure.com/workflows/abc/triggers?sig=",
        kSecret));
    chat_.AddChannel(teams);
    chat_v1::ChatChannel chime;
    chime.set_name("storage");
    chime.mutable_chime()->set_webhook_url_file("/etc/tocsin/chime");
    chat_.AddChannel(chime);
  }

  static chat_v1::ChatPost MakePost(const std::string& id,
                                    const std::string& channel,
                                    const std::string& incident,
                                    const std::string& kind,
                                    chat_v1::ChatPostState state, int attempts,
                                    int seconds) {
    chat_v1::ChatPost post;
    post.set_id(id);
    post.set_channel(channel);
    post.set_incident_id(incident);
    post.set_kind(kind);
    post.set_state(state);
    post.set_attempts(attempts);
    post.mutable_create_time()->set_seconds(kNewYear2026 + seconds);
    return post;
  }
};

TEST_F(ChatCommandsTest, ChatListPrintsNamePlatformAndDestination) {
  AddThreeChannels();

  Result result = Run({"chat", "list"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "NAME            PLATFORM   DESTINATION\n"
            "payments-teams  teams      teams webhook "
            "https://prod-00.westus.logic.azure.com/workflows/…?…\n"
            "sre             slack-app  slack app, channel C0123\n"
            "storage         chime      chime webhook from /etc/tocsin/chime\n");
  EXPECT_THAT(result.out, Not(HasSubstr(kSecret)));
}

TEST_F(ChatCommandsTest, ChatListAsJsonNeverCarriesAWebhookUrl) {
  AddThreeChannels();

  Result result = Run({"--output", "json", "chat", "list"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr(kSecret)));
  const nlohmann::json channels = nlohmann::json::parse(result.out);
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[0]["name"], "payments-teams");
  EXPECT_EQ(channels[2]["chime"]["webhookUrlFile"], "/etc/tocsin/chime");
}

TEST_F(ChatCommandsTest, ChatShowPrintsTheChannelThenItsRecentPosts) {
  AddThreeChannels();
  chat_v1::ChatPost failed =
      MakePost("cp-1", "sre", "inc-1", "opened", chat_v1::CHAT_POST_STATE_FAILED,
               5, 10);
  failed.set_last_error("HTTP 404: channel_not_found");
  chat_.AddPost(failed);
  chat_.AddPost(MakePost("cp-2", "sre", "inc-1", "acknowledged",
                         chat_v1::CHAT_POST_STATE_SENT, 1, 20));
  chat_.AddPost(MakePost("cp-3", "sre", "", "test",
                         chat_v1::CHAT_POST_STATE_PENDING, 0, 30));
  chat_.AddPost(MakePost("cp-4", "storage", "inc-2", "opened",
                         chat_v1::CHAT_POST_STATE_SENT, 1, 40));

  Result result = Run({"chat", "show", "sre"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "Name:         sre\n"
            "Description:  SRE incidents\n"
            "Platform:     slack-app\n"
            "Destination:  slack app, channel C0123\n"
            "Created:      2026-01-01T00:00:00Z\n"
            "Updated:      2026-01-01T00:00:00Z\n"
            "\n"
            "ID    TIME                  INCIDENT  KIND          STATE    "
            "ATTEMPTS  LAST ERROR\n"
            "cp-3  2026-01-01T00:00:30Z  -         test          pending  "
            "0         -\n"
            "cp-2  2026-01-01T00:00:20Z  inc-1     acknowledged  sent     "
            "1         -\n"
            "cp-1  2026-01-01T00:00:10Z  inc-1     opened        failed   "
            "5         HTTP 404: channel_not_found\n");

  Result limited = Run({"chat", "show", "sre", "--limit", "1"});
  ASSERT_EQ(limited.exit_code, kExitOk) << limited.err;
  EXPECT_THAT(limited.out, HasSubstr("cp-3"));
  EXPECT_THAT(limited.out, Not(HasSubstr("cp-2")));
}

TEST_F(ChatCommandsTest, ChatShowWithoutPostsSaysSo) {
  AddThreeChannels();

  Result result = Run({"chat", "show", "payments-teams"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("Destination:  teams webhook "
                        "https://prod-00.westus.logic.azure.com/workflows/…"));
  EXPECT_THAT(result.out, HasSubstr("\nPosts: none\n"));
  EXPECT_THAT(result.out, Not(HasSubstr(kSecret)));
}

TEST_F(ChatCommandsTest, ChatShowAsJsonHasTheChannelAndItsPosts) {
  AddThreeChannels();
  chat_.AddPost(MakePost("cp-1", "payments-teams", "inc-1", "opened",
                         chat_v1::CHAT_POST_STATE_SENT, 1, 10));

  Result result =
      Run({"--output", "json", "chat", "show", "payments-teams"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr(kSecret)));
  const nlohmann::json shown = nlohmann::json::parse(result.out);
  EXPECT_EQ(shown["channel"]["name"], "payments-teams");
  ASSERT_EQ(shown["posts"].size(), 1u);
  EXPECT_EQ(shown["posts"][0]["state"], "CHAT_POST_STATE_SENT");
}

TEST_F(ChatCommandsTest, ChatShowOfAnUnknownChannelFails) {
  Result result = Run({"chat", "show", "nope"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err,
            "error: NOT_FOUND: chat channel \"nope\" not found\n");
}

TEST_F(ChatCommandsTest, ChatTestPrintsThePlatformsAnswer) {
  AddThreeChannels();
  chat_.SetTestAnswer("sre", "ts 1767225600.000100");

  Result result = Run({"chat", "test", "sre"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "chatchannel/sre test message posted: ts 1767225600.000100\n");
  EXPECT_EQ(chat_.tests(), std::vector<std::string>{"sre"});
}

TEST_F(ChatCommandsTest, ChatTestThatThePlatformRefusesFails) {
  AddThreeChannels();
  chat_.SetTestAnswer("payments-teams",
                      absl::FailedPreconditionError(
                          "teams answered HTTP 403: the webhook was revoked"));

  Result result = Run({"chat", "test", "payments-teams"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(result.err,
            "error: FAILED_PRECONDITION: teams answered HTTP 403: the webhook "
            "was revoked\n");
}

TEST_F(ChatCommandsTest, ChatRetryQueuesAFailedPostAgain) {
  AddThreeChannels();
  chat_.AddPost(MakePost("cp-1", "sre", "inc-1", "opened",
                         chat_v1::CHAT_POST_STATE_FAILED, 5, 10));
  chat_.AddPost(MakePost("cp-2", "sre", "inc-1", "opened",
                         chat_v1::CHAT_POST_STATE_SENT, 1, 20));

  Result result = Run({"chat", "retry", "cp-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "chatpost/cp-1 pending\n");
  EXPECT_EQ(chat_.post("cp-1").state(), chat_v1::CHAT_POST_STATE_PENDING);

  Result sent = Run({"chat", "retry", "cp-2"});
  EXPECT_EQ(sent.exit_code, kExitFailed);
  EXPECT_THAT(sent.err, HasSubstr("error: FAILED_PRECONDITION: "));
}

TEST_F(ChatCommandsTest, ChatDeleteRemovesTheChannel) {
  AddThreeChannels();

  Result result = Run({"chat", "delete", "storage"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "chatchannel/storage deleted\n");
  EXPECT_FALSE(chat_.has_channel("storage"));
  EXPECT_EQ(Run({"chat", "delete", "storage"}).exit_code, kExitFailed);
}

TEST_F(ChatCommandsTest, ChatNeedsACommandAndItsArgument) {
  Result family = Run({"chat"});
  EXPECT_EQ(family.exit_code, kExitUsage);
  EXPECT_THAT(family.err, HasSubstr("\"chat\" needs one of: list, show, test, "
                                    "retry, delete"));
  Result test = Run({"chat", "test"});
  EXPECT_EQ(test.exit_code, kExitUsage);
  EXPECT_THAT(test.err, HasSubstr("\"chat test\" needs NAME"));
}

// ---- tocsin apply ----

TEST_F(ChatCommandsTest, ApplyCreatesChatChannelsAfterADryRun) {
  Result result = Run({"apply", "-f", "-"}, kChannels);

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "chatchannel/payments-incidents created\n"
            "chatchannel/payments-teams created\n");
  EXPECT_EQ(chat_.channel("payments-incidents").slack().webhook_url_file(),
            "/etc/tocsin/slack-payments-webhook");
  EXPECT_THAT(chat_.channel("payments-teams").teams().webhook_url(),
              HasSubstr(kSecret));
  // Every channel checked before any is stored.
  const std::vector<chat_v1::PutChatChannelRequest> puts = chat_.puts();
  ASSERT_EQ(puts.size(), 4u);
  EXPECT_TRUE(puts[0].dry_run());
  EXPECT_TRUE(puts[1].dry_run());
  EXPECT_FALSE(puts[2].dry_run());
  EXPECT_FALSE(puts[3].dry_run());
}

// A channel from a file compares with the service's answer; one with an
// inline webhook URL cannot (answers redact it), so it is put again.
TEST_F(ChatCommandsTest, ApplyAgainLeavesFileChannelsUnchanged) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kChannels).exit_code, kExitOk);

  Result again = Run({"apply", "-f", "-"}, kChannels);

  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "chatchannel/payments-incidents unchanged\n"
            "chatchannel/payments-teams updated\n");
  // The unchanged one was not sent again: 4 puts, then a dry run and a put.
  EXPECT_EQ(chat_.puts().size(), 6u);

  std::string edited = kChannels;
  edited.replace(edited.find("slack-payments-webhook"), 22, "slack-payments-2");
  Result updated = Run({"apply", "-f", "-"}, edited);
  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out,
            "chatchannel/payments-incidents updated\n"
            "chatchannel/payments-teams updated\n");
  EXPECT_EQ(chat_.channel("payments-incidents").slack().webhook_url_file(),
            "/etc/tocsin/slack-payments-2");
}

TEST_F(ChatCommandsTest, ApplyOfAnInvalidChatChannelSendsNothing) {
  const std::string manifest = absl::StrCat(kPlanAndContact, R"yaml(
---
kind: ChatChannel
name: broken
slack: {botTokenFile: /etc/tocsin/bot-token}
)yaml");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("document 3 (ChatChannel \"broken\")"));
  EXPECT_THAT(chat_.puts(), IsEmpty());
  EXPECT_TRUE(plans_.plans().empty());
  EXPECT_TRUE(contacts_.contacts().empty());
}

// A channel the service refuses in its dry run changes nothing anywhere,
// not even the escalation objects or plans of the same manifest.
TEST_F(ChatCommandsTest, ApplyThatTheChatDryRunRefusesChangesNothing) {
  const std::string manifest = absl::StrCat(kPlanAndContact, R"yaml(
---
kind: ChatChannel
name: payments-incidents
slack: {webhookUrlFile: /etc/tocsin/slack-payments-webhook}
)yaml");
  chat_.RefusePut("payments-incidents",
                  absl::InvalidArgumentError("slack: no such file"));

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 3 (ChatChannel "
            "\"payments-incidents\"): slack: no such file\n");
  ASSERT_EQ(chat_.puts().size(), 1u);
  EXPECT_TRUE(chat_.puts()[0].dry_run());
  EXPECT_TRUE(plans_.plans().empty());
  EXPECT_TRUE(contacts_.contacts().empty());
}

// Without the paging service, nothing is applied either: its channels'
// state is read first.
TEST_F(ChatCommandsTest, ApplyWithThePagingServiceDownChangesNothing) {
  const std::string manifest = absl::StrCat(kPlanAndContact, R"yaml(
---
kind: ChatChannel
name: payments-incidents
slack: {webhookUrlFile: /etc/tocsin/slack-payments-webhook}
)yaml");
  ASSERT_OK_AND_ASSIGN(const int port, ::tocsin::testing::PickUnusedPort());
  GlobalOptions defaults = Defaults();
  defaults.paging = absl::StrCat("127.0.0.1:", port);
  defaults.timeout = absl::Seconds(2);

  Result result = RunWith(defaults, {"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("document 3 (ChatChannel "
                                    "\"payments-incidents\")"));
  EXPECT_TRUE(plans_.plans().empty());
  EXPECT_TRUE(contacts_.contacts().empty());
}

TEST_F(ChatCommandsTest, ApplyPutsChatChannelsWithPlansAndContacts) {
  const std::string manifest = absl::StrCat(kPlanAndContact, R"yaml(
---
kind: ChatChannel
name: payments-incidents
slack: {webhookUrlFile: /etc/tocsin/slack-payments-webhook}
)yaml");

  Result result = Run({"apply", "-f", "-"}, manifest);

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "responseplan/payments created\n"
            "contact/payments-oncall created\n"
            "chatchannel/payments-incidents created\n");
  EXPECT_TRUE(chat_.has_channel("payments-incidents"));
}

}  // namespace
}  // namespace tocsin::cli
