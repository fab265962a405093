#include "services/escalation/contacts.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
  EXPECT_THAT(ValidateContact(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 129")));
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
                       "contact \"bob\": channel \"pager.hook\" has no destination: set email, "
                       "webhook, sms or voice"));
}

TEST(ValidateContactTest, EmailNeedsOneAtAndNoSpaces) {
  for (const char* bad : {"bob", "@example.com", "bob@", "bob@@example.com", "bob@example@com",
                          "bob smith@example.com", "bob@example.com\n", ""}) {
    Contact c = Bob();
    c.mutable_channels(0)->mutable_email()->set_address(bad);
    EXPECT_THAT(ValidateContact(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("channel \"work-email\" email address")))
        << bad;
  }
}

TEST(ValidateContactTest, WebhookNeedsAnHttpUrlWithAHost) {
  for (const char* bad : {"hooks.example.com/bob", "ftp://hooks.example.com", "http://",
                          "https:///path", "https://hooks.example.com/a b", ""}) {
    Contact c = Bob();
    c.mutable_channels(1)->mutable_webhook()->set_url(bad);
    EXPECT_THAT(ValidateContact(c), StatusIs(absl::StatusCode::kInvalidArgument,
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

ContactChannel Sms(const std::string& name, const std::string& number) {
  ContactChannel ch;
  ch.set_name(name);
  ch.mutable_sms()->set_number(number);
  return ch;
}

// Bob with an SMS channel and a plan: email now, SMS after 5 minutes.
Contact BobWithPlan() {
  Contact c = Bob();
  *c.add_channels() = Sms("sms", "+81312345678");
  auto* s1 = c.mutable_personal_plan()->add_stages();
  s1->set_duration_in_minutes(5);
  s1->add_targets()->set_channel("work-email");
  auto* s2 = c.mutable_personal_plan()->add_stages();
  s2->set_duration_in_minutes(10);
  auto* t = s2->add_targets();
  t->set_channel("sms");
  t->set_retry_interval_in_minutes(5);
  return c;
}

Contact Escalation(const std::string& name, const std::vector<std::vector<std::string>>& stages) {
  Contact c;
  c.set_name(name);
  c.set_type(v1::CONTACT_TYPE_ESCALATION);
  for (const auto& targets : stages) {
    auto* stage = c.mutable_escalation_plan()->add_stages();
    stage->set_duration_in_minutes(15);
    for (const auto& t : targets) stage->add_targets()->set_contact(t);
  }
  return c;
}

Contact Schedule(const std::string& name, const std::vector<std::string>& rotations) {
  Contact c;
  c.set_name(name);
  c.set_type(v1::CONTACT_TYPE_ONCALL_SCHEDULE);
  for (const auto& r : rotations) c.mutable_schedule()->add_rotation_ids(r);
  return c;
}

v1::Rotation RotationOf(const std::string& name, const std::vector<std::string>& members) {
  v1::Rotation r;
  r.set_name(name);
  for (const auto& m : members) r.add_contacts(m);
  return r;
}

void ExpectInvalid(const Contact& c, const std::string& message) {
  EXPECT_THAT(ValidateContact(c), StatusIs(absl::StatusCode::kInvalidArgument, message))
      << c.DebugString();
}

TEST(ValidateContactTest, PhoneNumbersAreE164) {
  Contact c = Bob();
  *c.add_channels() = Sms("sms", "+4915112345678");
  auto* voice = c.add_channels();
  voice->set_name("voice");
  voice->mutable_voice()->set_number("+12025550123");
  EXPECT_OK(ValidateContact(c));
  for (const char* bad : {"4915112345678", "+0915112345678", "+1234567", "+1234567890123456",
                          "+49 151 1234", "+49-151-12345678", ""}) {
    c.mutable_channels(2)->mutable_sms()->set_number(bad);
    ExpectInvalid(c, absl::StrCat("contact \"bob\": channel \"sms\" SMS number \"", bad,
                                  "\" is not in E.164 form: '+', then 8 to 15 digits, the "
                                  "first not 0, e.g. \"+81312345678\""));
  }
  c.mutable_channels(2)->mutable_sms()->set_number("+12345678");
  c.mutable_channels(3)->mutable_voice()->set_number("12025550123");
  EXPECT_THAT(ValidateContact(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("channel \"voice\" voice number")));
}

TEST(ValidateContactTest, PersonalPlan) {
  EXPECT_OK(ValidateContact(BobWithPlan()));
  Contact explicit_type = BobWithPlan();
  explicit_type.set_type(v1::CONTACT_TYPE_PERSONAL);
  EXPECT_OK(ValidateContact(explicit_type));

  Contact c = BobWithPlan();
  c.mutable_personal_plan()->clear_stages();
  ExpectInvalid(c, "contact \"bob\": personal plan must have 1 to 20 stages, got 0");

  c = BobWithPlan();
  c.mutable_personal_plan()->mutable_stages(1)->set_duration_in_minutes(31);
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 2: duration must be 0 to 30 minutes, "
                "got 31");
  c.mutable_personal_plan()->mutable_stages(1)->set_duration_in_minutes(-1);
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 2: duration must be 0 to 30 minutes, "
                "got -1");

  c = BobWithPlan();
  c.mutable_personal_plan()->mutable_stages(0)->clear_targets();
  EXPECT_OK(ValidateContact(c));  // a 5-minute wait
  c.mutable_personal_plan()->mutable_stages(0)->set_duration_in_minutes(0);
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 1 pages nobody and lasts 0 minutes: "
                "give it a target channel or a duration");

  c = BobWithPlan();
  c.mutable_personal_plan()->mutable_stages(1)->mutable_targets(0)->set_channel("pager");
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 2: target channel \"pager\" is not a "
                "channel of this contact");

  c = BobWithPlan();
  c.mutable_personal_plan()->mutable_stages(0)->add_targets()->set_channel("work-email");
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 1: target channel \"work-email\" is "
                "listed twice");

  c = BobWithPlan();
  c.mutable_personal_plan()->mutable_stages(1)->mutable_targets(0)->set_retry_interval_in_minutes(
      11);
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 2: target channel \"sms\": retry "
                "interval must be 0 to the stage's duration (10 minutes), got 11");
  c.mutable_personal_plan()->mutable_stages(1)->mutable_targets(0)->set_retry_interval_in_minutes(
      -1);
  ExpectInvalid(c,
                "contact \"bob\": personal plan stage 2: target channel \"sms\": retry "
                "interval must be 0 to the stage's duration (10 minutes), got -1");

  c = BobWithPlan();
  c.mutable_escalation_plan()->add_stages();
  ExpectInvalid(c, "contact \"bob\": a personal contact may have only a personal_plan");

  c = BobWithPlan();
  c.set_ack_timeout_in_minutes(1441);
  ExpectInvalid(c, "contact \"bob\": ack timeout must be 0 to 1440 minutes, got 1441");
}

