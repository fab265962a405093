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

}  // namespace
}  // namespace tocsin::cli
