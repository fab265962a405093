#include "services/paging/gateway_callbacks.h"

#include <cstdlib>
#include <memory>

#include "libs/clock/clock.h"
#include "libs/http/http_client.h"
#include "libs/http/http_server.h"
#include "libs/ids/ids.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"
#include "services/paging/core.h"
#include "services/paging/fake_random.h"
#include "services/paging/gateway_notifier.h"
#include "services/paging/gateway_signature.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"
#include "gmock/gmock.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "gateway-secret";
constexpr char kPublicUrl[] = "https://tocsin.example";
constexpr char kAlice[] = "+81312345678";

class OkNotifier final : public Notifier {
public:
  absl::Status Deliver(const Page &, const std::string &) override {
    return absl::OkStatus();
  }
};

escalation::v1::ContactChannel Channel(bool sms) {
  escalation::v1::ContactChannel c;
  c.set_name(sms ? "phone" : "call");
  if (sms) {
    c.mutable_sms()->set_number(kAlice);
  } else {
    c.mutable_voice()->set_number(kAlice);
  }
  return c;
}

class GatewayCallbacksTest : public ::testing::Test {
protected:
  void SetUp() override {
    random_.Script({11111111, 22222222});
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    PagingOptions options;
    options.public_url = kPublicUrl;
    options.max_wrong_codes = 2;
    options.registry = &registry_;
    core_ = std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_,
                                         &notifier_, options);
    // As main.cc sizes the paging service's server (for ack forms).
    ASSERT_OK_AND_ASSIGN(
        server_,
        http::HttpServer::Start(
            {.host = "127.0.0.1", .port = 0, .max_body_bytes = 16 * 1024}));
    RegisterGatewayCallbacks(*server_, core_.get(),
                             {.secret = kSecret, .clock = &clock_});
  }

  void Send(const std::string &id, bool sms = true) {
    ASSERT_OK(core_->HandlePageRequested(
        PageRequestedEvent("evt-" + id, id, Channel(sms))));
    ASSERT_OK(core_->RunDueDeliveries());
    clock_.Advance(absl::Minutes(1));
  }

  // POSTs body to the callback, signed now (or with `signature` when given).
  http::HttpClientResponse
  Post(const nlohmann::json &body,
       std::optional<std::string> signature = std::nullopt) {
    const std::string b = body.dump();
    const std::string sig = signature.value_or(
        GatewaySignature(kSecret, absl::ToUnixSeconds(clock_.Now()), b));
    http::HttpClient client;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (!sig.empty())
      headers.emplace_back("X-Tocsin-Signature", sig);
    absl::StatusOr<http::HttpClientResponse> r =
        client.Send({.method = "POST",
                     .url = absl::StrCat("http://127.0.0.1:", server_->port(),
                                         kGatewayCallbackPath),
                     .body = b,
                     .headers = headers});
    EXPECT_OK(r);
    return r.value_or(http::HttpClientResponse{});
  }

  static std::string MessageOf(const http::HttpClientResponse &r) {
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("message") && j["message"].is_string()
               ? j["message"].get<std::string>()
               : "<no message: " + r.body + ">";
  }

  v1::PageState State(const std::string &id) {
    absl::StatusOr<Page> p = core_->GetPage(id);
    EXPECT_OK(p);
    return p.ok() ? p->state() : v1::PAGE_STATE_UNSPECIFIED;
  }

  std::string path_ =
      std::string(std::getenv("TEST_TMPDIR")) + "/" +
      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  OkNotifier notifier_;
  prometheus::Registry registry_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<PagingCore> core_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(GatewayCallbacksTest, ASignedReplyWithTheCodeAcknowledges) {
  Send("pg-1");
  http::HttpClientResponse r =
      Post({{"event", "reply"}, {"from", kAlice}, {"text", "11111111"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("application/json"));
  EXPECT_THAT(MessageOf(r), HasSubstr("Acknowledged: Database down."));
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "sms:+81312345678");
  clock_.Advance(absl::Minutes(2));
  r = Post({{"event", "reply"}, {"from", kAlice}, {"text", "11111111"}});
  EXPECT_THAT(MessageOf(r),
              HasSubstr("already acknowledged by sms:+81312345678 at"));
  r = Post({{"event", "reply"}, {"from", kAlice}, {"text", "help"}});
  EXPECT_THAT(MessageOf(r), HasSubstr("reply with the 8-digit code"));
}

TEST_F(GatewayCallbacksTest, ForgedReplayedExpiredOrUnsignedChangeNothing) {
  Send("pg-1");
  const nlohmann::json reply = {
      {"event", "reply"}, {"from", kAlice}, {"text", "11111111"}};
  const std::string body = reply.dump();
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  // Forged: signed with another secret.
  http::HttpClientResponse r =
      Post(reply, GatewaySignature("guess", now, body));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(MessageOf(r), HasSubstr("does not match"));
  // Signed for another body.
  r = Post(reply, GatewaySignature(kSecret, now, body + " "));
  EXPECT_EQ(r.status, 403);
  // Replayed: a signature from 6 minutes ago.
  r = Post(reply, GatewaySignature(kSecret, now - 360, body));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(MessageOf(r), HasSubstr("expired"));
  // From the future.
  r = Post(reply, GatewaySignature(kSecret, now + 360, body));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(MessageOf(r), HasSubstr("future"));
  // Malformed, and missing.
  r = Post(reply, "v1=abc");
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(MessageOf(r), HasSubstr("malformed"));
  r = Post(reply, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.receipts_size(), 0);
  // A captured valid request replayed after the window.
  const std::string captured = GatewaySignature(kSecret, now, body);
  clock_.Advance(absl::Minutes(5) + absl::Seconds(1));
  r = Post(reply, captured);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);
}

