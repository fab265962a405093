#include "services/paging/ack_http.h"

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/http/http_client.h"
#include "libs/http/http_server.h"
#include "libs/status/status_matchers.h"
#include "services/paging/core.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"

namespace tocsin::paging {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Accepts every page and keeps the last ack link.
class AcceptingNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page&, const std::string& ack_url) override {
    absl::MutexLock l(&mu_);
    ack_url_ = ack_url;
    return absl::OkStatus();
  }
  std::string ack_url() {
    absl::MutexLock l(&mu_);
    return ack_url_;
  }

 private:
  absl::Mutex mu_;
  std::string ack_url_ ABSL_GUARDED_BY(mu_);
};

class AckHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    PagingOptions options;
    options.max_wrong_codes = 3;
    core_ = std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_, &notifier_,
                                         options);
    ASSERT_OK_AND_ASSIGN(server_, http::HttpServer::Start({}));
    RegisterAckEndpoints(*server_, core_.get());
    random_.Script({12345678});
    Envelope event = PageRequestedEvent("evt-r1", "pg-1", EmailChannel("alice@example.com"));
    escalation::v1::PageRequested request;
    ASSERT_TRUE(event.payload().UnpackTo(&request));
    request.set_incident_title("Disk <full> & \"slow\"");
    event.mutable_payload()->PackFrom(request);
    ASSERT_OK(core_->HandlePageRequested(event));
    ASSERT_OK(core_->RunDueDeliveries());
    const std::string link = notifier_.ack_url();
    token_ = link.substr(link.find("&token=") + 7);
    ASSERT_FALSE(token_.empty()) << link;
  }

  http::HttpClientResponse Get(const std::string& query) {
    auto r = client_.Send({.url = Url() + query});
    EXPECT_OK(r);
    return r.value_or(http::HttpClientResponse());
  }

  http::HttpClientResponse Post(const std::string& form) {
    auto r = client_.Send(
        {.method = "POST",
         .url = Url(),
         .body = form,
         .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}});
    EXPECT_OK(r);
    return r.value_or(http::HttpClientResponse());
  }

  std::string Url() {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1/pages/ack";
  }

  v1::PageState State() {
    auto page = core_->GetPage("pg-1");
    EXPECT_OK(page);
    return page.ok() ? page->state() : v1::PAGE_STATE_UNSPECIFIED;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  AcceptingNotifier notifier_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<PagingCore> core_;
  std::unique_ptr<http::HttpServer> server_;
  http::HttpClient client_;
  std::string token_;
};

TEST_F(AckHttpTest, TheLinkShowsAConfirmFormAndChangesNothing) {
  auto r = Get("?page=pg-1&token=" + token_);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/html"));
  EXPECT_THAT(r.body, HasSubstr("<form method=\"post\" action=\"/v1/pages/ack\">"));
  EXPECT_THAT(r.body, HasSubstr("name=\"page\" value=\"pg-1\""));
  EXPECT_THAT(r.body, HasSubstr("name=\"token\" value=\"" + token_ + "\""));
  EXPECT_THAT(r.body, Not(HasSubstr("12345678")));
  EXPECT_THAT(r.body, HasSubstr("Disk &lt;full&gt; &amp; &quot;slow&quot;"));
  EXPECT_THAT(r.body, Not(HasSubstr("<full>")));
  // Fetched again, as a mail scanner would: still nothing happens.
  EXPECT_EQ(Get("?page=pg-1&token=" + token_).status, 200);
  EXPECT_EQ(State(), v1::PAGE_STATE_DELIVERED);
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.sent", "page.delivered"));
}

