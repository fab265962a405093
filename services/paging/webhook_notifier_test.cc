#include "services/paging/webhook_notifier.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::tocsin::paging::v1::Page;
using ::tocsin::testing::HttpReceiver;
using ::tocsin::testing::StatusIs;

constexpr char kAckUrl[] = "https://tocsin.example/v1/pages/ack?page=pg-1&code=12345678";

Page WebhookPage(const std::string& url) {
  Page p;
  p.set_id("pg-1");
  p.set_incident_id("inc-1");
  p.set_contact("alice");
  p.mutable_channel()->set_name("pager-hook");
  p.mutable_channel()->mutable_webhook()->set_url(url);
  p.set_incident_title("Database down");
  p.set_impact(2);
  p.set_summary("Primary database is not answering.");
  p.set_stage(1);
  p.set_accept_code("12345678");
  return p;
}

class WebhookNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(hook_, HttpReceiver::Start("/hook")); }

  std::unique_ptr<HttpReceiver> hook_;
  WebhookNotifier webhook_{{.timeout = absl::Seconds(5)}};
};

TEST_F(WebhookNotifierTest, PostsThePageAsJsonWithAnIdempotencyKey) {
  ASSERT_OK(webhook_.Deliver(WebhookPage(hook_->url()), kAckUrl));
  auto requests = hook_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("idempotency-key"), "pg-1");
  auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body, nlohmann::json({{"pageId", "pg-1"},
                                  {"incidentId", "inc-1"},
                                  {"contact", "alice"},
                                  {"channel", "pager-hook"},
                                  {"title", "Database down"},
                                  {"impact", 2},
                                  {"summary", "Primary database is not answering."},
                                  {"stage", 1},
                                  {"acceptCode", "12345678"},
                                  {"ackUrl", kAckUrl}}));
}

TEST_F(WebhookNotifierTest, ServerErrorsAndThrottlingAreTransient) {
  for (int status : {500, 503, 408, 429}) {
    hook_->FailNext(1, status);
    absl::Status s = webhook_.Deliver(WebhookPage(hook_->url()), kAckUrl);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(std::to_string(status))));
    EXPECT_FALSE(IsPermanentFailure(s)) << status;
  }
  EXPECT_OK(webhook_.Deliver(WebhookPage(hook_->url()), kAckUrl));
}

TEST_F(WebhookNotifierTest, ClientErrorsArePermanent) {
  for (int status : {400, 404, 410}) {
    hook_->FailNext(1, status);
    absl::Status s = webhook_.Deliver(WebhookPage(hook_->url()), kAckUrl);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                            HasSubstr("answered " + std::to_string(status))));
    EXPECT_TRUE(IsPermanentFailure(s)) << status;
  }
}

TEST_F(WebhookNotifierTest, UnreachableIsTransientAndABadUrlIsPermanent) {
  ASSERT_OK_AND_ASSIGN(int port, testing::PickUnusedPort());
  absl::Status s = webhook_.Deliver(
      WebhookPage("http://127.0.0.1:" + std::to_string(port) + "/hook"), kAckUrl);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("pager-hook")));
  EXPECT_THAT(webhook_.Deliver(WebhookPage("ftp://example.com/x"), kAckUrl),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://")));
}

}  // namespace
}  // namespace tocsin::paging
