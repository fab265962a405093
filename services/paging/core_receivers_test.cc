// PagingCore with the real notifiers against real receivers (an SMTP server
// and an HTTP endpoint), on a fake clock.
#include <cstdlib>
#include <memory>

#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/http/http_server.h"
#include "libs/status/status_matchers.h"
#include "libs/text/text.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/smtp_receiver.h"
#include "nlohmann/json.hpp"
#include "services/paging/core.h"
#include "services/paging/dispatching_notifier.h"
#include "services/paging/email_notifier.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"
#include "services/paging/webhook_notifier.h"

namespace tocsin::paging {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::tocsin::testing::HttpReceiver;
using ::tocsin::testing::SmtpReceiver;

const std::string kSent = events::kPageSent.name;
const std::string kFailed = events::kPageFailed.name;
const std::string kDelivered = events::kPageDelivered.name;

class CoreReceiversTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(smtp_, SmtpReceiver::Start());
    ASSERT_OK_AND_ASSIGN(hook_, HttpReceiver::Start("/hook"));
    EmailNotifierOptions email_options;
    email_options.smtp_url = smtp_->url();
    ASSERT_OK_AND_ASSIGN(email_, EmailNotifier::Create(email_options, &clock_));
    dispatching_ = std::make_unique<DispatchingNotifier>(email_.get(), &webhook_);
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    PagingOptions options;
    options.public_url = "https://tocsin.example";
    core_ = std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_,
                                         dispatching_.get(), options);
  }

  int Deliveries() {
    auto n = core_->RunDueDeliveries();
    EXPECT_OK(n);
    return n.value_or(-1);
  }

  Page Stored(const std::string& id) {
    auto page = core_->GetPage(id);
    EXPECT_OK(page);
    return page.value_or(Page());
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  std::unique_ptr<SmtpReceiver> smtp_;
  std::unique_ptr<HttpReceiver> hook_;
  std::unique_ptr<EmailNotifier> email_;
  WebhookNotifier webhook_{{.timeout = absl::Seconds(5)}};
  std::unique_ptr<DispatchingNotifier> dispatching_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<PagingCore> core_;
};