TEST_F(AckHttpTest, PostingTheTokenAcknowledgesOnce) {
  auto r = Post("page=pg-1&token=" + token_);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Page acknowledged"));
  EXPECT_EQ(State(), v1::PAGE_STATE_ACKNOWLEDGED);
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.acked_by(), "link");

  // A double click changes nothing more.
  r = Post("page=pg-1&token=" + token_);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(OutboxTypes(*store_),
              ElementsAre("page.sent", "page.delivered", "page.acknowledged"));
  r = Get("?page=pg-1&token=" + token_);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("already acknowledged"));
  EXPECT_THAT(r.body, HasSubstr("Acknowledged by link"));
  EXPECT_THAT(r.body, Not(HasSubstr("<form")));
}

TEST_F(AckHttpTest, OldLinksWithACodeStillWork) {
  auto r = Get("?page=pg-1&code=12345678");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("name=\"code\" value=\"12345678\""));
  r = Post("page=pg-1&code=12345678");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(State(), v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(AckHttpTest, TooManyWrongCodesFromOneAddressAnswer429WithRetryAfter) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Post(absl::StrCat("page=pg-1&code=0000000", i)).status, 403) << i;
  }
  http::HttpClient client;
  auto r = client.Send({.method = "POST",
                        .url = Url(),
                        .body = "page=pg-1&code=12345678",
                        .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}});
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_THAT(r->body, HasSubstr("too many wrong accept codes from 127.0.0.1"));
  EXPECT_EQ(State(), v1::PAGE_STATE_DELIVERED);
  // The link's token is not limited: the responder still gets in.
  EXPECT_EQ(Post("page=pg-1&token=" + token_).status, 200);
  EXPECT_EQ(State(), v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(AckHttpTest, RetryAfterSaysHowLongInSeconds) {
  for (int i = 0; i < 3; ++i) Post(absl::StrCat("page=pg-1&code=0000000", i));
  clock_.Advance(absl::Minutes(5));
  // The HTTP client does not show headers; check through the server's route.
  http::HttpRequest request;
  request.method = "POST";
  request.path = "/v1/pages/ack";
  request.body = "page=pg-1&code=12345678";
  request.remote_addr = "127.0.0.1";
  http::HttpResponse answer = server_->Dispatch(request);
  EXPECT_EQ(answer.status, 429);
  EXPECT_THAT(answer.headers, ::testing::Contains(std::pair<std::string, std::string>(
                                  "Retry-After", "600")));
  // Another address is not affected.
  request.remote_addr = "192.0.2.44";
  EXPECT_EQ(server_->Dispatch(request).status, 200);
}

TEST_F(AckHttpTest, APageOfAResolvedIncidentSaysThereIsNothingToAcknowledge) {
  Envelope resolved;
  resolved.set_event_id("evt-resolved");
  resolved.set_type("incident.resolved");
  resolved.set_incident_id("inc-1");
  ASSERT_OK(core_->HandleIncidentResolved(resolved));
  for (const auto& r : {Get("?page=pg-1&token=" + token_), Post("page=pg-1&token=" + token_)}) {
    EXPECT_EQ(r.status, 409);
    EXPECT_THAT(r.content_type, HasSubstr("text/html"));
    EXPECT_THAT(r.body, HasSubstr("Nothing to acknowledge"));
    EXPECT_THAT(r.body, HasSubstr("incident inc-1 is resolved"));
    EXPECT_THAT(r.body, Not(HasSubstr("<form")));
  }
  EXPECT_EQ(State(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(AckHttpTest, BadLinksAnswerClearErrorsAndChangeNothing) {
  auto r = Get("?page=pg-1");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("accept_code is required"));
  r = Get("?page=pg-1&token=AAAA" + token_.substr(4));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("this ack link is not valid for page \"pg-1\""));
  r = Get("?page=pg-1&code=00000000");
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("wrong accept code for page \"pg-1\""));
  r = Post("page=pg-nope&token=" + token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("page \"pg-nope\" does not exist"));
  r = Post("");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(State(), v1::PAGE_STATE_DELIVERED);
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.sent", "page.delivered"));
}

}  // namespace
}  // namespace tocsin::paging
