// tocsin plans list|show|create, against a fake incidents service.
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

class PlansCommandsTest : public CliTest {};

TEST_F(PlansCommandsTest, PlansCreateThenListAndShow) {
  Result created =
      Run({"plans", "create", "-f", "-"},
          "kind: ResponsePlan\nname: payments\npriority: 10\n"
          "displayName: Payments team\nengagements: [alice, bob]\n");
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "responseplan/payments created\n");

  Result listed = Run({"plans", "list"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "NAME      PRIORITY  VERSION  DISPLAY NAME\n"
            "payments  10        1        Payments team\n");

  Result shown = Run({"plans", "show", "payments"});
  ASSERT_EQ(shown.exit_code, kExitOk) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("Name:                       payments\n"));
  EXPECT_THAT(shown.out, HasSubstr("Engagements:                alice, bob\n"));
  EXPECT_THAT(shown.out,
              HasSubstr("Created:                    2026-01-01T00:00:00Z\n"));

  Result json = Run({"plans", "show", "payments", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json plan = nlohmann::json::parse(json.out);
  EXPECT_EQ(plan["name"], "payments");
  EXPECT_EQ(plan["priority"], 10);
}

TEST_F(PlansCommandsTest, PlansCreateOfAnExistingPlanFails) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kTwoPlans).exit_code, kExitOk);

  Result result =
      Run({"plans", "create", "-f", "-"}, "kind: ResponsePlan\nname: search\n");

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err,
            "error: ALREADY_EXISTS: response plan \"search\" exists\n");
}

TEST_F(PlansCommandsTest, PlansCreateTakesExactlyOnePlan) {
  Result result = Run({"plans", "create", "-f", "-"}, kTwoPlans);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("must declare exactly one ResponsePlan"));
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(PlansCommandsTest, PlansShowOfAnUnknownNameExitsOneWithNotFound) {
  Result result = Run({"plans", "show", "nope"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: NOT_FOUND: response plan \"nope\" not found\n");
}

// A generic EventBridge event, as the gateway receives it.
constexpr char kBillingEvent[] = R"json({
  "version": "0",
  "id": "evt-1",
  "detail-type": "Billing Alert",
  "source": "com.example.billing",
  "account": "111111111111",
  "time": "2026-01-06T03:00:00Z",
  "region": "eu-west-1",
  "resources": [],
  "detail": {"alarmName": "BillingHigh", "state": "ALARM"}
})json";

v1::TestAlarmResponse OpensBilling() {
  v1::TestAlarmResponse test;
  test.mutable_result()->set_outcome(v1::INGEST_OUTCOME_OPENED);
  test.mutable_result()->set_response_plan("billing");
  test.mutable_result()->set_incident_id("inc-new");
  v1::PlanVerdict* billing = test.add_plans();
  billing->set_plan("billing");
  billing->set_matches(true);
  billing->set_priority(10);
  billing->add_reasons("chosen: lowest priority");
  v1::PlanVerdict* payments = test.add_plans();
  payments->set_plan("payments");
  payments->set_priority(20);
  payments->add_reasons("source \"com.example.billing\" is not aws.cloudwatch");
  test.mutable_incident()->set_title("Billing high");
  test.mutable_incident()->set_impact(2);
  test.mutable_incident()->add_engagements("sre-escalation");
  return test;
}

escalation_v1::PlannedPage Page(int64_t time, int stage,
                                const std::vector<std::string>& path,
                                const std::string& channel,
                                const std::string& detail) {
  escalation_v1::PlannedPage page;
  page.mutable_time()->set_seconds(time);
  page.set_stage(stage - 1);  // the API counts stages from 0
  for (const std::string& p : path) page.add_path(p);
  page.set_contact(path.back());
  page.set_channel(channel);
  page.set_detail(detail);
  return page;
}

class PlansTestCommandTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    incidents_.SetTestAlarmResponse(OpensBilling());
    engagements_.SetPreview(
        {Page(kAt, 1, {"sre-escalation", "primary", "kenji"}, "mail",
              "stage 1: kenji is on call for tokyo"),
         Page(kAt + 600, 2, {"sre-escalation", "secondary"}, "",
              "stage 2: schedule secondary has nobody on call")});
  }

  // 2026-01-06T03:00:00Z.
  static constexpr int64_t kAt = kNewYear2026 + 5 * 86400 + 3 * 3600;
};

