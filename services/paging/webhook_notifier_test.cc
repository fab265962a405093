#include "services/paging/webhook_notifier.h"

#include "gmock/gmock.h"
#include "libs/http/http_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::paging::v1::Page;
using ::tocsin::testing::HttpReceiver;
using ::tocsin::testing::StatusIs;

constexpr char kAckUrl[] =
    "https://tocsin.example/v1/pages/ack?page=pg-1&token=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

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

TEST_F(WebhookNotifierTest, ServerErrorsTimeoutsAndThrottlingAreTransient) {
  for (auto [status, code] : std::vector<std::pair<int, absl::StatusCode>>{
           {500, absl::StatusCode::kUnavailable},
           {503, absl::StatusCode::kUnavailable},
           {408, absl::StatusCode::kDeadlineExceeded},
           {429, absl::StatusCode::kResourceExhausted}}) {
    hook_->FailNext(1, status);
    absl::Status s = webhook_.Deliver(WebhookPage(hook_->url()), kAckUrl);
    EXPECT_THAT(s, StatusIs(code, HasSubstr("answered " + std::to_string(status))));
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

TEST(WebhookNotifier, ErrorsNeverShowTheUrlsTokenNorRawReplyBytes) {
  ASSERT_OK_AND_ASSIGN(auto server, http::HttpServer::Start({}));
  server->Handle("POST", "/services/T1/SECRET", [](const http::HttpRequest&) {
    http::HttpResponse r;
    r.status = 400;
    r.body = std::string("bad\r\nrequest \xFF") + std::string(100 * 1024, 'x');
    return r;
  });
  WebhookNotifier webhook({.timeout = absl::Seconds(5)});
  const std::string host = "http://127.0.0.1:" + std::to_string(server->port());
  absl::Status refused =
      webhook.Deliver(WebhookPage(host + "/services/T1/SECRET?token=TOKEN"), kAckUrl);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("(" + host + "/services/\xE2\x80\xA6?\xE2\x80\xA6) answered 400: "
                                          "bad  request \xEF\xBF\xBDxxx")));
  EXPECT_THAT(refused.message(), Not(HasSubstr("SECRET")));
  EXPECT_THAT(refused.message(), Not(HasSubstr("TOKEN")));
  EXPECT_LE(refused.message().size(), 1024u);

  ASSERT_OK_AND_ASSIGN(int port, testing::PickUnusedPort());
  absl::Status unreachable = webhook.Deliver(
      WebhookPage("http://user:pw@127.0.0.1:" + std::to_string(port) + "/hook?token=TOKEN"),
      kAckUrl);
  EXPECT_THAT(unreachable, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/hook?\xE2\x80\xA6")));
  EXPECT_THAT(unreachable.message(), Not(HasSubstr("TOKEN")));
  EXPECT_THAT(unreachable.message(), Not(HasSubstr("pw@")));
}

TEST(WebhookBody, AnActivationCarriesTheCodeAndNoAckLink) {
  Page page = WebhookPage("https://hooks.example.com/a");
  page.clear_accept_code();
  page.set_purpose(escalation::v1::PAGE_PURPOSE_ACTIVATION);
  page.set_activation_code("482913");
  EXPECT_EQ(nlohmann::json::parse(WebhookBody(page, "")),
            nlohmann::json({{"type", "activation"},
                            {"pageId", "pg-1"},
                            {"contact", "alice"},
                            {"channel", "pager-hook"},
                            {"activationCode", "482913"},
                            {"confirmWith", "tocsin contacts activate alice pager-hook 482913"}}));
}

}  // namespace
}  // namespace tocsin::paging
