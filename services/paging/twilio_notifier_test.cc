#include "services/paging/twilio_notifier.h"

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/http/http_server.h"
#include "libs/http/url_encoded.h"
#include "libs/status/status_matchers.h"
#include "libs/text/text.h"

namespace tocsin::paging {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::paging::v1::Page;
using ::tocsin::testing::StatusIs;

constexpr char kSid[] = "AC0123456789abcdef";
constexpr char kToken[] = "tok3n-s3cret";
constexpr char kPublicUrl[] = "https://tocsin.example";
// base64("AC0123456789abcdef:tok3n-s3cret") (python3 base64.b64encode).
constexpr char kBasicAuth[] = "Basic QUMwMTIzNDU2Nzg5YWJjZGVmOnRvazNuLXMzY3JldA==";

// A local Twilio: records requests to the account's Messages.json and
// Calls.json and answers what it is told.
class FakeTwilio {
 public:
  struct Seen {
    std::string path;
    std::string authorization;
    std::string content_type;
    std::string idempotency;
    std::map<std::string, std::string> form;
    int form_fields = 0;
  };

  static std::unique_ptr<FakeTwilio> Start() {
    auto fake = std::make_unique<FakeTwilio>();
    auto server = http::HttpServer::Start({.host = "127.0.0.1", .port = 0});
    EXPECT_TRUE(server.ok()) << server.status();
    fake->server_ = *std::move(server);
    for (const char* what : {"Messages.json", "Calls.json"}) {
      fake->server_->Handle("POST", absl::StrCat("/2010-04-01/Accounts/", kSid, "/", what),
                            [f = fake.get()](const http::HttpRequest& r) { return f->Answer(r); });
    }
    return fake;
  }

  void Next(int status, std::string body) {
    absl::MutexLock l(&mu_);
    status_ = status;
    body_ = std::move(body);
  }
  std::vector<Seen> seen() const {
    absl::MutexLock l(&mu_);
    return seen_;
  }
  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", server_->port()); }

 private:
  http::HttpResponse Answer(const http::HttpRequest& r) {
    absl::MutexLock l(&mu_);
    Seen s{.path = r.path,
           .authorization = r.Header("authorization"),
           .content_type = r.Header("content-type"),
           .idempotency = r.Header("i-twilio-idempotency-token")};
    for (auto& [k, v] : http::ParseUrlEncoded(r.body)) {
      s.form[k] = v;
      ++s.form_fields;
    }
    seen_.push_back(std::move(s));
    http::HttpResponse response;
    response.status = status_;
    response.body = body_;
    return response;
  }

  mutable absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 201;
  std::string body_ ABSL_GUARDED_BY(mu_) = R"({"sid":"SM0001","status":"queued"})";
  std::unique_ptr<http::HttpServer> server_;
};

Page SmsPage() {
  Page p;
  p.set_id("pg-1");
  p.set_incident_id("inc-1");
  p.set_contact("alice");
  p.mutable_channel()->set_name("phone");
  p.mutable_channel()->mutable_sms()->set_number("+81312345678");
  p.set_incident_title("Database <primary> & \"replica\" down");
  p.set_impact(2);
  p.set_accept_code("12345678");
  return p;
}

Page VoicePage() {
  Page p = SmsPage();
  p.mutable_channel()->mutable_voice()->set_number("+81312345678");
  return p;
}

class TwilioNotifierTest : public ::testing::Test {
 protected:
  TwilioOptions Options() {
    return {.base_url = fake_->base_url(),
            .account_sid = kSid,
            .auth_token = kToken,
            .from = "+15005550006",
            .timeout = absl::Seconds(5)};
  }
  std::unique_ptr<FakeTwilio> fake_ = FakeTwilio::Start();
  TwilioNotifier twilio_{Options(), kPublicUrl};
};

TEST_F(TwilioNotifierTest, SendsAnSmsWithBasicAuthAndExactlyTheFormFields) {
  ASSERT_OK(twilio_.Deliver(SmsPage(), "unused"));
  auto seen = fake_->seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, absl::StrCat("/2010-04-01/Accounts/", kSid, "/Messages.json"));
  EXPECT_EQ(seen[0].authorization, kBasicAuth);
  EXPECT_EQ(seen[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].idempotency, "pg-1");
  EXPECT_EQ(seen[0].form_fields, 4);
  EXPECT_EQ(
      seen[0].form,
      (std::map<std::string, std::string>{
          {"To", "+81312345678"},
          {"From", "+15005550006"},
          {"Body", TwilioSmsBody(SmsPage())},
          {"StatusCallback", "https://tocsin.example/v1/providers/twilio/status?page=pg-1"}}));
  EXPECT_THAT(seen[0].form["Body"],
              AllOf(HasSubstr("Database <primary> & \"replica\" down"), HasSubstr("12345678"),
                    HasSubstr("reply with the code to acknowledge")));
}

TEST_F(TwilioNotifierTest, TheAttemptDetailKeepsTwiliosSid) {
  EXPECT_THAT(twilio_.DeliverWithDetail(SmsPage(), "unused"),
              ::tocsin::testing::IsOkAndHolds("accepted by Twilio: SM0001 (queued)"));
  fake_->Next(201, "not json");
  EXPECT_THAT(twilio_.DeliverWithDetail(SmsPage(), "unused"),
              ::tocsin::testing::IsOkAndHolds("accepted by Twilio"));
}

