#include "services/runbook/command_action.h"

#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::tocsin::testing::StatusIs;

TEST(ParseCommandAllowListTest, Parses) {
  ASSERT_OK_AND_ASSIGN(CommandAllowList list,
                       ParseCommandAllowList(" echo=/bin/echo , kube-ctl.1=/usr/bin/kubectl"));
  EXPECT_THAT(list.paths(), UnorderedElementsAre(Pair("echo", "/bin/echo"),
                                                 Pair("kube-ctl.1", "/usr/bin/kubectl")));
  ASSERT_NE(list.Find("echo"), nullptr);
  EXPECT_EQ(*list.Find("echo"), "/bin/echo");
  EXPECT_EQ(list.Find("sh"), nullptr);
  ASSERT_OK_AND_ASSIGN(CommandAllowList empty, ParseCommandAllowList(""));
  EXPECT_TRUE(empty.empty());
}

TEST(ParseCommandAllowListTest, Errors) {
  for (const char* flag : {"echo", "echo=", "=/bin/echo", "a b=/bin/echo", "echo=/bin/echo,",
                           "x/y=/bin/echo"}) {
    EXPECT_THAT(ParseCommandAllowList(flag),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name=/absolute/path")))
        << flag;
  }
  EXPECT_THAT(ParseCommandAllowList("echo=bin/echo"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be absolute")));
  EXPECT_THAT(ParseCommandAllowList("echo=/bin/echo,echo=/usr/bin/echo"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"echo\" twice")));
}

class CommandActionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(list_, ParseCommandAllowList(
                                    "echo=/bin/echo,sh=/bin/sh,missing=/nonexistent/tool"));
    options_.allow_list = &list_;
    options_.timeout = absl::Seconds(10);
  }

  absl::StatusOr<Json> Sh(const std::string& script) {
    return RunCommandAction(Json{{"Command", "sh"}, {"Args", {"-c", script}}}, options_);
  }

  CommandAllowList list_;
  CommandOptions options_;
};

TEST_F(CommandActionTest, RunsWithArgsAsArgvNeverAShell) {
  ASSERT_OK_AND_ASSIGN(
      Json result,
      RunCommandAction(Json{{"Command", "echo"}, {"Args", {"a b", "$HOME", "; rm -rf /", 3, true}}},
                       options_));
  EXPECT_EQ(result, (Json{{"exitCode", 0},
                          {"stdout", "a b $HOME ; rm -rf / 3 true\n"},
                          {"stderr", ""},
                          {"truncated", false}}));
}

TEST_F(CommandActionTest, ExitCodesAndStderrAreResults) {
  ASSERT_OK_AND_ASSIGN(Json result, Sh("echo out; echo oops >&2; exit 3"));
  EXPECT_EQ(result["exitCode"], 3);
  EXPECT_EQ(result["stdout"], "out\n");
  EXPECT_EQ(result["stderr"], "oops\n");
  EXPECT_FALSE(result.contains("signal"));
}

TEST_F(CommandActionTest, SignalDeath) {
  ASSERT_OK_AND_ASSIGN(Json result, Sh("kill -TERM $$"));
  EXPECT_EQ(result["exitCode"], 128 + SIGTERM);
  EXPECT_EQ(result["signal"], SIGTERM);
}

TEST_F(CommandActionTest, EnvironmentIsOnlyPathAndTheGivenVariables) {
  setenv("TOCSIN_TEST_SERVICE_SECRET", "do-not-leak", 1);
  options_.env = {{"TOCSIN_INCIDENT_ID", "inc-7"}, {"NOTE", "a \"quoted\" value"}};
  ASSERT_OK_AND_ASSIGN(Json result, Sh("env | sort"));
  EXPECT_EQ(result["stdout"],
            "NOTE=a \"quoted\" value\nPATH=/usr/bin:/bin\nPWD=" + std::string(getcwd(nullptr, 0)) +
                "\nTOCSIN_INCIDENT_ID=inc-7\n");
  options_.env = {{"BAD=NAME", "x"}};
  EXPECT_THAT(Sh("true"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BAD=NAME")));
}

TEST_F(CommandActionTest, StdinIsDevNull) {
  ASSERT_OK_AND_ASSIGN(Json result, Sh("cat; echo done"));
  EXPECT_EQ(result["stdout"], "done\n");
}

TEST_F(CommandActionTest, BigOutputIsTruncatedAndTheChildNeverBlocks) {
  options_.max_output_bytes = 1000;
  // 1 MiB to each stream, far past a pipe's buffer: the child only ends if both are drained.
  ASSERT_OK_AND_ASSIGN(
      Json result,
      Sh("head -c 1048576 /dev/zero | tr '\\0' x; head -c 1048576 /dev/zero | tr '\\0' y >&2; "
         "exit 0"));
  EXPECT_EQ(result["exitCode"], 0);
  EXPECT_EQ(result["stdout"], std::string(1000, 'x'));
  EXPECT_EQ(result["stderr"], std::string(1000, 'y'));
  EXPECT_TRUE(result["truncated"].get<bool>());
}

TEST_F(CommandActionTest, InvalidUtf8IsReplaced) {
  ASSERT_OK_AND_ASSIGN(Json result, Sh("printf 'caf\\351'"));
  EXPECT_EQ(result["stdout"], "caf\xEF\xBF\xBD");
  EXPECT_NO_THROW(result.dump());
}

TEST_F(CommandActionTest, TimeoutKillsTheWholeProcessGroup) {
  options_.timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  // The grandchild (sleep) holds the pipes open; it must die too, or this would hang.
  EXPECT_THAT(Sh("sleep 30 & sleep 30; echo never"),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "command \"sh\" timed out after 500ms"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(CommandActionTest, LeftoverBackgroundProcessIsKilled) {
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(Json result, Sh("sleep 30 & echo started"));
  EXPECT_EQ(result["exitCode"], 0);
  EXPECT_EQ(result["stdout"], "started\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(CommandActionTest, NotListedOrNotStartable) {
  EXPECT_THAT(RunCommandAction(Json{{"Command", "rm"}, {"Args", {"-rf", "/"}}}, options_),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "command \"rm\" is not in the runbook service's allow-list (--commands)"));
  // Names are not paths.
  EXPECT_THAT(RunCommandAction(Json{{"Command", "/bin/echo"}}, options_),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(RunCommandAction(Json{{"Command", "missing"}}, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("could not be started")));
  EXPECT_THAT(RunCommandAction(Json{{"Command", "echo"}, {"Args", "a b"}}, options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Args must be a list")));
  EXPECT_THAT(RunCommandAction(Json{{"Command", "echo"}, {"Args", {Json::object()}}}, options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Args[0]")));
}

TEST_F(CommandActionTest, ConcurrentCallsDoNotInterfere) {
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<Json>> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] = RunCommandAction(
          Json{{"Command", "sh"}, {"Args", {"-c", absl::StrCat("sleep 0.2; echo ", i)}}},
          options_);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < 8; ++i) {
    ASSERT_OK(results[i].status());
    EXPECT_EQ((*results[i])["stdout"], absl::StrCat(i, "\n"));
  }
}

}  // namespace
}  // namespace tocsin::runbook
