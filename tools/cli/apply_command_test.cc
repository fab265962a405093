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

// A person, a rotation of them, an override, a schedule, an escalation plan
// and the response plan that engages it.
constexpr char kOnCall[] = R"yaml(
kind: Contact
name: kenji
channels: [{name: mail, email: {address: kenji@example.com}}]
plan: {stages: [{durationInMinutes: 5, targets: [{channel: mail}]}]}
---
kind: Rotation
name: tokyo
contacts: [kenji]
startTime: "2026-01-05T09:00:00+09:00"
timeZoneId: Asia/Tokyo
recurrence: {weeklySettings: [{dayOfWeek: MON, handOffTime: "09:00"}]}
---
kind: Override
name: holiday
rotation: tokyo
contacts: []
start: "2026-01-06T00:00:00Z"
end: "2026-01-07T00:00:00Z"
---
kind: Contact
name: primary
type: ONCALL_SCHEDULE
plan: {rotationIds: [tokyo]}
---
kind: Contact
name: sre
type: ESCALATION
plan:
  stages: [{durationInMinutes: 10, targets: [{contact: primary, isEssential: true}]}]
  repeat: 1
---
kind: ResponsePlan
name: sre-alarms
engagements: [sre]
)yaml";

TEST_F(ApplyCommandTest, ApplyOfOnCallObjectsIsOneCheckedApply) {
  Result created = Run({"apply", "-f", "-"}, kOnCall);

  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out,
            "contact/kenji created\n"
            "rotation/tokyo created\n"
            "override/tokyo/holiday created\n"
            "contact/primary created\n"
            "contact/sre created\n"
            "responseplan/sre-alarms created\n");
  const std::vector<escalation_v1::ApplyRequest> requests =
      contacts_.apply_requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].dry_run());
  EXPECT_FALSE(requests[1].dry_run());
  EXPECT_EQ(requests[1].contacts_size(), 3);
  EXPECT_EQ(requests[1].rotations_size(), 1);
  EXPECT_EQ(requests[1].overrides_size(), 1);
  EXPECT_EQ(contacts_.contacts().at("sre").escalation_plan().repeat(), 1);
  EXPECT_EQ(rotations_.rotations().at("tokyo").time_zone_id(), "Asia/Tokyo");
  EXPECT_EQ(rotations_.overrides("tokyo").size(), 1u);

  Result again = Run({"apply", "-f", "-"}, kOnCall);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "contact/kenji unchanged\n"
            "rotation/tokyo unchanged\n"
            "override/tokyo/holiday unchanged\n"
            "contact/primary unchanged\n"
            "contact/sre unchanged\n"
            "responseplan/sre-alarms unchanged\n");
}

TEST_F(ApplyCommandTest, ApplyThatTheEscalationServiceRefusesAppliesNothing) {
  std::string manifest = kOnCall;
  manifest.replace(manifest.find("rotationIds: [tokyo]"), 20,
                   "rotationIds: [osaka]");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: contact \"primary\": rotation \"osaka\" "
            "is not a rotation\n");
  ASSERT_EQ(contacts_.apply_requests().size(), 1u);
  EXPECT_TRUE(contacts_.apply_requests()[0].dry_run());
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
  EXPECT_THAT(rotations_.rotations(), IsEmpty());
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(ApplyCommandTest, ApplyWithABadRotationSendsNothing) {
  std::string manifest = kOnCall;
  manifest.replace(manifest.find("Asia/Tokyo"), 10, "JST");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, StartsWith("error: INVALID_ARGUMENT: document 2 "
                                     "(Rotation \"tokyo\"): "));
  EXPECT_THAT(contacts_.apply_requests(), IsEmpty());
}

}  // namespace
}  // namespace tocsin::cli
