#include "services/paging/dispatching_notifier.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::paging {
namespace {

using ::tocsin::paging::v1::Page;
using ::tocsin::testing::StatusIs;

// Answers with its name, so the test sees which notifier a page went to.
class Named final : public Notifier {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  absl::Status Deliver(const Page&, const std::string&) override {
    return absl::AbortedError(name_);
  }

 private:
  std::string name_;
};

Page With(void (*set)(escalation::v1::ContactChannel*)) {
  Page p;
  p.set_id("pg-1");
  set(p.mutable_channel());
  return p;
}

Page SmsPage() {
  return With([](escalation::v1::ContactChannel* c) { c->mutable_sms()->set_number("+8131"); });
}
Page VoicePage() {
  return With([](escalation::v1::ContactChannel* c) { c->mutable_voice()->set_number("+8131"); });
}

TEST(DispatchingNotifierTest, SmsAndVoiceGoToThePhoneProviderWhenThereIsOne) {
  Named email("email"), webhook("webhook"), phone("phone");
  DispatchingNotifier notifier(&email, &webhook, &phone);
  EXPECT_THAT(notifier.Deliver(SmsPage(), ""), StatusIs(absl::StatusCode::kAborted, "phone"));
  EXPECT_THAT(notifier.Deliver(VoicePage(), ""), StatusIs(absl::StatusCode::kAborted, "phone"));
  EXPECT_THAT(notifier.Deliver(With([](escalation::v1::ContactChannel* c) {
                                 c->mutable_email()->set_address("a@example.com");
                               }),
                               ""),
              StatusIs(absl::StatusCode::kAborted, "email"));
}

TEST(DispatchingNotifierTest, WithoutAProviderSmsAndVoiceFailPermanently) {
  Named email("email"), webhook("webhook");
  DispatchingNotifier notifier(&email, &webhook);
  absl::Status sms = notifier.Deliver(SmsPage(), "");
  EXPECT_THAT(sms, StatusIs(absl::StatusCode::kFailedPrecondition, kNoSmsProvider));
  EXPECT_TRUE(IsPermanentFailure(sms));
  EXPECT_THAT(notifier.Deliver(VoicePage(), ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, kNoVoiceProvider));
}

TEST(DispatchingNotifierTest, ProviderOfNamesThePhoneProviderAndTheSmtpServer) {
  EXPECT_EQ(ProviderOf(SmsPage(), "twilio"), "twilio");
  EXPECT_EQ(ProviderOf(VoicePage(), "gateway"), "gateway");
  EXPECT_EQ(ProviderOf(SmsPage(), ""), "");
  EXPECT_EQ(ProviderOf(With([](escalation::v1::ContactChannel* c) {
                         c->mutable_email()->set_address("a@example.com");
                       }),
                       "twilio"),
            "email");
  EXPECT_EQ(ProviderOf(With([](escalation::v1::ContactChannel* c) {
                         c->mutable_webhook()->set_url("https://hooks.example/x");
                       }),
                       "twilio"),
            "");
}

}  // namespace
}  // namespace tocsin::paging
