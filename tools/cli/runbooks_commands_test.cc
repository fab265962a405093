// tocsin runbooks: validate offline; apply, list, show and versions against the
// real runbook engine and API in the test's process (services/runbook/test_service.h).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/runbook/test_service.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

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

// Against the real engine.
class RunbooksServiceTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_OK_AND_ASSIGN(runbooks_, runbook::TestRunbookService::Start());
  }

  GlobalOptions Options() const {
    GlobalOptions options = Defaults();
    options.runbook = runbooks_->address();
    return options;
  }
  Result Tocsin(const std::vector<std::string>& args, const std::string& in = "") const {
    return RunWith(Options(), args, in);
  }

  std::unique_ptr<runbook::TestRunbookService> runbooks_;
};

std::string Changed(std::string document) {
  document.replace(document.find("Fail over?"), 10, "Fail over now?");
  return document;
}

TEST_F(RunbooksServiceTest, ApplySavesAVersionOnlyWhenTheDocumentChanges) {
  Result created = Tocsin({"runbooks", "apply", "-f", "-"}, kGood);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "runbook/db-failover created (version 1)\n");

  Result again = Tocsin({"runbooks", "apply", "-f", "-"}, kGood);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out, "runbook/db-failover unchanged (version 1)\n");

  Result dry = Tocsin({"runbooks", "apply", "-f", "-", "--dry-run"}, Changed(kGood));
  ASSERT_EQ(dry.exit_code, kExitOk) << dry.err;
  EXPECT_EQ(dry.out, "runbook/db-failover would be updated (version 2)\n");

  Result updated = Tocsin({"runbooks", "apply", "-f", "-"}, Changed(kGood));
  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out, "runbook/db-failover updated (version 2)\n");

  Result versions = Tocsin({"runbooks", "versions", "db-failover"});
  ASSERT_EQ(versions.exit_code, kExitOk) << versions.err;
  EXPECT_THAT(versions.out, StartsWith("VERSION  STEPS  SAVED"));
  EXPECT_THAT(versions.out, HasSubstr("\n1        2      "));
  EXPECT_THAT(versions.out, HasSubstr("\n2        2      "));
  EXPECT_THAT(versions.out, HasSubstr("cli:alice"));
  EXPECT_THAT(versions.out, HasSubstr("Fail the database over after a person approves."));

  Result first = Tocsin({"runbooks", "show", "db-failover", "--version", "1"});
  ASSERT_EQ(first.exit_code, kExitOk) << first.err;
  EXPECT_THAT(first.out, HasSubstr("Version:      1 of 2"));
  EXPECT_THAT(first.out, HasSubstr("Message: \"Fail over?\""));
  Result latest = Tocsin({"runbooks", "show", "db-failover", "--output", "json"});
  ASSERT_EQ(latest.exit_code, kExitOk) << latest.err;
  nlohmann::json json = nlohmann::json::parse(latest.out);
  EXPECT_EQ(json["version"], "2");  // int64 is a string in protobuf JSON
  EXPECT_THAT(json["document"].get<std::string>(), HasSubstr("Fail over now?"));
}

