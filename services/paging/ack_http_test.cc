#include "services/paging/ack_http.h"

#include <cstdlib>
#include <memory>

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

class AcceptingNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page&, const std::string&) override { return absl::OkStatus(); }
};

class AckHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    core_ = std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_, &notifier_,
                                         PagingOptions());
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
};

TEST_F(AckHttpTest, GetShowsAConfirmFormAndChangesNothing) {
  auto r = Get("?page=pg-1&code=12345678");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/html"));
  EXPECT_THAT(r.body, HasSubstr("<form method=\"post\" action=\"/v1/pages/ack\">"));
  EXPECT_THAT(r.body, HasSubstr("name=\"page\" value=\"pg-1\""));
  EXPECT_THAT(r.body, HasSubstr("name=\"code\" value=\"12345678\""));
  EXPECT_THAT(r.body, HasSubstr("Disk &lt;full&gt; &amp; &quot;slow&quot;"));
  EXPECT_THAT(r.body, Not(HasSubstr("<full>")));
  // Fetched again, as a mail scanner would: still nothing happens.
  EXPECT_EQ(Get("?page=pg-1&code=12345678").status, 200);
  EXPECT_EQ(State(), v1::PAGE_STATE_DELIVERED);
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.sent", "page.delivered"));
}

TEST_F(AckHttpTest, PostAcknowledgesOnce) {
  auto r = Post("page=pg-1&code=12345678");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Page acknowledged"));
  EXPECT_EQ(State(), v1::PAGE_STATE_ACKNOWLEDGED);
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.acked_by(), "link");

  // A double click changes nothing more.
  r = Post("page=pg-1&code=12345678");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(OutboxTypes(*store_),
              ElementsAre("page.sent", "page.delivered", "page.acknowledged"));
  r = Get("?page=pg-1&code=12345678");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("already acknowledged"));
  EXPECT_THAT(r.body, Not(HasSubstr("<form")));
}

TEST_F(AckHttpTest, BadLinksAnswerClearErrorsAndChangeNothing) {
  auto r = Get("?page=pg-1");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("accept_code is required"));
  r = Get("?page=pg-1&code=00000000");
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("wrong accept code for page \"pg-1\""));
  r = Post("page=pg-1&code=00000000");
  EXPECT_EQ(r.status, 403);
  r = Post("page=pg-nope&code=12345678");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("page \"pg-nope\" does not exist"));
  r = Post("");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(State(), v1::PAGE_STATE_DELIVERED);
  EXPECT_THAT(OutboxTypes(*store_), ElementsAre("page.sent", "page.delivered"));
}

}  // namespace
}  // namespace tocsin::paging
