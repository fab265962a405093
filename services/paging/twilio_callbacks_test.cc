#include "services/paging/twilio_callbacks.h"

#include <cstdlib>
#include <memory>

#include "gmock/gmock.h"
#include "libs/clock/clock.h"
#include "libs/http/http_client.h"
#include "libs/http/http_server.h"
#include "libs/ids/ids.h"
#include "libs/status/status_matchers.h"
#include "services/paging/core.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"
#include "services/paging/twilio_notifier.h"
#include "services/paging/twilio_signature.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "twilio-auth-token";
constexpr char kPublicUrl[] = "https://tocsin.example";
constexpr char kAlice[] = "+81312345678";
using Fields = std::vector<std::pair<std::string, std::string>>;

class OkNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page&, const std::string&) override { return absl::OkStatus(); }
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

class TwilioCallbacksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    random_.Script({11111111, 22222222});
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    PagingOptions options;
    options.public_url = kPublicUrl;
    options.max_wrong_codes = 2;
    options.registry = &registry_;
    core_ =
        std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_, &notifier_, options);
    // As main.cc sizes the paging service's server (for ack forms).
    ASSERT_OK_AND_ASSIGN(
        server_,
        http::HttpServer::Start({.host = "127.0.0.1", .port = 0, .max_body_bytes = 16 * 1024}));
    RegisterTwilioCallbacks(*server_, core_.get(),
                            {.public_url = kPublicUrl, .auth_token = kToken, .clock = &clock_});
  }

  void Send(const std::string& id, bool sms = true) {
    ASSERT_OK(core_->HandlePageRequested(PageRequestedEvent("evt-" + id, id, Channel(sms))));
    ASSERT_OK(core_->RunDueDeliveries());
    clock_.Advance(absl::Minutes(1));
  }

  // POSTs fields to path_and_query, signed for the public URL (or with
  // `signature` when given).
  http::HttpClientResponse Post(const std::string& path_and_query, const Fields& fields,
                                std::optional<std::string> signature = std::nullopt) {
    const std::string sig =
        signature.value_or(TwilioSignature(kToken, kPublicUrl + path_and_query, fields));
    http::HttpClient client;
    absl::StatusOr<http::HttpClientResponse> r =
        client.Send({.method = "POST",
                     .url = absl::StrCat("http://127.0.0.1:", server_->port(), path_and_query),
                     .body = FormEncode(fields),
                     .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                                 {"X-Twilio-Signature", sig}}});
    EXPECT_OK(r);
    return r.value_or(http::HttpClientResponse{});
  }

  v1::PageState State(const std::string& id) {
    absl::StatusOr<Page> p = core_->GetPage(id);
    EXPECT_OK(p);
    return p.ok() ? p->state() : v1::PAGE_STATE_UNSPECIFIED;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
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

TEST_F(TwilioCallbacksTest, AnSmsReplyWithTheCodeAcknowledges) {
  Send("pg-1");
  http::HttpClientResponse r =
      Post(kTwilioSmsPath,
           {{"From", kAlice}, {"To", "+15005550006"}, {"Body", "11111111"}, {"MessageSid", "SM1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.content_type, HasSubstr("text/xml"));
  EXPECT_THAT(r.body, HasSubstr("<Response><Message>Acknowledged: Database down."));
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "sms:+81312345678");

  clock_.Advance(absl::Minutes(2));
  r = Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", "11111111"}});
  EXPECT_THAT(r.body, HasSubstr("already acknowledged by sms:+81312345678 at"));
}

TEST_F(TwilioCallbacksTest, HelpUnknownTextAndWrongCodes) {
  Send("pg-1");
  EXPECT_THAT(Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", "HELP"}}).body,
              HasSubstr("reply with the 8-digit code"));
  EXPECT_THAT(Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", "what is this?"}}).body,
              HasSubstr("reply with the 8-digit code"));
  EXPECT_THAT(Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", "99999999"}}).body,
              HasSubstr("does not match"));
  EXPECT_THAT(Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", "99999998"}}).body,
              HasSubstr("does not match"));
  // Two wrong codes from sms:+8131...: the right one is refused now.
  EXPECT_THAT(Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", "11111111"}}).body,
              HasSubstr("Too many wrong codes"));
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);
  EXPECT_THAT(Post(kTwilioSmsPath, {{"From", "+15550001111"}, {"Body", "11111111"}}).body,
              HasSubstr("no page to this number"));
}

TEST_F(TwilioCallbacksTest, ForgedOrMissingSignaturesChangeNothing) {
  Send("pg-1");
  Send("pg-2", /*sms=*/false);
  const Fields sms = {{"From", kAlice}, {"Body", "11111111"}};
  EXPECT_EQ(Post(kTwilioSmsPath, sms, "").status, 403);
  EXPECT_EQ(Post(kTwilioSmsPath, sms, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=").status, 403);
  // Signed with another token.
  EXPECT_EQ(Post(kTwilioSmsPath, sms,
                 TwilioSignature("other", kPublicUrl + std::string(kTwilioSmsPath), sms))
                .status,
            403);
  // Signed for another page's URL.
  const std::string voice = absl::StrCat(kTwilioVoicePath, "?page=pg-2");
  const Fields digits = {{"Digits", "1"}, {"To", kAlice}};
  EXPECT_EQ(Post(voice, digits,
                 TwilioSignature(kToken, absl::StrCat(kPublicUrl, kTwilioVoicePath, "?page=pg-1"),
                                 digits))
                .status,
            403);
  const std::string status = absl::StrCat(kTwilioStatusPath, "?page=pg-1");
  EXPECT_EQ(Post(status, {{"MessageStatus", "delivered"}}, "bad").status, 403);
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);
  EXPECT_EQ(State("pg-2"), v1::PAGE_STATE_DELIVERED);
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.receipts_size(), 0);
}

TEST_F(TwilioCallbacksTest, StatusCallbacksBecomeReceipts) {
  Send("pg-1");
  Send("pg-2", /*sms=*/false);
  EXPECT_EQ(Post(absl::StrCat(kTwilioStatusPath, "?page=pg-1"),
                 {{"MessageSid", "SM1"}, {"MessageStatus", "sent"}})
                .status,
            200);
  EXPECT_EQ(Post(absl::StrCat(kTwilioStatusPath, "?page=pg-1"),
                 {{"MessageSid", "SM1"}, {"MessageStatus", "undelivered"}, {"ErrorCode", "30003"}})
                .status,
            200);
  EXPECT_EQ(Post(absl::StrCat(kTwilioStatusPath, "?page=pg-2"),
                 {{"CallSid", "CA1"}, {"CallStatus", "completed"}})
                .status,
            200);
  EXPECT_EQ(Post(absl::StrCat(kTwilioStatusPath, "?page=pg-9"), {{"MessageStatus", "sent"}}).status,
            404);
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  ASSERT_EQ(page.receipts_size(), 2);
  EXPECT_EQ(page.receipts(0).status(), v1::RECEIPT_STATUS_SENT);
  EXPECT_EQ(page.receipts(1).status(), v1::RECEIPT_STATUS_ERROR);
  EXPECT_EQ(page.receipts(1).detail(), "MessageStatus=undelivered ErrorCode=30003");
  EXPECT_EQ(page.receipts(1).provider_id(), "SM1");
  EXPECT_EQ(page.receipts(1).provider(), "twilio");
  ASSERT_OK_AND_ASSIGN(Page call, core_->GetPage("pg-2"));
  ASSERT_EQ(call.receipts_size(), 1);
  EXPECT_EQ(call.receipts(0).status(), v1::RECEIPT_STATUS_ANSWERED);
}

TEST_F(TwilioCallbacksTest, PressingOneAcknowledgesOtherKeysRepeatThePrompt) {
  Send("pg-1", /*sms=*/false);
  const std::string voice = absl::StrCat(kTwilioVoicePath, "?page=pg-1");
  http::HttpClientResponse r = Post(voice, {{"Digits", "7"}, {"To", kAlice}, {"CallSid", "CA1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<Gather numDigits=\"1\""));
  EXPECT_THAT(r.body, HasSubstr("Press 1 to acknowledge."));
  EXPECT_EQ(State("pg-1"), v1::PAGE_STATE_DELIVERED);

  r = Post(voice, {{"Digits", "1"}, {"To", kAlice}, {"CallSid", "CA1"}});
  EXPECT_THAT(r.body, HasSubstr("<Response><Say>Acknowledged."));
  ASSERT_OK_AND_ASSIGN(Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "voice:+81312345678");

  clock_.Advance(absl::Minutes(1));
  r = Post(voice, {{"Digits", "1"}, {"To", kAlice}});
  EXPECT_THAT(r.body, HasSubstr("already acknowledged by voice:+81312345678 at"));
  EXPECT_EQ(Post(absl::StrCat(kTwilioVoicePath, "?page=pg-9"), {{"Digits", "1"}}).status, 404);
}

TEST_F(TwilioCallbacksTest, ALongUnicodeSmsIsReadAndAnswered) {
  Send("pg-1");
  std::string body = "11111111 ";
  // U+1F514, 4 bytes each: about 19 KB once percent-encoded.
  for (int i = 0; i < 1590; ++i) body += "\xF0\x9F\x94\x94";
  http::HttpClientResponse r = Post(kTwilioSmsPath, {{"From", kAlice}, {"Body", body}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Acknowledged"));
}

TEST(TwilioReceiptStatusTest, Mapping) {
  EXPECT_EQ(TwilioReceiptStatus("queued"), v1::RECEIPT_STATUS_QUEUED);
  EXPECT_EQ(TwilioReceiptStatus("delivered"), v1::RECEIPT_STATUS_DELIVERED);
  EXPECT_EQ(TwilioReceiptStatus("read"), v1::RECEIPT_STATUS_READ);
  EXPECT_EQ(TwilioReceiptStatus("failed"), v1::RECEIPT_STATUS_ERROR);
  EXPECT_EQ(TwilioReceiptStatus("no-answer"), v1::RECEIPT_STATUS_ERROR);
  EXPECT_EQ(TwilioReceiptStatus("in-progress"), v1::RECEIPT_STATUS_ANSWERED);
  EXPECT_EQ(TwilioReceiptStatus("bogus"), v1::RECEIPT_STATUS_UNSPECIFIED);
}

}  // namespace
}  // namespace tocsin::paging
