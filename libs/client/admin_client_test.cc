#include "libs/client/admin_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/fake_admin_service.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::admin::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

v1::DeadLetter MakeDeadLetter(const std::string& id, int64_t created) {
  v1::DeadLetter letter;
  letter.set_id(id);
  letter.set_service("paging");
  letter.set_error("does not parse");
  letter.mutable_create_time()->set_seconds(created);
  return letter;
}

std::vector<std::string> Ids(const std::vector<v1::DeadLetter>& letters) {
  std::vector<std::string> ids;
  for (const v1::DeadLetter& letter : letters) ids.push_back(letter.id());
  return ids;
}

class AdminClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, TestServer::Start({&admin_}));
    client_ = AdminClient::Create(MakeChannel(server_->address()),
                                  {.deadline = absl::Seconds(7)});
    admin_.AddDeadLetter(MakeDeadLetter("paging-1", 100));
    admin_.AddDeadLetter(MakeDeadLetter("paging-2", 300));
    v1::DeadLetter replayed = MakeDeadLetter("paging-3", 200);
    replayed.mutable_replay_time()->set_seconds(400);
    admin_.AddDeadLetter(replayed);
  }

  FakeAdminService admin_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<AdminClient> client_;
};

TEST_F(AdminClientTest, ListSendsItsParams) {
  ASSERT_OK_AND_ASSIGN(std::vector<v1::DeadLetter> pending,
                       client_->ListDeadLetters({}));
  ASSERT_OK_AND_ASSIGN(
      std::vector<v1::DeadLetter> all,
      client_->ListDeadLetters({.include_replayed = true, .limit = 2}));

  EXPECT_THAT(Ids(pending), ElementsAre("paging-2", "paging-1"));
  EXPECT_THAT(Ids(all), ElementsAre("paging-2", "paging-3"));
  ASSERT_EQ(admin_.lists().size(), 2u);
  EXPECT_EQ(admin_.lists()[1].limit(), 2);
}

TEST_F(AdminClientTest, EveryCallCarriesTheDeadline) {
  const absl::Time before = absl::Now();
  ASSERT_OK(client_->ListDeadLetters({}).status());
  ASSERT_OK(client_->ReplayDeadLetter("paging-1").status());
  const absl::Time after = absl::Now();

  ASSERT_EQ(admin_.deadlines().size(), 2u);
  for (absl::Time deadline : admin_.deadlines()) {
    // gRPC carries deadlines with coarse precision.
    EXPECT_GE(deadline, before + absl::Seconds(6));
    EXPECT_LE(deadline, after + absl::Seconds(8));
  }
}

TEST_F(AdminClientTest, ReplayReturnsTheLetterAsReplayed) {
  ASSERT_OK_AND_ASSIGN(v1::DeadLetter replayed,
                       client_->ReplayDeadLetter("paging-1"));

  EXPECT_EQ(replayed.id(), "paging-1");
  EXPECT_TRUE(replayed.has_replay_time());
  EXPECT_THAT(admin_.replays(), ElementsAre("paging-1"));
}

TEST_F(AdminClientTest, ReplayErrorsKeepTheirCodeAndMessage) {
  EXPECT_THAT(client_->ReplayDeadLetter("paging-9"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("paging-9")));
  EXPECT_THAT(
      client_->ReplayDeadLetter("paging-3"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("replayed")));
  admin_.FailReplays(absl::InvalidArgumentError("incident \"inc-1\" unknown"));
  EXPECT_THAT(client_->ReplayDeadLetter("paging-1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "incident \"inc-1\" unknown"));
  EXPECT_FALSE(admin_.dead_letter("paging-1").has_replay_time());
}

TEST(AdminClientWithoutServerTest, CallsAnswerUnavailable) {
  ASSERT_OK_AND_ASSIGN(const int port, ::tocsin::testing::PickUnusedPort());
  auto client =
      AdminClient::Create(MakeChannel(absl::StrCat("127.0.0.1:", port)),
                          {.deadline = absl::Seconds(5)});

  EXPECT_THAT(client->ListDeadLetters({}),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
}

TEST(DeadLetterServiceTest, IsTheIdBeforeItsNumber) {
  ASSERT_OK_AND_ASSIGN(std::string service, DeadLetterService("paging-17"));
  EXPECT_EQ(service, "paging");
  for (const char* bad : {"", "paging", "paging-", "-17", "paging-1x", "17"}) {
    EXPECT_THAT(DeadLetterService(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("\"", bad, "\""))))
        << bad;
  }
}

}  // namespace
}  // namespace tocsin::client