TEST(ValidateContactTest, EscalationPlan) {
  Contact c = Escalation("sre", {{"alice", "primary"}, {"bob"}});
  c.mutable_escalation_plan()->set_repeat(10);
  EXPECT_OK(ValidateContact(c));

  Contact bad = c;
  *bad.add_channels() = Sms("sms", "+81312345678");
  ExpectInvalid(bad,
                "contact \"sre\": an escalation plan has no channels: its stages engage "
                "other contacts");
  bad = c;
  bad.clear_escalation_plan();
  ExpectInvalid(bad, "contact \"sre\": an escalation contact needs an escalation_plan");
  bad = c;
  bad.mutable_escalation_plan()->clear_stages();
  ExpectInvalid(bad, "contact \"sre\": escalation plan must have 1 to 20 stages, got 0");
  bad = c;
  bad.mutable_escalation_plan()->set_repeat(11);
  ExpectInvalid(bad, "contact \"sre\": escalation plan repeat must be 0 to 10, got 11");
  bad = c;
  bad.mutable_escalation_plan()->mutable_stages(1)->set_duration_in_minutes(1441);
  ExpectInvalid(bad,
                "contact \"sre\": escalation plan stage 2: duration must be 0 to 1440 "
                "minutes, got 1441");
  bad = c;
  bad.mutable_escalation_plan()->mutable_stages(1)->clear_targets();
  ExpectInvalid(bad,
                "contact \"sre\": escalation plan stage 2 has no targets: add a contact to "
                "engage");
  bad = c;
  bad.mutable_escalation_plan()->mutable_stages(0)->add_targets()->set_contact("alice");
  ExpectInvalid(bad,
                "contact \"sre\": escalation plan stage 1: target contact \"alice\" is "
                "listed twice");
  bad = c;
  bad.mutable_escalation_plan()->mutable_stages(0)->mutable_targets(0)->set_contact("a b");
  ExpectInvalid(bad,
                "contact \"sre\": escalation plan stage 1: target contact name \"a b\" may "
                "contain only letters, digits, '-', '_' and '.'");
}

TEST(ValidateContactTest, Schedule) {
  EXPECT_OK(ValidateContact(Schedule("primary", {"tokyo", "london"})));
  ExpectInvalid(Schedule("primary", {}),
                "contact \"primary\": an on-call schedule needs schedule.rotation_ids (at least "
                "one)");
  ExpectInvalid(Schedule("primary", {"tokyo", "tokyo"}),
                "contact \"primary\": schedule: rotation \"tokyo\" is listed twice");
  Contact c = Schedule("primary", {"tokyo"});
  *c.add_channels() = Sms("sms", "+81312345678");
  ExpectInvalid(c,
                "contact \"primary\": an on-call schedule has no channels: whoever its "
                "rotations have on call is engaged");
  c = Schedule("primary", {"tokyo"});
  c.set_ack_timeout_in_minutes(5);
  ExpectInvalid(c,
                "contact \"primary\": an on-call schedule has no ack timeout: set it on the "
                "person or the escalation plan");
  c = Schedule("primary", {"tokyo"});
  c.set_type(static_cast<v1::ContactType>(9));
  ExpectInvalid(c, "contact \"primary\": unknown contact type 9");
}

