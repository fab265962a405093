// tocsin contacts list|show|create, against a fake escalation service.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/cli.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;
namespace escalation_v1 = ::tocsin::escalation::v1;
namespace paging_v1 = ::tocsin::paging::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class ContactsCommandsTest : public CliTest {};

TEST_F(ContactsCommandsTest, ContactsCreateThenListAndShow) {
  Result created = Run({"contacts", "create", "-f", "-"},
                       "kind: Contact\nname: alice\ndisplayName: Alice\n"
                       "channels:\n"
                       "  - {name: mail, email: {address: a@example.com}}\n"
                       "  - {name: hook, webhook: {url: 'http://h/x'}, "
                       "delay: 90s}\n");
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "contact/alice created\n");

  Result listed = Run({"contacts", "list"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "NAME   CHANNELS    VERSION  DISPLAY NAME\n"
            "alice  mail, hook  1        Alice\n");

  Result shown = Run({"contacts", "show", "alice"});
  ASSERT_EQ(shown.exit_code, kExitOk) << shown.err;
  EXPECT_EQ(shown.out,
            "Name:          alice\n"
            "Display name:  Alice\n"
            "Type:          personal\n"
            "Version:       1\n"
            "Created:       2026-01-01T00:00:00Z\n"
            "Updated:       2026-01-01T00:00:00Z\n"
            "\n"
            "STAGE  CHANNEL  AFTER    ACTIVATION  DESTINATION\n"
            "0      mail     at once  pending     email a@example.com\n"
            "1      hook     1m30s    pending     webhook http://h/x\n");

  Result json = Run({"contacts", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json contacts = nlohmann::json::parse(json.out);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]["channels"][1]["delay"], "90s");
  EXPECT_EQ(contacts[0]["channels"][1]["webhook"]["url"], "http://h/x");
}

TEST_F(ContactsCommandsTest, ContactsCreateOfAContactWithoutChannelsFails) {
  Result result =
      Run({"contacts", "create", "-f", "-"}, "kind: Contact\nname: bob\n");

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 1 (Contact \"bob\"): contact "
            "\"bob\" has no channels: add an email or webhook channel\n");
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
}

TEST_F(ContactsCommandsTest, ContactsCreateTakesExactlyOneContact) {
  Result result = Run({"contacts", "create", "-f", "-"}, kPlanAndContact);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("must declare exactly one Contact"));
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(ContactsCommandsTest, ContactsShowOfAnUnknownNameExitsOneWithNotFound) {
  Result result = Run({"contacts", "show", "nobody"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err, "error: NOT_FOUND: contact \"nobody\" not found\n");
}

constexpr char kKenji[] = R"yaml(
kind: Contact
name: kenji
channels:
  - {name: mail, email: {address: kenji@example.com}}
  - {name: phone, sms: {number: "+81312345678"}}
plan:
  stages:
    - {durationInMinutes: 5, targets: [{channel: mail, retryIntervalInMinutes: 1}]}
    - {durationInMinutes: 25, targets: [{channel: phone}, {channel: mail}]}
ackTimeoutInMinutes: 30
---
kind: Contact
name: sre
type: ESCALATION
plan:
  stages: [{durationInMinutes: 10, targets: [{contact: kenji, isEssential: true}]}]
  stopOnFirstAck: true
  repeat: 2
)yaml";

TEST_F(ContactsCommandsTest, ChannelsAreActivatedDeactivatedAndSentNewCodes) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kKenji).exit_code, kExitOk);

  Result wrong = Run({"contacts", "activate", "kenji", "mail", "000000"});
  EXPECT_EQ(wrong.exit_code, kExitFailed);
  EXPECT_EQ(wrong.err, "error: INVALID_ARGUMENT: wrong activation code\n");

  Result activated = Run(
      {"contacts", "activate", "kenji", "mail", client::kFakeActivationCode});
  ASSERT_EQ(activated.exit_code, kExitOk) << activated.err;
  EXPECT_EQ(activated.out, "contact/kenji channel mail activated\n");

  Result deactivated = Run({"contacts", "deactivate", "kenji", "phone"});
  ASSERT_EQ(deactivated.exit_code, kExitOk) << deactivated.err;
  EXPECT_EQ(deactivated.out, "contact/kenji channel phone deactivated\n");
  EXPECT_EQ(contacts_.contacts().at("kenji").channels(1).activation().state(),
            escalation_v1::ACTIVATION_STATE_DEACTIVATED);

  Result sent = Run({"contacts", "send-code", "kenji", "phone"});
  ASSERT_EQ(sent.exit_code, kExitOk) << sent.err;
  EXPECT_EQ(sent.out,
            "contact/kenji channel phone sent a new activation code\n");
  EXPECT_EQ(contacts_.contacts().at("kenji").channels(1).activation().state(),
            escalation_v1::ACTIVATION_STATE_PENDING);

  Result missing = Run({"contacts", "activate", "kenji", "mail"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_THAT(missing.err, HasSubstr("needs CODE"));
}

TEST_F(ContactsCommandsTest, ContactsShowPrintsTypePlanAndActivation) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kKenji).exit_code, kExitOk);
  ASSERT_EQ(Run({"contacts", "activate", "kenji", "mail",
                 client::kFakeActivationCode})
                .exit_code,
            kExitOk);

  Result person = Run({"contacts", "show", "kenji"});
  ASSERT_EQ(person.exit_code, kExitOk) << person.err;
  EXPECT_EQ(person.out,
            "Name:          kenji\n"
            "Display name:\n"
            "Type:          personal\n"
            "Ack timeout:   30m\n"
            "Version:       2\n"
            "Created:       2026-01-01T00:00:00Z\n"
            "Updated:       2026-01-01T00:00:00Z\n"
            "\n"
            "CHANNEL  ACTIVATION  DESTINATION\n"
            "mail     activated   email kenji@example.com\n"
            "phone    pending     sms +81312345678\n"
            "\n"
            "Plan: stages in order, each lasting its duration\n"
            "STAGE  DURATION  TARGETS\n"
            "1      5m        mail (retry every 1m)\n"
            "2      25m       phone, mail\n");

  Result plan = Run({"contacts", "show", "sre"});
  ASSERT_EQ(plan.exit_code, kExitOk) << plan.err;
  EXPECT_EQ(plan.out,
            "Name:          sre\n"
            "Display name:\n"
            "Type:          escalation\n"
            "Version:       1\n"
            "Created:       2026-01-01T00:00:00Z\n"
            "Updated:       2026-01-01T00:00:00Z\n"
            "\n"
            "Plan: stages in order, each lasting its duration; stop on first "
            "ack: yes; repeat: 2\n"
            "STAGE  DURATION  TARGETS\n"
            "1      10m       kenji (essential)\n");
}

}  // namespace
}  // namespace tocsin::cli
