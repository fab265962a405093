#include "services/paging/email_notifier.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "libs/testing/smtp_receiver.h"

namespace tocsin::paging {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::paging::v1::Page;
using ::tocsin::testing::SmtpReceiver;
using ::tocsin::testing::StatusIs;

constexpr char kAckUrl[] =
    "https://tocsin.example/v1/pages/ack?page=pg-1&token=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

Page EmailPage(const std::string& address) {
  Page p;
  p.set_id("pg-1");
  p.set_incident_id("inc-1");
  p.set_contact("alice");
  p.mutable_channel()->set_name("work-email");
  p.mutable_channel()->mutable_email()->set_address(address);
  p.set_incident_title("Database down");
  p.set_impact(1);
  p.set_summary("Primary database is not answering.\nFailover did not start.");
  p.set_accept_code("12345678");
  return p;
}

class EmailNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(smtp_, SmtpReceiver::Start());
    EmailNotifierOptions options;
    options.smtp_url = smtp_->url();
    options.from = "tocsin@pager.example";
    options.timeout = absl::Seconds(10);
    ASSERT_OK_AND_ASSIGN(email_, EmailNotifier::Create(options, &clock_));
  }

  FakeClock clock_{absl::FromUnixSeconds(1767225600)};  // Thu, 01 Jan 2026 00:00:00
  std::unique_ptr<SmtpReceiver> smtp_;
  std::unique_ptr<EmailNotifier> email_;
};

TEST_F(EmailNotifierTest, MailArrivesWithSubjectMessageIdCodeAndLink) {
  ASSERT_OK(email_->Deliver(EmailPage("alice@example.com"), kAckUrl));
  ASSERT_OK(smtp_->WaitForCount(1, absl::Seconds(10)));
  auto messages = smtp_->Messages();
  ASSERT_EQ(messages.size(), 1u);
  const auto& m = messages[0];
  EXPECT_EQ(m.mail_from, "tocsin@pager.example");
  EXPECT_THAT(m.rcpt_tos, ElementsAre("alice@example.com"));
  EXPECT_EQ(m.subject, "[Tocsin] Critical Database down");
  EXPECT_EQ(m.Header("Message-ID"), "<pg-1@pager.example>");
  EXPECT_EQ(m.Header("Date"), "Thu, 01 Jan 2026 00:00:00 +0000");
  EXPECT_EQ(m.Header("To"), "alice@example.com");
  EXPECT_THAT(m.Header("From"), HasSubstr("tocsin@pager.example"));
  EXPECT_THAT(m.body, HasSubstr("Primary database is not answering."));
  EXPECT_THAT(m.body, HasSubstr("Accept code: 12345678"));
  EXPECT_THAT(m.body, HasSubstr(kAckUrl));
  EXPECT_THAT(m.raw, HasSubstr("answering.\r\nFailover")) << "body lines end in CRLF";
}

TEST_F(EmailNotifierTest, TheSamePageCarriesTheSameMessageIdOnEveryAttempt) {
  ASSERT_OK(email_->Deliver(EmailPage("alice@example.com"), kAckUrl));
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK(email_->Deliver(EmailPage("alice@example.com"), kAckUrl));
  ASSERT_OK(smtp_->WaitForCount(2, absl::Seconds(10)));
  auto messages = smtp_->Messages();
  EXPECT_EQ(messages[0].Header("Message-ID"), messages[1].Header("Message-ID"));
}

TEST_F(EmailNotifierTest, NonAsciiTitleIsEncodedAndHeadersCannotBeInjected) {
  Page page = EmailPage("alice@example.com");
  page.set_incident_title("Caf\xC3\xA9 down\r\nBcc: mallory@example.com");
  page.set_impact(3);
  ASSERT_OK(email_->Deliver(page, kAckUrl));
  ASSERT_OK(smtp_->WaitForCount(1, absl::Seconds(10)));
  auto m = smtp_->Messages()[0];
  EXPECT_EQ(m.subject, "[Tocsin] Medium Caf\xC3\xA9 down  Bcc: mallory@example.com");
  EXPECT_EQ(m.Header("Bcc"), "");
  EXPECT_THAT(m.rcpt_tos, ElementsAre("alice@example.com"));
}