TEST(ValidatePlanChannelsActivatedTest, RefusesTargetsNotActivated) {
  Contact c = BobWithPlan();
  EXPECT_OK(ValidatePlanChannelsActivated(c));  // UNSPECIFIED: grandfathered
  c.mutable_channels(2)->mutable_activation()->set_state(v1::ACTIVATION_STATE_PENDING);
  EXPECT_THAT(
      ValidatePlanChannelsActivated(c),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "contact \"bob\": personal plan stage 2: channel \"sms\" is not activated "
               "(pending): confirm the code sent to it with `tocsin contacts activate bob sms "
               "CODE` (a new code: `tocsin contacts send-code bob sms`), then save the plan"));
  c.mutable_channels(2)->mutable_activation()->set_state(v1::ACTIVATION_STATE_DEACTIVATED);
  EXPECT_THAT(ValidatePlanChannelsActivated(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(deactivated)")));
  c.mutable_channels(2)->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  EXPECT_OK(ValidatePlanChannelsActivated(c));
  // A channel not in the plan may be pending.
  c.mutable_channels(1)->mutable_activation()->set_state(v1::ACTIVATION_STATE_PENDING);
  EXPECT_OK(ValidatePlanChannelsActivated(c));
}

TEST(ValidateDirectoryTest, AcceptsAConsistentDirectory) {
  std::vector<Contact> contacts = {Bob(), Schedule("primary", {"tokyo"}),
                                   Escalation("sre", {{"primary"}, {"bob"}}),
                                   Escalation("top", {{"sre", "bob"}})};
  std::vector<v1::Rotation> rotations = {RotationOf("tokyo", {"bob"})};
  v1::RotationOverride o;
  o.set_name("swap");
  o.set_rotation("tokyo");
  o.add_contacts("bob");
  EXPECT_OK(ValidateDirectory(contacts, rotations, {o}));
}

TEST(ValidateDirectoryTest, RefusesUnknownReferencesAndNonPersons) {
  std::vector<v1::Rotation> rotations = {RotationOf("tokyo", {"bob"})};
  EXPECT_THAT(ValidateDirectory({Bob(), Escalation("sre", {{"bob"}, {"carol"}})}, rotations, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact \"sre\": escalation plan stage 2: target contact \"carol\" does "
                       "not exist"));
  EXPECT_THAT(ValidateDirectory({Bob(), Schedule("primary", {"london"})}, rotations, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact \"primary\": schedule: rotation \"london\" does not exist"));
  EXPECT_THAT(ValidateDirectory({}, rotations, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rotation \"tokyo\": contact \"bob\" does not exist"));
  EXPECT_THAT(ValidateDirectory({Escalation("bob", {{"x"}}), Bob()}, rotations, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not exist")));
  Contact sched = Schedule("bob", {"tokyo"});
  EXPECT_THAT(ValidateDirectory({sched}, rotations, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rotation \"tokyo\": contact \"bob\" is an on-call schedule, not a "
                       "person; only personal contacts take turns on call"));
  v1::RotationOverride o;
  o.set_name("swap");
  o.set_rotation("london");
  EXPECT_THAT(ValidateDirectory({Bob()}, rotations, {o}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "override \"swap\": rotation \"london\" does not exist"));
  o.set_rotation("tokyo");
  o.add_contacts("dave");
  EXPECT_THAT(ValidateDirectory({Bob()}, rotations, {o}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "override \"swap\" of rotation \"tokyo\": contact \"dave\" does not "
                       "exist"));
}

TEST(ValidateDirectoryTest, RefusesCyclesShowingThem) {
  EXPECT_THAT(ValidateDirectory({Bob(), Escalation("a", {{"bob"}, {"b"}}), Escalation("b", {{"c"}}),
                                 Escalation("c", {{"bob", "a"}})},
                                {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact \"a\": escalation cycle a -> b -> c -> a; an escalation plan "
                       "must not engage itself"));
  EXPECT_THAT(
      ValidateDirectory({Escalation("self", {{"self"}})}, {}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("escalation cycle self -> self")));
}

TEST(ReferrersTest, NamesWhatRefersToAContactOrRotation) {
  std::vector<Contact> contacts = {Bob(), Schedule("primary", {"tokyo"}),
                                   Escalation("sre", {{"primary"}, {"bob"}})};
  std::vector<v1::Rotation> rotations = {RotationOf("tokyo", {"bob"})};
  EXPECT_THAT(ContactReferrers("bob", contacts, rotations),
              ::testing::ElementsAre("escalation plan \"sre\" stage 2", "rotation \"tokyo\""));
  EXPECT_THAT(ContactReferrers("sre", contacts, rotations), ::testing::IsEmpty());
  EXPECT_THAT(RotationReferrers("tokyo", contacts), ::testing::ElementsAre("schedule \"primary\""));
}

}  // namespace
}  // namespace tocsin::escalation