TEST_F(RunbooksServiceTest, ListShowsTheBuiltInTemplateBesideSavedRunbooks) {
  ASSERT_EQ(Tocsin({"runbooks", "apply", "-f", "-"}, kGood).exit_code, kExitOk);
  Result list = Tocsin({"runbooks", "list"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_THAT(list.out, HasSubstr("Tocsin-IncidentResponse (built in)"));
  EXPECT_THAT(list.out, HasSubstr("db-failover"));
  Result json = Tocsin({"runbooks", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out).size(), 2);
}

TEST_F(RunbooksServiceTest, ShowManifestGivesAFileThatAppliesBackUnchanged) {
  ASSERT_EQ(Tocsin({"runbooks", "apply", "-f", "-"}, kGood).exit_code, kExitOk);
  Result manifest = Tocsin({"runbooks", "show", "db-failover", "--manifest"});
  ASSERT_EQ(manifest.exit_code, kExitOk) << manifest.err;
  EXPECT_THAT(manifest.out, StartsWith("kind: Runbook\nname: db-failover\ndocument:\n  "));
  Result again = Tocsin({"runbooks", "apply", "-f", "-"}, manifest.out);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err << manifest.out;
  EXPECT_EQ(again.out, "runbook/db-failover unchanged (version 1)\n");

  // The built-in template, copied under another name, is a runbook of one's own.
  Result builtin = Tocsin({"runbooks", "show", "Tocsin-IncidentResponse", "--manifest"});
  ASSERT_EQ(builtin.exit_code, kExitOk) << builtin.err;
  std::string copy = builtin.out;
  copy.replace(copy.find("name: Tocsin-IncidentResponse"), 29, "name: our-response");
  Result saved = Tocsin({"runbooks", "apply", "-f", "-"}, copy);
  ASSERT_EQ(saved.exit_code, kExitOk) << saved.err << copy;
  EXPECT_EQ(saved.out, "runbook/our-response created (version 1)\n");
}

TEST_F(RunbooksServiceTest, TocsinApplyTakesRunbooksBesidePlans) {
  const std::string manifest = std::string(kGood) + R"yaml(
---
kind: ResponsePlan
name: orders
incidentTemplate: {title: Orders down}
runbook: {name: db-failover, parameters: {Cluster: orders}}
)yaml";
  Result applied = Tocsin({"apply", "-f", "-"}, manifest);
  ASSERT_EQ(applied.exit_code, kExitOk) << applied.err;
  EXPECT_EQ(applied.out, "runbook/db-failover created\nresponseplan/orders created\n");
  EXPECT_EQ(plans_.plans()["orders"].runbook().name(), "db-failover");
  Result again = Tocsin({"apply", "-f", "-"}, manifest);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out, "runbook/db-failover unchanged\nresponseplan/orders unchanged\n");
}

TEST_F(RunbooksServiceTest, ABadDocumentSavesNothing) {
  std::string bad = std::string(kGood) + R"yaml(
---
kind: Runbook
name: broken
document:
  schemaVersion: "0.3"
  mainSteps:
    - name: go
      action: aws:sleep
      inputs: {Duration: "{{ Delay }}"}
)yaml";
  Result apply = Tocsin({"runbooks", "apply", "-f", "-"}, bad);
  EXPECT_EQ(apply.exit_code, kExitFailed);
  EXPECT_THAT(apply.err, HasSubstr("document 2 (Runbook \"broken\")"));
  EXPECT_THAT(apply.err, HasSubstr("Delay"));
  Result tocsin_apply = Tocsin({"apply", "-f", "-"}, bad);
  EXPECT_EQ(tocsin_apply.exit_code, kExitFailed);
  EXPECT_THAT(tocsin_apply.err, HasSubstr("document 2 (Runbook \"broken\")"));
  Result list = Tocsin({"runbooks", "list"});
  EXPECT_THAT(list.out, Not(HasSubstr("db-failover")));

  Result bare = Tocsin({"runbooks", "apply", "-f", "-"},
                       "schemaVersion: \"0.3\"\nmainSteps:\n  - name: wait\n    action: aws:sleep\n"
                       "    inputs: {Duration: PT5M}\n");
  EXPECT_EQ(bare.exit_code, kExitUsage);
  EXPECT_THAT(bare.err, HasSubstr("--name"));
  Result named = Tocsin({"runbooks", "apply", "-f", "-", "--name", "wait-a-bit"},
                        "schemaVersion: \"0.3\"\nmainSteps:\n  - name: wait\n    action: aws:sleep\n"
                        "    inputs: {Duration: PT5M}\n");
  ASSERT_EQ(named.exit_code, kExitOk) << named.err;
  EXPECT_EQ(named.out, "runbook/wait-a-bit created (version 1)\n");

  Result missing = Tocsin({"runbooks", "show", "nope"});
  EXPECT_EQ(missing.exit_code, kExitFailed);
  EXPECT_THAT(missing.err, StartsWith("error: NOT_FOUND"));
}

}  // namespace
}  // namespace tocsin::cli