TEST_F(CoreReceiversTest, EachPageReachesItsChannelOnceWithTheAcceptCode) {
  random_.Script({11111111, 22222222});
  const Envelope mail = PageRequestedEvent("evt-r1", "pg-1", EmailChannel("alice@example.com"));
  const Envelope hook = PageRequestedEvent("evt-r2", "pg-2", WebhookChannel(hook_->url()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(core_->HandlePageRequested(mail));
    ASSERT_OK(core_->HandlePageRequested(hook));
  }
  EXPECT_EQ(Deliveries(), 2);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  // Deliver returns once the receiver has the message, so these counts are
  // final.
  auto messages = smtp_->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].subject, "[Tocsin] Critical Database down");
  EXPECT_EQ(messages[0].Header("Message-ID"), "<pg-1@localhost>");
  EXPECT_THAT(messages[0].body, HasSubstr("Accept code: 11111111"));
  EXPECT_THAT(messages[0].body,
              HasSubstr("https://tocsin.example/v1/pages/ack?page=pg-1&token="));
  auto requests = hook_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["acceptCode"], "22222222");
  const std::string ack_url = body["ackUrl"];
  EXPECT_THAT(ack_url, StartsWith("https://tocsin.example/v1/pages/ack?page=pg-2&token="));

  EXPECT_EQ(Stored("pg-1").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(Stored("pg-2").state(), v1::PAGE_STATE_DELIVERED);
  // The code in the mail and the token in the link acknowledge the page.
  ASSERT_OK(core_->AcceptPage({.page_id = "pg-1", .accept_code = "11111111", .source = "x"}));
  ASSERT_OK(core_->AcceptPage(
      {.page_id = "pg-2", .token = ack_url.substr(ack_url.find("&token=") + 7)}));
  EXPECT_EQ(Stored("pg-2").state(), v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(CoreReceiversTest, WebhookFailingTwiceIsRetriedWithTheSameKeyThenDelivered) {
  hook_->FailNext(2, 503);
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", WebhookChannel(hook_->url()))));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Seconds(19));
  EXPECT_EQ(Deliveries(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Deliveries(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  auto requests = hook_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  std::vector<int> answered;
  for (const auto& r : requests) {
    EXPECT_EQ(r.Header("idempotency-key"), "pg-1");
    answered.push_back(r.answered);
  }
  EXPECT_THAT(answered, ElementsAre(503, 503, 200));
  Page page = Stored("pg-1");
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_EQ(page.attempts_size(), 3);
  EXPECT_THAT(page.attempts(0).detail(), HasSubstr("503"));
  EXPECT_TRUE(page.attempts(2).ok());
  EXPECT_THAT(OutboxTypes(*store_),
              ElementsAre(kSent, kFailed, kSent, kFailed, kSent, kDelivered));
}

TEST_F(CoreReceiversTest, RefusalsFailThePageAtOnce) {
  hook_->SetDefaultStatus(404);
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", WebhookChannel(hook_->url()))));
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r2", "pg-2", EmailChannel("reject-me@example.com"))));
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r3", "pg-3", escalation::v1::ContactChannel())));
  EXPECT_EQ(Deliveries(), 3);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Deliveries(), 0);

  EXPECT_EQ(hook_->Requests().size(), 1u);
  EXPECT_TRUE(smtp_->Messages().empty());
  for (const std::string id : {"pg-1", "pg-2", "pg-3"}) {
    Page page = Stored(id);
    EXPECT_EQ(page.state(), v1::PAGE_STATE_FAILED) << id;
    EXPECT_EQ(page.attempts_size(), 1) << id;
  }
  EXPECT_THAT(Stored("pg-1").attempts(0).detail(), HasSubstr("answered 404"));
  EXPECT_THAT(Stored("pg-2").attempts(0).detail(), HasSubstr("550"));
  EXPECT_THAT(Stored("pg-3").attempts(0).detail(), HasSubstr("no destination"));
}

TEST_F(CoreReceiversTest, AWebhookAnsweringBytesThatAreNotUtf8SpoilsNoPage) {
  // A proxy's error page in another charset, and one far too long.
  ASSERT_OK_AND_ASSIGN(auto proxy, http::HttpServer::Start({}));
  proxy->Handle("POST", "/latin1", [](const http::HttpRequest&) {
    http::HttpResponse r;
    r.status = 502;
    r.content_type = "text/html; charset=iso-8859-1";
    r.body = "<h1>\xC9" "chec de la passerelle</h1>\xFF\xFE";
    return r;
  });
  proxy->Handle("POST", "/huge", [](const http::HttpRequest&) {
    http::HttpResponse r;
    r.status = 503;
    r.body = std::string(300 * 1024, '\xE9');
    return r;
  });
  const std::string base = "http://127.0.0.1:" + std::to_string(proxy->port());
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r1", "pg-1", WebhookChannel(base + "/latin1"))));
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r2", "pg-2", WebhookChannel(base + "/huge"))));
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r3", "pg-3", WebhookChannel(hook_->url()))));
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r4", "pg-4", EmailChannel("alice@example.com"))));
  EXPECT_EQ(Deliveries(), 4);

  // Every page still reads; the bad bytes became U+FFFD.
  Page latin1 = Stored("pg-1");
  ASSERT_EQ(latin1.attempts_size(), 1);
  EXPECT_THAT(latin1.attempts(0).detail(),
              HasSubstr("answered 502: <h1>\xEF\xBF\xBD" "chec de la passerelle</h1>"));
  EXPECT_TRUE(text::IsValidUtf8(latin1.attempts(0).detail()));
  EXPECT_EQ(latin1.state(), v1::PAGE_STATE_PENDING) << "a 502 is retried";
  Page huge = Stored("pg-2");
  EXPECT_LE(huge.attempts(0).detail().size(), text::kMaxDetailBytes);
  EXPECT_THAT(huge.attempts(0).detail(), HasSubstr("answered 503"));
  EXPECT_EQ(Stored("pg-3").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(Stored("pg-4").state(), v1::PAGE_STATE_DELIVERED);
  ASSERT_OK_AND_ASSIGN(auto pages, core_->ListPages("inc-1"));
  EXPECT_EQ(pages.size(), 4u);

  // Later pages of any incident are delivered too, and the failing ones are
  // retried.
  ASSERT_OK(core_->HandlePageRequested(
      PageRequestedEvent("evt-r5", "pg-5", WebhookChannel(hook_->url()))));
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Deliveries(), 3);
  EXPECT_EQ(Stored("pg-5").state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(Stored("pg-1").attempts_size(), 2);
  EXPECT_EQ(hook_->Requests().size(), 2u);
}

}  // namespace
}  // namespace tocsin::paging
