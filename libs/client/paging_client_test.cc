#include "libs/client/paging_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/fake_paging_service.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::paging::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::tocsin::testing::IsOkAndHolds;
using ::tocsin::testing::StatusIs;

class PagingClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, TestServer::Start({&paging_, &chat_}));
    client_ = PagingClient::Create(MakeChannel(server_->address()));
    v1::Page page;
    page.set_id("pg-1");
    page.set_incident_id("inc-1");
    page.set_accept_code("12345678");
    page.set_state(v1::PAGE_STATE_DELIVERED);
    paging_.AddPage(page);
  }

  FakePagingService paging_;
  FakeChatService chat_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<PagingClient> client_;
};

TEST_F(PagingClientTest, AcceptPageWithTheRightCodeAcknowledgesIt) {
  EXPECT_THAT(client_->AcceptPage("pg-1", "00000000", "cli:alice"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  ASSERT_OK_AND_ASSIGN(v1::Page page,
                       client_->AcceptPage("pg-1", "12345678", "cli:alice"));

  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "cli:alice");
}

TEST_F(PagingClientTest, ListAndGetPages) {
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Page> pages,
                       client_->ListPages("inc-1"));
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].accept_code(), "");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Page> none, client_->ListPages("inc-2"));
  EXPECT_THAT(none, IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::Page page, client_->GetPage("pg-1"));
  EXPECT_EQ(page.accept_code(), "12345678");
  EXPECT_THAT(client_->GetPage("pg-2"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

v1::ChatChannel TeamsChannel(const std::string& name) {
  v1::ChatChannel channel;
  channel.set_name(name);
  channel.mutable_teams()->set_webhook_url(
      "https://prod-00.westus.logic.azure.com/workflows/abc?sig=SECRET");
  return channel;
}

TEST_F(PagingClientTest, PutChatChannelDryRunStoresNothing) {
  ASSERT_OK_AND_ASSIGN(v1::ChatChannel checked,
                       client_->PutChatChannel(TeamsChannel("ops"), true));
  EXPECT_EQ(checked.name(), "ops");
  EXPECT_FALSE(chat_.has_channel("ops"));
  EXPECT_THAT(client_->GetChatChannel("ops"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  ASSERT_OK_AND_ASSIGN(v1::ChatChannel stored,
                       client_->PutChatChannel(TeamsChannel("ops")));
  // Answers never carry the webhook URL's secret.
  EXPECT_EQ(stored.teams().webhook_url().find("SECRET"), std::string::npos);
  EXPECT_TRUE(chat_.has_channel("ops"));
  ASSERT_EQ(chat_.puts().size(), 2u);
  EXPECT_TRUE(chat_.puts()[0].dry_run());
  EXPECT_FALSE(chat_.puts()[1].dry_run());

  v1::ChatChannel no_platform;
  no_platform.set_name("bad");
  EXPECT_THAT(client_->PutChatChannel(no_platform),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(PagingClientTest, GetListAndDeleteChatChannels) {
  chat_.AddChannel(TeamsChannel("a"));
  chat_.AddChannel(TeamsChannel("b"));

  ASSERT_OK_AND_ASSIGN(v1::ChatChannel a, client_->GetChatChannel("a"));
  EXPECT_EQ(a.teams().webhook_url(),
            "https://prod-00.westus.logic.azure.com/workflows/…?…");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatChannel> listed,
                       client_->ListChatChannels());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].name(), "b");

  EXPECT_OK(client_->DeleteChatChannel("a"));
  EXPECT_FALSE(chat_.has_channel("a"));
  EXPECT_THAT(client_->DeleteChatChannel("a"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(PagingClientTest, TestChatChannelAnswersThePlatformOrItsError) {
  chat_.AddChannel(TeamsChannel("ok"));
  chat_.AddChannel(TeamsChannel("revoked"));
  chat_.SetTestAnswer("revoked",
                      absl::FailedPreconditionError("HTTP 403: revoked"));

  EXPECT_THAT(client_->TestChatChannel("ok"), IsOkAndHolds("HTTP 200"));
  EXPECT_THAT(client_->TestChatChannel("revoked"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("HTTP 403")));
  EXPECT_THAT(client_->TestChatChannel("missing"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(PagingClientTest, ListAndRetryChatPosts) {
  for (int i = 1; i <= 3; ++i) {
    v1::ChatPost post;
    post.set_id(absl::StrCat("cp-", i));
    post.set_channel(i == 3 ? "other" : "ops");
    post.set_incident_id("inc-1");
    post.set_state(i == 1 ? v1::CHAT_POST_STATE_FAILED
                          : v1::CHAT_POST_STATE_SENT);
    post.mutable_create_time()->set_seconds(1000 + i);
    chat_.AddPost(post);
  }

  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatPost> posts,
                       client_->ListChatPosts("ops", "", 10));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].id(), "cp-2");  // newest first
  ASSERT_OK_AND_ASSIGN(posts, client_->ListChatPosts("", "inc-1", 1));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].id(), "cp-3");

  ASSERT_OK_AND_ASSIGN(v1::ChatPost retried, client_->RetryChatPost("cp-1"));
  EXPECT_EQ(retried.state(), v1::CHAT_POST_STATE_PENDING);
  EXPECT_THAT(client_->RetryChatPost("cp-2"),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(client_->RetryChatPost("cp-9"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace tocsin::client