TEST_F(EmailNotifierTest, NothingInTheBodyCanEndTheMessageOrStartAnother) {
  // An SMTP smuggling attempt: end-of-data sequences with CRLF, bare LF and
  // bare CR, then commands for a forged second message.
  Page page = EmailPage("alice@example.com");
  page.set_summary(
      "first\r\n.\r\nMAIL FROM:<eve@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
      "Subject: forged\r\n\r\nsmuggled\r\n.\r\n"
      "bare lf\n.\nbare cr\r.\rmixed\n\r.\r\n"
      ".hidden line that starts with a dot\n"
      "..two dots");
  ASSERT_OK(email_->Deliver(page, kAckUrl));
  ASSERT_OK(smtp_->WaitForCount(1, absl::Seconds(10)));
  // Deliver returns after the server answered the end of the message and
  // QUIT: a second message would be there by now.
  auto messages = smtp_->Messages();
  ASSERT_EQ(messages.size(), 1u);
  const auto& m = messages[0];
  EXPECT_THAT(m.rcpt_tos, ElementsAre("alice@example.com"));
  EXPECT_EQ(m.subject, "[Tocsin] Critical Database down");
  // Everything arrived as text of the one message, every line end CRLF, the
  // dots as written (libcurl stuffs them, the server unstuffs them).
  EXPECT_THAT(m.raw, HasSubstr("first\r\n.\r\nMAIL FROM:<eve@example.com>\r\n"));
  EXPECT_THAT(m.raw, HasSubstr("smuggled\r\n.\r\nbare lf\r\n.\r\nbare cr\r\n.\r\nmixed\r\n"
                               "\r\n.\r\n"));
  EXPECT_THAT(m.raw, HasSubstr("\r\n.hidden line that starts with a dot\r\n..two dots\r\n"));
  EXPECT_THAT(m.raw, HasSubstr("Accept code: 12345678"));

  const std::string composed = ComposeEmail(page, kAckUrl, "tocsin@pager.example", clock_.Now());
  for (size_t i = 0; i < composed.size(); ++i) {
    if (composed[i] == '\n') ASSERT_TRUE(i > 0 && composed[i - 1] == '\r') << "bare LF at " << i;
    if (composed[i] == '\r') {
      ASSERT_TRUE(i + 1 < composed.size() && composed[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

TEST_F(EmailNotifierTest, CredentialsWithoutStartTlsFailAtOnceAndTheirPasswordStaysSecret) {
  // The test server offers no STARTTLS: a password must not cross in clear.
  EmailNotifierOptions options;
  options.smtp_url = smtp_->url();
  options.from = "tocsin@pager.example";
  options.username = "tocsin";
  options.password = "hunter2-very-secret";
  ASSERT_OK_AND_ASSIGN(auto email, EmailNotifier::Create(options, &clock_));
  absl::Status s = email->Deliver(EmailPage("alice@example.com"), kAckUrl);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("does not offer STARTTLS, which is required when SMTP "
                                    "credentials are set")));
  EXPECT_TRUE(IsPermanentFailure(s));
  EXPECT_THAT(s.message(), Not(HasSubstr("hunter2")));
  EXPECT_TRUE(smtp_->Messages().empty());
}

TEST_F(EmailNotifierTest, RejectedRecipientIsPermanent) {
  absl::Status s = email_->Deliver(EmailPage("reject-me@example.com"), kAckUrl);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("550")));
  EXPECT_TRUE(IsPermanentFailure(s));
}

TEST_F(EmailNotifierTest, BadAddressIsInvalidArgument) {
  EXPECT_THAT(email_->Deliver(EmailPage("alice@example.com>\r\nRCPT TO:<x@y"), kAckUrl),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("work-email")));
  Page webhook_page = EmailPage("");
  webhook_page.mutable_channel()->mutable_webhook()->set_url("http://x");
  EXPECT_THAT(email_->Deliver(webhook_page, kAckUrl),
              StatusIs(absl::StatusCode::kInvalidArgument, _));
}

TEST(EmailNotifier, ServerDownIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(int port, testing::PickUnusedPort());
  EmailNotifierOptions options;
  options.smtp_url = "smtp://127.0.0.1:" + std::to_string(port);
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto email, EmailNotifier::Create(options, &clock));
  absl::Status s = email->Deliver(EmailPage("alice@example.com"), kAckUrl);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("pg-1")));
  EXPECT_FALSE(IsPermanentFailure(s));
}

TEST(EmailNotifier, CreateRefusesBadSettings) {
  FakeClock clock;
  EmailNotifierOptions options;
  options.smtp_url = "http://mail.example";
  EXPECT_THAT(EmailNotifier::Create(options, &clock),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("smtp://")));
  options = {};
  options.from = "Tocsin <tocsin@example.com>";
  EXPECT_THAT(EmailNotifier::Create(options, &clock),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bare email address")));
  // Credentials in the URL would skip the STARTTLS rule; the error does not
  // repeat them.
  options = {};
  options.smtp_url = "smtp://tocsin:hunter2@mail.example:587";
  absl::StatusOr<std::unique_ptr<EmailNotifier>> with_password =
      EmailNotifier::Create(options, &clock);
  EXPECT_THAT(with_password, StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("carries a user or password")));
  EXPECT_THAT(with_password.status().message(), Not(HasSubstr("hunter2")));
}

TEST(ComposeEmail, AnActivationMailCarriesTheCodeAndNothingToAcknowledge) {
  Page page = EmailPage("alice@example.com");
  page.clear_incident_id();
  page.clear_accept_code();
  page.set_purpose(escalation::v1::PAGE_PURPOSE_ACTIVATION);
  page.set_activation_code("482913");
  const std::string mail =
      ComposeEmail(page, "", "tocsin@pager.example", absl::FromUnixSeconds(1767225600));
  EXPECT_THAT(mail, HasSubstr("Subject: [Tocsin] Activation code for channel work-email\r\n"));
  EXPECT_THAT(mail, HasSubstr("is 482913"));
  EXPECT_THAT(mail, HasSubstr("tocsin contacts activate alice work-email 482913"));
  EXPECT_THAT(mail, Not(HasSubstr("Acknowledge")));
  EXPECT_THAT(mail, Not(HasSubstr("Accept code")));
}

TEST(ComposeEmail, APageWithoutAnIncidentSaysItsSubjectAndContent) {
  Page page = EmailPage("alice@example.com");
  page.clear_incident_id();
  page.set_incident_title("Disk full on db-3");
  page.set_summary("Please look at /var");
  const std::string mail =
      ComposeEmail(page, kAckUrl, "tocsin@pager.example", absl::FromUnixSeconds(1767225600));
  EXPECT_THAT(mail, HasSubstr("Subject: [Tocsin] Disk full on db-3\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\n\r\nDisk full on db-3\r\n\r\nPlease look at /var\r\n"));
  EXPECT_THAT(mail, HasSubstr("Accept code: 12345678"));
  EXPECT_THAT(mail, Not(HasSubstr("Incident: ")));
}

}  // namespace
}  // namespace tocsin::paging
