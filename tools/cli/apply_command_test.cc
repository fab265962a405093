// tocsin apply, against fakes of the incidents and escalation services.
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

class ApplyCommandTest : public CliTest {};

TEST_F(ApplyCommandTest, ApplyCreatesThenReportsUnchangedThenUpdates) {
  Result created = Run({"apply", "-f", "-"}, kTwoPlans);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out,
            "responseplan/payments created\nresponseplan/search created\n");
  EXPECT_EQ(plans_.plans().at("payments").incident_template().title(),
            "Payments: {alarm_name}");
  EXPECT_TRUE(plans_.plans().at("search").resolve_on_ok());

  Result again = Run({"apply", "-f", "-"}, kTwoPlans);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "responseplan/payments unchanged\nresponseplan/search unchanged\n");
  EXPECT_EQ(plans_.writes(), 2);

  std::string edited = kTwoPlans;
  edited.replace(edited.find("impact: 3"), 9, "impact: 1");
  Result updated = Run({"apply", "-f", "-"}, edited);
  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out,
            "responseplan/payments unchanged\nresponseplan/search updated\n");
  const v1::ResponsePlan search = plans_.plans().at("search");
  EXPECT_EQ(search.incident_template().impact(), 1);
  EXPECT_EQ(search.version(), 2);
}

TEST_F(ApplyCommandTest, ApplyReadsAFile) {
  const std::string path = ::testing::TempDir() + "/plans.yaml";
  {
    std::ofstream file(path);
    file << kTwoPlans;
  }

  Result result = Run({"apply", "-f", path});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(plans_.plans().size(), 2u);
}

TEST_F(ApplyCommandTest, ApplyWithOneInvalidDocumentChangesNothing) {
  const std::string manifest = absl::StrCat(kTwoPlans, R"yaml(
---
kind: ResponsePlan
name: billing
titel: Billing down
)yaml");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 3 (ResponsePlan \"billing\"): "
            "unknown field \"titel\"\n");
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(ApplyCommandTest, ApplyOfAMissingFileFails) {
  Result result = Run({"apply", "-f", ::testing::TempDir() + "/missing.yaml"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, StartsWith("error: INVALID_ARGUMENT: cannot read"));
}

TEST_F(ApplyCommandTest,
       ApplyOfPlansAndContactsCreatesBothThenReportsUnchanged) {
  Result created = Run({"apply", "-f", "-"}, kPlanAndContact);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out,
            "responseplan/payments created\ncontact/payments-oncall created\n");
  const escalation_v1::Contact contact =
      contacts_.contacts().at("payments-oncall");
  EXPECT_EQ(contact.display_name(), "Payments on-call");
  ASSERT_EQ(contact.channels_size(), 3);
  EXPECT_EQ(contact.channels(0).email().address(), "oncall@example.com");
  EXPECT_EQ(contact.channels(1).webhook().url(),
            "https://pager.example.com/hook");
  EXPECT_EQ(contact.channels(1).delay().seconds(), 120);
  EXPECT_THAT(plans_.plans().at("payments").engagements(),
              ElementsAre("payments-oncall"));

  // The servers filled in defaults (impact 3, delays of 300s) that the
  // manifest leaves out; they are no difference.
  Result again = Run({"apply", "-f", "-"}, kPlanAndContact);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "responseplan/payments unchanged\n"
            "contact/payments-oncall unchanged\n");
  EXPECT_EQ(plans_.writes(), 1);
  EXPECT_EQ(contacts_.writes(), 1);
}

TEST_F(ApplyCommandTest, ApplyUpdatesAChangedContactAtTheVersionItRead) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kPlanAndContact).exit_code, kExitOk);
  std::string edited = kPlanAndContact;
  edited.replace(edited.find("delay: 120s"), 11, "delay: 60s");

  Result updated = Run({"apply", "-f", "-"}, edited);

  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out,
            "responseplan/payments unchanged\n"
            "contact/payments-oncall updated\n");
  const escalation_v1::Contact contact =
      contacts_.contacts().at("payments-oncall");
  EXPECT_EQ(contact.channels(1).delay().seconds(), 60);
  EXPECT_EQ(contact.version(), 2);
}

TEST_F(ApplyCommandTest, ApplyOfAContactWithoutChannelsAppliesNothing) {
  const std::string manifest = absl::StrCat(kPlanAndContact, R"yaml(
---
kind: Contact
name: bob
displayName: Bob
)yaml");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 3 (Contact \"bob\"): contact "
            "\"bob\" has no channels: add an email or webhook channel\n");
  EXPECT_THAT(plans_.plans(), IsEmpty());
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
}

}  // namespace
}  // namespace tocsin::cli
