// tocsin executions, against the real runbook engine and API in the test's
// process (services/runbook/test_service.h).
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/runbook/test_service.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kRunbook[] = R"yaml(
kind: Runbook
name: db-failover
document:
  schemaVersion: "0.3"
  description: Fail the database over after a person approves.
  parameters:
    Cluster: {type: String}
    Replicas: {type: Integer, default: 2}
  mainSteps:
    - name: assess
      action: tocsin:manual
      inputs:
        Message: |
          Check the replica lag of {{ Cluster }} for "{{ incident.title }}".
    - name: approve
      action: aws:approve
      inputs: {Approvers: ["cli:bob", "cli:carol"], MinRequiredApprovals: 1, Message: "Fail over?"}
      isEnd: true
)yaml";

class ExecutionsCommandsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_OK_AND_ASSIGN(runbooks_, runbook::TestRunbookService::Start());
    runbooks_->AddIncident(MakeIncident("inc-1", incidents::v1::INCIDENT_STATUS_OPEN, "orders",
                                        "Orders \"slow\""));
    ASSERT_EQ(As("alice", {"runbooks", "apply", "-f", "-"}, kRunbook).exit_code, kExitOk);
  }

  Result As(const std::string& user, const std::vector<std::string>& args,
            const std::string& in = "") const {
    GlobalOptions options = Defaults();
    options.runbook = runbooks_->address();
    options.author = user;
    return RunWith(options, args, in);
  }

  // Starts db-failover for inc-1 and runs it to its first wait; its id.
  std::string StartOne() {
    Result started = As("alice", {"executions", "start", "db-failover", "--incident", "inc-1",
                                  "--param", "Cluster=orders-eu", "--output", "json"});
    EXPECT_EQ(started.exit_code, kExitOk) << started.err;
    if (started.exit_code != kExitOk) return "";
    EXPECT_OK(runbooks_->RunDue());
    return nlohmann::json::parse(started.out)["id"];
  }

  std::unique_ptr<runbook::TestRunbookService> runbooks_;
};

