// tocsin runbooks validate, offline.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

using ::testing::HasSubstr;

class RunbooksCommandsTest : public CliTest {};

constexpr char kGood[] = R"yaml(
kind: Runbook
name: db-failover
document:
  schemaVersion: "0.3"
  description: Fail the database over after a person approves.
  parameters:
    Cluster: {type: String, default: orders}
  mainSteps:
    - name: assess
      action: tocsin:manual
      inputs: {Message: "Check the replica lag of {{ Cluster }}."}
    - name: approve
      action: aws:approve
      inputs: {Approvers: ["cli:alice", "cli:bob"], MinRequiredApprovals: 1, Message: "Fail over?"}
      isEnd: true
)yaml";

TEST_F(RunbooksCommandsTest, ValidDocumentsAreNamedWithTheirSizes) {
  Result result = Run({"runbooks", "validate", "-f", "-"}, kGood);
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "runbook/db-failover valid: 2 steps, 1 parameter\n");

  Result json = Run({"runbooks", "validate", "-f", "-", "--output", "json"}, kGood);
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed[0]["name"], "db-failover");
  EXPECT_EQ(parsed[0]["steps"], 2);
}

TEST_F(RunbooksCommandsTest, ABareSsmDocumentIsCheckedToo) {
  Result result = Run({"runbooks", "validate", "-f", "-"},
                      "schemaVersion: \"0.3\"\nmainSteps:\n  - name: wait\n    action: aws:sleep\n"
                      "    inputs: {Duration: PT5M}\n");
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, HasSubstr("valid: 1 step, 0 parameters"));
}

TEST_F(RunbooksCommandsTest, AnErrorNamesTheDocumentTheStepAndTheField) {
  std::string bad = kGood;
  bad.replace(bad.find("aws:approve"), 11, "aws:approv");
  Result result = Run({"runbooks", "validate", "-f", "-"}, bad);
  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("document 1 (Runbook \"db-failover\")"));
  EXPECT_THAT(result.err, HasSubstr("approve"));
  EXPECT_THAT(result.err, HasSubstr("aws:approv"));

  Result other = Run({"runbooks", "validate", "-f", "-"}, "kind: ResponsePlan\nname: x\n");
  EXPECT_EQ(other.exit_code, kExitFailed);
  EXPECT_THAT(other.err, HasSubstr("runbooks validate checks kind Runbook"));
  Result empty = Run({"runbooks", "validate", "-f", "-"}, "kind: Runbook\nname: x\n");
  EXPECT_EQ(empty.exit_code, kExitFailed);
  EXPECT_THAT(empty.err, HasSubstr("needs \"document\""));
}

}  // namespace
}  // namespace tocsin::cli