TEST_F(GatewayCallbacksTest, AStatusIsAReceipt) {
  Send("pg-1");
  http::HttpClientResponse r = Post({{"event", "status"},
                                     {"pageId", "pg-1"},
                                     {"status", "delivered"},
                                     {"detail", "handset"}});
  EXPECT_EQ(r.status, 200);
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  ASSERT_EQ(page.receipts_size(), 1);
  EXPECT_EQ(page.receipts(0).status(), v1::RECEIPT_STATUS_DELIVERED);
  EXPECT_EQ(page.receipts(0).provider(), "gateway");
  EXPECT_THAT(page.receipts(0).detail(), HasSubstr("handset"));
  r = Post({{"event", "status"}, {"pageId", "pg-1"}, {"status", "teleported"}});
  EXPECT_EQ(r.status, 400);
}

TEST_F(GatewayCallbacksTest, KeyOneAcknowledgesAVoicePage) {
  Send("pg-1", /*sms=*/false);
  http::HttpClientResponse r =
      Post({{"event", "keypress"}, {"pageId", "pg-1"}, {"digits", "7"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(MessageOf(r), HasSubstr("Press 1 to acknowledge"));
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);
  r = Post({{"event", "keypress"}, {"pageId", "pg-1"}, {"digits", "1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(MessageOf(r), HasSubstr("Acknowledged."));
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "voice:+81312345678");
}

TEST_F(GatewayCallbacksTest, AnUnknownPageIs404AndBadJsonIs400) {
  Send("pg-1");
  EXPECT_EQ(Post({{"event", "keypress"}, {"pageId", "pg-404"}, {"digits", "1"}})
                .status,
            404);
  EXPECT_EQ(
      Post({{"event", "status"}, {"pageId", "pg-404"}, {"status", "sent"}})
          .status,
      404);
  EXPECT_EQ(Post({{"event", "dance"}}).status, 400);
  EXPECT_EQ(Post(nlohmann::json::array({1, 2})).status, 400);
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);
}

} // namespace
} // namespace tocsin::paging
