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
            "Version:       1\n"
            "Created:       2026-01-01T00:00:00Z\n"
            "Updated:       2026-01-01T00:00:00Z\n"
            "\n"
            "STAGE  CHANNEL  AFTER    DESTINATION\n"
            "0      mail     at once  email a@example.com\n"
            "1      hook     1m30s    webhook http://h/x\n");

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

}  // namespace
}  // namespace tocsin::cli