TEST_F(ExecutionsCommandsTest, APersonCompletesAStepAndAnApproverApproves) {
  Result started = As("alice", {"executions", "start", "db-failover", "--incident", "inc-1",
                                "--param", "Cluster=orders-eu", "--param", "Replicas=3"});
  ASSERT_EQ(started.exit_code, kExitOk) << started.err;
  EXPECT_THAT(started.out, StartsWith("started db-failover (version 1) for inc-1: exe-"));
  ASSERT_OK(runbooks_->RunDue());

  Result list = As("alice", {"executions", "list", "--incident", "inc-1"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_THAT(list.out, StartsWith("ID"));
  EXPECT_THAT(list.out, HasSubstr("db-failover  1        inc-1     Waiting  assess"));
  Result listed = As("alice", {"executions", "list", "--output", "json"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  const std::string id = nlohmann::json::parse(listed.out)[0]["id"];
  EXPECT_THAT(list.out, HasSubstr(id + "  db-failover"));

  Result show = As("alice", {"executions", "show", id});
  ASSERT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_THAT(show.out, HasSubstr("State:         Waiting"));
  EXPECT_THAT(show.out, HasSubstr("Parameters:    Cluster=\"orders-eu\", Replicas=3"));
  EXPECT_THAT(show.out, HasSubstr("Started by:    cli:alice"));
  EXPECT_THAT(show.out, HasSubstr("assess   tocsin:manual  Waiting"));
  EXPECT_THAT(show.out, HasSubstr("approve  aws:approve    Pending"));
  // The instruction in full, substituted, for the person who acts on it.
  EXPECT_THAT(show.out,
              HasSubstr("Check the replica lag of orders-eu for \"Orders \"slow\"\".\n"));

  Result done = As("alice", {"executions", "complete-step", id, "assess", "--comment", "lag 2s"});
  ASSERT_EQ(done.exit_code, kExitOk) << done.err;
  EXPECT_THAT(done.out, StartsWith("step assess Success; execution " + id));
  ASSERT_OK(runbooks_->RunDue());

  // Only an approver can approve.
  Result stranger = As("mallory", {"executions", "approve", id, "approve"});
  EXPECT_EQ(stranger.exit_code, kExitFailed);
  EXPECT_THAT(stranger.err, StartsWith("error: PERMISSION_DENIED"));
  Result approved = As("bob", {"executions", "approve", id, "approve", "--comment", "go"});
  ASSERT_EQ(approved.exit_code, kExitOk) << approved.err;
  ASSERT_OK(runbooks_->RunDue());

  Result json = As("alice", {"executions", "show", id, "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json execution = nlohmann::json::parse(json.out);
  EXPECT_EQ(execution["state"], "EXECUTION_STATE_SUCCESS");
  EXPECT_EQ(execution["steps"][0]["decidedBy"], "cli:alice");
  EXPECT_EQ(execution["steps"][0]["comment"], "lag 2s");
  EXPECT_EQ(execution["steps"][1]["approvals"][0]["approver"], "cli:bob");
  EXPECT_EQ(execution["steps"][1]["approvals"][0]["approved"], true);

  // A decision on a step that no longer waits says so.
  Result late = As("carol", {"executions", "approve", id, "approve"});
  EXPECT_EQ(late.exit_code, kExitFailed);
  EXPECT_THAT(late.err, StartsWith("error: FAILED_PRECONDITION"));
}

TEST_F(ExecutionsCommandsTest, ARejectionFailsTheExecution) {
  const std::string id = StartOne();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(As("alice", {"executions", "skip", id, "assess"}).exit_code, kExitOk);
  ASSERT_OK(runbooks_->RunDue());
  Result rejected =
      As("carol", {"executions", "reject", id, "approve", "--comment", "not during peak"});
  ASSERT_EQ(rejected.exit_code, kExitOk) << rejected.err;
  ASSERT_OK(runbooks_->RunDue());
  Result show = As("alice", {"executions", "show", id});
  EXPECT_THAT(show.out, HasSubstr("State:         Failed"));
  EXPECT_THAT(show.out, HasSubstr("assess   tocsin:manual  Skipped"));
  EXPECT_THAT(show.out, HasSubstr("approve  aws:approve    Failed"));
}

TEST_F(ExecutionsCommandsTest, CancelStopsAnExecution) {
  const std::string id = StartOne();
  ASSERT_FALSE(id.empty());
  Result cancelled = As("alice", {"executions", "cancel", id, "--reason", "wrong runbook"});
  ASSERT_EQ(cancelled.exit_code, kExitOk) << cancelled.err;
  EXPECT_THAT(cancelled.out, StartsWith("execution " + id + " Cancelled"));
  Result list = As("alice", {"executions", "list", "--output", "json"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out)[0]["state"], "EXECUTION_STATE_CANCELLED");
}

TEST_F(ExecutionsCommandsTest, MistakesAreNamed) {
  Result no_equals = As("alice", {"executions", "start", "db-failover", "--incident", "inc-1",
                                  "--param", "Cluster"});
  EXPECT_EQ(no_equals.exit_code, kExitUsage);
  EXPECT_THAT(no_equals.err, HasSubstr("--param \"Cluster\": expected NAME=VALUE"));

  Result missing = As("alice", {"executions", "start", "db-failover", "--incident", "inc-1"});
  EXPECT_EQ(missing.exit_code, kExitFailed);
  EXPECT_THAT(missing.err, StartsWith("error: INVALID_ARGUMENT"));
  EXPECT_THAT(missing.err, HasSubstr("Cluster"));

  Result no_incident = As("alice", {"executions", "start", "db-failover"});
  EXPECT_EQ(no_incident.exit_code, kExitUsage);

  Result unknown = As("alice", {"executions", "show", "exe-nope"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.err, StartsWith("error: NOT_FOUND"));
}

}  // namespace
}  // namespace tocsin::cli