TEST_F(PlansTestCommandTest, PlansTestReportsPlansIncidentAndPages) {
  Result result =
      Run({"plans", "test", "-f", "-", "--at", "2026-01-06T03:00:00Z"},
          kBillingEvent);

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(
      result.out,
      "Alarm: BillingHigh (com.example.billing, Billing Alert), state alarm\n"
      "\n"
      "Response plans, in the order they are considered:\n"
      "PLAN      MATCHES  PRIORITY  WHY\n"
      "billing   yes      10        chosen: lowest priority\n"
      "payments  no       20        source \"com.example.billing\" is not "
      "aws.cloudwatch\n"
      "\n"
      "Incident: would open a new incident \"Billing high\" (impact 2) by plan "
      "billing\n"
      "\n"
      "Pages if sre-escalation were engaged at 2026-01-06T03:00:00Z:\n"
      "TIME                  STAGE  PATH                              CHANNEL  "
      "DETAIL\n"
      "2026-01-06T03:00:00Z  1      sre-escalation > primary > kenji  mail     "
      "stage 1: kenji is on call for tokyo\n"
      "2026-01-06T03:10:00Z  2      sre-escalation > secondary        -        "
      "stage 2: schedule secondary has nobody on call\n");
  ASSERT_EQ(incidents_.tested_alarms().size(), 1u);
  EXPECT_EQ(incidents_.tested_alarms()[0].event_id(), "evt-1");
  EXPECT_EQ(incidents_.tested_alarms()[0].alarm_name(), "BillingHigh");
  ASSERT_EQ(engagements_.preview_requests().size(), 1u);
  EXPECT_THAT(engagements_.preview_requests()[0].contacts(),
              ElementsAre("sre-escalation"));
  EXPECT_EQ(engagements_.preview_requests()[0].at().seconds(), kAt);
}

TEST_F(PlansTestCommandTest, PlansTestAsJson) {
  Result result =
      Run({"plans", "test", "-f", "-", "--output", "json"}, kBillingEvent);

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["plans"][0]["plan"], "billing");
  EXPECT_EQ(json["plans"][1]["matches"], false);
  EXPECT_EQ(json["incident"]["outcome"], "OPENED");
  EXPECT_EQ(json["incident"]["responsePlan"], "billing");
  EXPECT_EQ(json["incident"]["engagements"][0], "sre-escalation");
  EXPECT_TRUE(json["at"].is_null());
  ASSERT_EQ(json["pages"].size(), 2u);
  EXPECT_EQ(json["pages"][0]["channel"], "mail");
  EXPECT_EQ(json["pages"][0]["time"], "2026-01-06T03:00:00Z");
  EXPECT_FALSE(engagements_.preview_requests()[0].has_at());
}

TEST_F(PlansTestCommandTest, AJoiningAlarmPagesNobodyAgain) {
  v1::TestAlarmResponse joins = OpensBilling();
  joins.mutable_result()->set_outcome(v1::INGEST_OUTCOME_JOINED);
  joins.mutable_result()->set_incident_id("inc-7");
  incidents_.SetTestAlarmResponse(joins);

  Result result = Run({"plans", "test", "-f", "-"}, kBillingEvent);

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("Incident: would join open incident inc-7 \"Billing "
                        "high\" by plan billing\n\nNobody would be paged: the "
                        "alarm joins an open incident"));
  EXPECT_THAT(engagements_.preview_requests(), IsEmpty());
}

TEST_F(PlansTestCommandTest, AnEventTheGatewayRefusesIsAnError) {
  Result result = Run({"plans", "test", "-f", "-"}, "{\"id\": 5}");

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, StartsWith("error: INVALID_ARGUMENT: \"-\": "));
  EXPECT_THAT(incidents_.tested_alarms(), IsEmpty());
}

}  // namespace
}  // namespace tocsin::cli
