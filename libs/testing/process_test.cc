#include "libs/testing/process.h"

#include <sys/wait.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::testing {
namespace {

using ::testing::HasSubstr;

TEST(Process, CapturesStdoutAndStderrWithExtraEnvironment) {
  std::string log = MakeTempDir("process") + "/log";

  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Process> process,
      Process::Start("sh", {"-c", "echo out $GREETING; echo err >&2; exit 3"},
                     {{"GREETING", "hello"}}, log));
  ASSERT_OK_AND_ASSIGN(int status, process->Wait(absl::Seconds(10)));

  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_THAT(process->LogContents(), HasSubstr("out hello\n"));
  EXPECT_THAT(process->LogContents(), HasSubstr("err\n"));
  EXPECT_FALSE(process->Running());
}

TEST(Process, KillStopsTheChildAndItsGroup) {
  std::string dir = MakeTempDir("process");
  // The shell forks sleep into the same process group.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Process> process,
      Process::Start("/bin/sh", {"-c", "sleep 600 & echo started; wait"}, {},
                     dir + "/log"));
  ASSERT_OK(WaitFor(
      [&] { return process->LogContents().find("started") != std::string::npos; },
      absl::Seconds(10)));
  ASSERT_TRUE(process->Running());

  process->Kill();

  EXPECT_FALSE(process->Running());
  // No process is left in the group.
  EXPECT_OK(WaitFor([&] { return ::kill(-process->pid(), 0) != 0; },
                    absl::Seconds(10)));
}

TEST(Process, TerminateStopsAProcessThatHandlesSigterm) {
  std::string log = MakeTempDir("process") + "/log";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> process,
                       Process::Start("sleep", {"600"}, {}, log));

  EXPECT_OK(process->Terminate(absl::Seconds(10)));
  EXPECT_FALSE(process->Running());
}

TEST(Process, TerminateKillsAProcessThatIgnoresSigterm) {
  std::string log = MakeTempDir("process") + "/log";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Process> process,
      Process::Start("sh", {"-c", "trap '' TERM; echo ready; while :; do sleep 1; done"},
                     {}, log));
  ASSERT_OK(WaitFor(
      [&] { return process->LogContents().find("ready") != std::string::npos; },
      absl::Seconds(10)));

  EXPECT_THAT(process->Terminate(absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("killed")));
  EXPECT_FALSE(process->Running());
}

TEST(Process, WaitTimesOutWhileRunning) {
  std::string log = MakeTempDir("process") + "/log";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> process,
                       Process::Start("sleep", {"600"}, {}, log));

  EXPECT_THAT(process->Wait(absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("running")));
}

TEST(Process, StartFailsForAMissingBinary) {
  std::string log = MakeTempDir("process") + "/log";
  EXPECT_THAT(Process::Start("/no/such/binary", {}, {}, log),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such/binary")));
  EXPECT_THAT(Process::Start("no-such-binary-in-path", {}, {}, log),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("PATH")));
}

}  // namespace
}  // namespace tocsin::testing