TEST_F(TwilioNotifierTest, CallsWithTwimlThatGathersOneKey) {
  ASSERT_OK(twilio_.Deliver(VoicePage(), "unused"));
  auto seen = fake_->seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, absl::StrCat("/2010-04-01/Accounts/", kSid, "/Calls.json"));
  EXPECT_EQ(seen[0].authorization, kBasicAuth);
  EXPECT_EQ(seen[0].form_fields, 4);
  EXPECT_EQ(seen[0].form["To"], "+81312345678");
  EXPECT_EQ(seen[0].form["From"], "+15005550006");
  EXPECT_EQ(seen[0].form["StatusCallback"],
            "https://tocsin.example/v1/providers/twilio/status?page=pg-1");
  EXPECT_EQ(seen[0].form["Twiml"],
            "<Response><Gather numDigits=\"1\" "
            "action=\"https://tocsin.example/v1/providers/twilio/voice?page=pg-1\" "
            "method=\"POST\"><Say>This is a Tocsin page. Incident: Database "
            "&lt;primary&gt; "
            "&amp; &quot;replica&quot; down. Impact 2. Press 1 to "
            "acknowledge.</Say></Gather>"
            "<Say>No key was pressed. The page is not acknowledged. "
            "Goodbye.</Say></Response>");
}

TEST_F(TwilioNotifierTest, ThrottlingServerErrorsAndTimeoutsAreTransient) {
  for (auto [status, code] :
       std::vector<std::pair<int, absl::StatusCode>>{{429, absl::StatusCode::kResourceExhausted},
                                                     {500, absl::StatusCode::kUnavailable},
                                                     {503, absl::StatusCode::kUnavailable}}) {
    fake_->Next(status, R"({"code":20429,"message":"Too Many Requests"})");
    absl::Status s = twilio_.Deliver(SmsPage(), "unused");
    EXPECT_THAT(s, StatusIs(code, HasSubstr(absl::StrCat("answered ", status))));
    EXPECT_FALSE(IsPermanentFailure(s)) << status;
  }
  // Nobody listening: unavailable.
  TwilioOptions options = Options();
  options.base_url = "http://127.0.0.1:1";
  TwilioNotifier down(options, kPublicUrl);
  absl::Status s = down.Deliver(SmsPage(), "unused");
  EXPECT_FALSE(IsPermanentFailure(s)) << s;
}

TEST_F(TwilioNotifierTest, ARefusalIsPermanentAndQuotesTwiliosCodeAndMessage) {
  fake_->Next(400, R"({"code":21211,"message":"The 'To' number +81312345678 is not a valid )"
                   R"(phone number.","more_info":"https://www.twilio.com/docs/errors/21211",)"
                   R"("status":400})");
  absl::Status s = twilio_.Deliver(SmsPage(), "unused");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          AllOf(HasSubstr("answered 400"), HasSubstr("code 21211"),
                                HasSubstr("is not a valid phone number"), Not(HasSubstr(kToken)))));
  EXPECT_TRUE(IsPermanentFailure(s));
}

TEST_F(TwilioNotifierTest, AHostileErrorBodyIsBoundedAndValidUtf8) {
  fake_->Next(401, std::string("{\"code\":20003,\"message\":\"\xff\xfe") +
                       std::string(100000, 'x') + "\"}");
  absl::Status s = twilio_.Deliver(SmsPage(), "unused");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("answered 401")));
  EXPECT_TRUE(text::IsValidUtf8(s.message()));
  EXPECT_LT(s.message().size(), 2048u);
  fake_->Next(400, "not json\n\xff");
  s = twilio_.Deliver(SmsPage(), "unused");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not json")));
  EXPECT_TRUE(text::IsValidUtf8(s.message()));
}

TEST_F(TwilioNotifierTest, RefusesChannelsItCannotServe) {
  Page p = SmsPage();
  p.mutable_channel()->mutable_email()->set_address("a@example.com");
  EXPECT_THAT(twilio_.Deliver(p, "unused"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("neither SMS nor voice")));
  p = SmsPage();
  p.mutable_channel()->mutable_sms()->set_number("03-1234-5678");
  EXPECT_THAT(twilio_.Deliver(p, "unused"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not E.164")));
  EXPECT_TRUE(fake_->seen().empty());
}

TEST(TwilioSmsBodyTest, IsBoundedValidUtf8) {
  Page p = SmsPage();
  p.set_incident_title(std::string(5000, 'a') + "\xff");
  std::string body = TwilioSmsBody(p);
  EXPECT_LE(body.size(), kMaxSmsBodyBytes);
  EXPECT_TRUE(text::IsValidUtf8(body));
  EXPECT_THAT(body, AllOf(HasSubstr("12345678"), HasSubstr("reply with the code")));
}

TEST(TwilioSmsBodyTest, ActivationPageCarriesTheActivationCode) {
  Page p = SmsPage();
  p.set_purpose(escalation::v1::PAGE_PURPOSE_ACTIVATION);
  p.set_activation_code("424242");
  p.clear_accept_code();
  EXPECT_THAT(TwilioSmsBody(p),
              AllOf(HasSubstr("424242"), HasSubstr("tocsin contacts activate alice phone 424242")));
}

TEST(FormEncodeTest, EscapesReservedBytes) {
  EXPECT_EQ(FormEncode({{"To", "+8131"}, {"Body", "a b&c=d/é"}}),
            "To=%2B8131&Body=a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace tocsin::paging
