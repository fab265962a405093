#include "services/escalation/contacts.h"

#include <string>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::escalation {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

Contact Bob() {
  Contact c;
  c.set_name("bob");
  auto* email = c.add_channels();
  email->set_name("work-email");
  email->mutable_email()->set_address("bob@example.com");
  auto* hook = c.add_channels();
  hook->set_name("pager.hook");
  hook->mutable_webhook()->set_url("https://hooks.example.com/bob");
  hook->mutable_delay()->set_seconds(60);
  return c;
}

TEST(ValidateContactTest, AcceptsAPlausibleContact) {
  EXPECT_OK(ValidateContact(Bob()));
  Contact local = Bob();
  local.mutable_channels(0)->mutable_email()->set_address("bob@localhost");
  local.mutable_channels(1)->mutable_webhook()->set_url("http://127.0.0.1:8080/hook");
  EXPECT_OK(ValidateContact(local));
}

TEST(ValidateContactTest, NameMustBeShortAndPlain) {
  Contact c = Bob();
  c.set_name("");
  EXPECT_THAT(ValidateContact(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("contact name must be 1 to 128")));
  c.set_name(std::string(129, 'a'));
  EXPECT_THAT(ValidateContact(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("got 129")));
  c.set_name("bob/admin");
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact name \"bob/admin\" may contain only letters, digits, '-', '_' "
                       "and '.'"));
  c.set_name("Bob_1.on-call");
  EXPECT_OK(ValidateContact(c));
}

TEST(ValidateContactTest, NeedsAChannel) {
  Contact c = Bob();
  c.clear_channels();
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact \"bob\" has no channels: add an email or webhook channel"));
}

TEST(ValidateContactTest, ChannelNamesAreValidAndUnique) {
  Contact c = Bob();
  c.mutable_channels(1)->set_name("work-email");
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("contact \"bob\": channel name \"work-email\" is used twice")));
  c.mutable_channels(1)->set_name("");
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("contact \"bob\": channel name must be 1 to 128")));
}

TEST(ValidateContactTest, ChannelNeedsADestination) {
  Contact c = Bob();
  c.mutable_channels(1)->clear_webhook();
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact \"bob\": channel \"pager.hook\" has no destination: set email "
                       "or webhook"));
}

TEST(ValidateContactTest, EmailNeedsOneAtAndNoSpaces) {
  for (const char* bad : {"bob", "@example.com", "bob@", "bob@@example.com",
                          "bob@example@com", "bob smith@example.com", "bob@example.com\n", ""}) {
    Contact c = Bob();
    c.mutable_channels(0)->mutable_email()->set_address(bad);
    EXPECT_THAT(ValidateContact(c),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("channel \"work-email\" email address")))
        << bad;
  }
}

TEST(ValidateContactTest, WebhookNeedsAnHttpUrlWithAHost) {
  for (const char* bad : {"hooks.example.com/bob", "ftp://hooks.example.com", "http://",
                          "https:///path", "https://hooks.example.com/a b", ""}) {
    Contact c = Bob();
    c.mutable_channels(1)->mutable_webhook()->set_url(bad);
    EXPECT_THAT(ValidateContact(c),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("channel \"pager.hook\" webhook URL")))
        << bad;
  }
}

TEST(ValidateContactTest, DelayIsNotNegativeNorHuge) {
  Contact c = Bob();
  c.mutable_channels(1)->mutable_delay()->set_seconds(-5);
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("channel \"pager.hook\" delay must not be negative")));
  c.mutable_channels(1)->mutable_delay()->set_seconds(8 * 24 * 3600);
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 168h")));
  c.mutable_channels(1)->mutable_delay()->set_seconds(0);
  EXPECT_OK(ValidateContact(c));
}

TEST(ContactWithDefaultsTest, UnsetDelayBecomesFiveMinutes) {
  Contact c = ContactWithDefaults(Bob());
  EXPECT_EQ(c.channels(0).delay().seconds(), 300);
  EXPECT_EQ(c.channels(1).delay().seconds(), 60);
  EXPECT_EQ(ChannelDelay(Bob().channels(0)), absl::Minutes(5));
  EXPECT_EQ(ChannelDelay(Bob().channels(1)), absl::Seconds(60));
}

}  // namespace
}  // namespace tocsin::escalation
