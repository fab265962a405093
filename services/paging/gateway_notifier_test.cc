#include "services/paging/gateway_notifier.h"

#include <memory>
#include <string>

#include "libs/clock/clock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/gateway_signature.h"
#include "services/paging/page_text.h"
#include "gmock/gmock.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::paging::v1::Page;
using ::tocsin::testing::HttpReceiver;
using ::tocsin::testing::StatusIs;

constexpr char kSecret[] = "gw-s3cret";
constexpr char kPublicUrl[] = "https://tocsin.example/";

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
  p.mutable_channel()->mutable_voice()->set_number("+81312345679");
  return p;
}

class GatewayNotifierTest : public ::testing::Test {
protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<HttpReceiver>> r =
        HttpReceiver::Start("/send");
    ASSERT_OK(r.status());
    gateway_ = *std::move(r);
    notifier_ =
        std::make_unique<GatewayNotifier>(Options(), kPublicUrl, &clock_);
  }
  GatewayOptions Options() {
    return {
        .url = gateway_->url(), .secret = kSecret, .timeout = absl::Seconds(5)};
  }
  FakeClock clock_;
  std::unique_ptr<HttpReceiver> gateway_;
  std::unique_ptr<GatewayNotifier> notifier_;
};

TEST_F(GatewayNotifierTest, PostsSignedJsonForAnSms) {
  EXPECT_THAT(notifier_->DeliverWithDetail(SmsPage(), "unused"),
              ::tocsin::testing::IsOkAndHolds(
                  HasSubstr("accepted by the SMS gateway")));
  ASSERT_EQ(gateway_->Requests().size(), 1u);
  const auto r = gateway_->Requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("idempotency-key"), "pg-1");
  EXPECT_OK(VerifyGatewaySignature(r.Header("x-tocsin-signature"), r.body,
                                   kSecret, clock_.Now()));
  EXPECT_EQ(
      r.Header("x-tocsin-signature"),
      GatewaySignature(kSecret, absl::ToUnixSeconds(clock_.Now()), r.body));
  EXPECT_EQ(nlohmann::json::parse(r.body),
            nlohmann::json({
                {"type", "sms"},
                {"pageId", "pg-1"},
                {"incidentId", "inc-1"},
                {"to", "+81312345678"},
                {"text", PageSmsText(SmsPage())},
                {"acceptCode", "12345678"},
                {"callbackUrl",
                 "https://tocsin.example/v1/providers/gateway/callback"},
            }));
  EXPECT_THAT(std::string(r.body), Not(HasSubstr(kSecret)));
}

TEST_F(GatewayNotifierTest, AVoicePageCarriesTheSpokenPrompt) {
  ASSERT_OK(notifier_->Deliver(VoicePage(), "unused"));
  const nlohmann::json j = nlohmann::json::parse(gateway_->Requests()[0].body);
  EXPECT_EQ(j["type"], "voice");
  EXPECT_EQ(j["to"], "+81312345679");
  EXPECT_EQ(j["text"], PageVoicePrompt(VoicePage()));
  EXPECT_THAT(j["text"].get<std::string>(),
              HasSubstr("Press 1 to acknowledge"));
  EXPECT_EQ(j["acceptCode"], "12345678");
}

TEST_F(GatewayNotifierTest, ThrottlingServerErrorsAndTimeoutsAreTransient) {
  for (auto [status, code] : std::vector<std::pair<int, absl::StatusCode>>{
           {408, absl::StatusCode::kDeadlineExceeded},
           {429, absl::StatusCode::kResourceExhausted},
           {500, absl::StatusCode::kUnavailable},
           {503, absl::StatusCode::kUnavailable}}) {
    gateway_->FailNext(1, status);
    absl::Status s = notifier_->Deliver(SmsPage(), "unused");
    EXPECT_THAT(s,
                StatusIs(code, HasSubstr(absl::StrCat("answered ", status))));
    EXPECT_FALSE(IsPermanentFailure(s)) << status;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kSecret)));
  }
  // A retry carries the same idempotency key.
  for (const auto &r : gateway_->Requests())
    EXPECT_EQ(r.Header("idempotency-key"), "pg-1");
  GatewayOptions options = Options();
  options.url = "http://127.0.0.1:1/send";
  GatewayNotifier down(options, kPublicUrl, &clock_);
  absl::Status s = down.Deliver(SmsPage(), "unused");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
}

TEST_F(GatewayNotifierTest, ATimeoutIsTransient) {
  GatewayOptions options = Options();
  options.timeout = absl::Milliseconds(300);
  GatewayNotifier slow(options, kPublicUrl, &clock_);
  gateway_->Hold();
  absl::Status s = slow.Deliver(SmsPage(), "unused");
  gateway_->Release();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  EXPECT_FALSE(IsPermanentFailure(s));
}

TEST_F(GatewayNotifierTest, OtherRefusalsArePermanent) {
  gateway_->FailNext(1, 400);
  absl::Status s = notifier_->Deliver(SmsPage(), "unused");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("answered 400")));
  EXPECT_TRUE(IsPermanentFailure(s));
}

TEST_F(GatewayNotifierTest, RefusesChannelsItCannotServe) {
  Page email = SmsPage();
  email.mutable_channel()->mutable_email()->set_address("a@example.com");
  EXPECT_THAT(notifier_->Deliver(email, "unused"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  Page bad = SmsPage();
  bad.mutable_channel()->mutable_sms()->set_number("0312345678");
  EXPECT_THAT(notifier_->Deliver(bad, "unused"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("E.164")));
  EXPECT_TRUE(gateway_->Requests().empty());
}

} // namespace
} // namespace tocsin::paging
