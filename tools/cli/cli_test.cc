// What every command shares: help, usage errors, global flags.
#include "tools/cli/cli.h"

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

TEST_F(CliTest, HelpListsEveryCommand) {
  Result result = Run({"help"});

  EXPECT_EQ(result.exit_code, kExitOk);
  for (const char* command :
       {"incidents list [--status open|resolved] [--plan NAME]",
        "incidents show ID",
        "incidents resolve ID [--note TEXT]",
        "incidents unmatched",
        "plans list",
        "plans show NAME",
        "plans create -f FILE",
        "contacts list",
        "contacts show NAME",
        "contacts create -f FILE",
        "engagements list [--incident ID]",
        "pages list --incident ID",
        "pages show PAGE_ID",
        "pages ack PAGE_ID --code CODE",
        "chat list",
        "chat show NAME [--limit N]",
        "chat test NAME",
        "chat retry POST_ID",
        "chat delete NAME",
        "apply -f FILE",
        "--server HOST:PORT",
        "--escalation HOST:PORT",
        "--paging HOST:PORT",
        "--output table|json",
        "--timeout DURATION",
        "--author USER"}) {
    EXPECT_THAT(result.out, HasSubstr(command));
  }
}

TEST_F(CliTest, HelpAndDashDashHelpPrintTheSameOverview) {
  Result help = Run({"help"});
  Result dash = Run({"--help"});
  Result short_flag = Run({"-h"});

  EXPECT_EQ(dash.exit_code, kExitOk);
  EXPECT_EQ(dash.out, help.out);
  EXPECT_EQ(short_flag.out, help.out);
  EXPECT_EQ(dash.err, "");
  EXPECT_THAT(help.out, StartsWith("Usage: tocsin [global flags] <command>"));
  for (const char* line :
       {"deadletters list [--service NAME] [--all] [--limit N]",
        "deadletters replay ID", "--runbook HOST:PORT",
        "--postmortem HOST:PORT", "$TOCSIN_RUNBOOK_ADDR",
        "$TOCSIN_POSTMORTEM_ADDR"}) {
    EXPECT_THAT(help.out, HasSubstr(line));
  }
}

TEST_F(CliTest, EachCommandHasItsOwnHelp) {
  AddThreePages();

  Result result = Run({"pages", "ack", "--help"});

  EXPECT_EQ(result.exit_code, kExitOk);
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(result.out,
              StartsWith("Acknowledge a page with its accept code.\n"
                         "Usage: tocsin pages ack [OPTIONS] PAGE_ID\n"));
  EXPECT_THAT(result.out, HasSubstr("--code CODE REQUIRED"));
  EXPECT_THAT(result.out, HasSubstr("tocsin --help"));
  // Help runs nothing, even with the arguments the command needs.
  EXPECT_EQ(Run({"pages", "ack", "pg-2", "--code", "code-pg-2", "--help"}).out,
            result.out);
  EXPECT_THAT(paging_.accepts(), IsEmpty());
  // `tocsin help pages ack` says the same.
  EXPECT_EQ(Run({"help", "pages", "ack"}).out, result.out);
}

TEST_F(CliTest, EveryCommandsHelpShowsItsArgumentsAndFlags) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"incidents", "list"}, "--status open|resolved"},
      {{"incidents", "show"}, "Usage: tocsin incidents show [OPTIONS] ID"},
      {{"incidents", "resolve"}, "--note TEXT"},
      {{"incidents", "unmatched"}, "Usage: tocsin incidents unmatched"},
      {{"plans", "list"}, "Usage: tocsin plans list"},
      {{"plans", "show"}, "Usage: tocsin plans show [OPTIONS] NAME"},
      {{"plans", "create"}, "-f FILE REQUIRED"},
      {{"contacts", "list"}, "Usage: tocsin contacts list"},
      {{"contacts", "show"}, "Usage: tocsin contacts show [OPTIONS] NAME"},
      {{"contacts", "create"}, "-f FILE REQUIRED"},
      {{"engagements", "list"}, "--incident ID"},
      {{"pages", "list"}, "--incident ID REQUIRED"},
      {{"pages", "show"}, "Usage: tocsin pages show [OPTIONS] PAGE_ID"},
      {{"apply"}, "-f FILE REQUIRED"},
      {{"chat", "show"}, "Usage: tocsin chat show [OPTIONS] NAME"},
      {{"chat"}, "retry"},
      {{"deadletters", "list"}, "--service NAME"},
      {{"deadletters", "replay"},
       "Usage: tocsin deadletters replay [OPTIONS] ID"},
      {{"incidents"}, "resolve"},
      {{"deadletters"}, "replay"},
  };
  for (const auto& [command, expected] : cases) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    Result result = Run(args);
    EXPECT_EQ(result.exit_code, kExitOk) << args[0];
    EXPECT_THAT(result.out, HasSubstr(expected)) << args[0];
  }
}

TEST_F(CliTest, NoArgumentsIsAUsageError) {
  Result result = RunWith(GlobalOptions(), {});

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: no command given\n"
            "Run \"tocsin --help\" for the commands.\n");
}

TEST_F(CliTest, CommandLineMistakesAreOneLineAndAHintToHelp) {
  // The command line, the mistake, and the command whose --help to run.
  const std::vector<
      std::tuple<std::vector<std::string>, std::string, std::string>>
      cases = {
          {{"bogus"}, "unknown command \"bogus\"", ""},
          {{"--output", "json", "bogus"}, "unknown command \"bogus\"", ""},
          {{"incidents"},
           "\"incidents\" needs one of: list, show, resolve, mark, unmatched",
           "incidents"},
          {{"incidents", "close"},
           "unknown command \"incidents close\"",
           "incidents"},
          {{"incidents", "show"},
           "\"incidents show\" needs ID",
           "incidents show"},
          {{"incidents", "show", "inc-1", "inc-2"},
           "unexpected argument \"inc-2\" for \"incidents show\"",
           "incidents show"},
          {{"incidents", "show", "inc-1", "list"},
           "unexpected argument \"list\" for \"incidents show\"",
           "incidents show"},
          {{"incidents", "list", "--status", "closed"},
           "--status: must be one of open, resolved, not \"closed\"",
           "incidents list"},
          {{"incidents", "list", "--note", "x"},
           "unknown flag --note for \"incidents list\"",
           "incidents list"},
          {{"incidents", "list", "--note=x"},
           "unknown flag --note for \"incidents list\"",
           "incidents list"},
          {{"apply"}, "\"apply\" needs -f FILE", "apply"},
          {{"pages", "ack", "pg-2"},
           "\"pages ack\" needs --code CODE",
           "pages ack"},
          {{"pages", "list"},
           "\"pages list\" needs --incident ID",
           "pages list"},
          {{"plans", "list", "--timeout", "10"},
           "--timeout: \"10\" is not a positive duration such as 10s",
           "plans list"},
          {{"plans", "list", "--output", "yaml"},
           "--output: must be one of table, json, not \"yaml\"",
           "plans list"},
          {{"plans", "show", "x", "--output"},
           "flag --output needs a value",
           "plans show"},
          {{"plans", "list", "--output", "json", "--output", "table"},
           "flag --output given more than once",
           "plans list"},
          {{"deadletters", "list", "--service", "gateway"},
           "--service: must be one of incidents, escalation, paging, runbook, "
           "postmortem, not \"gateway\"",
           "deadletters list"},
          {{"deadletters", "list", "--limit", "0"},
           "--limit: Value 0 not in range 1 to 1000",
           "deadletters list"},
          {{"deadletters", "replay"},
           "\"deadletters replay\" needs ID",
           "deadletters replay"},
          {{"help", "nope"}, "unknown command \"nope\"", ""},
      };
  for (const auto& [args, mistake, command] : cases) {
    Result result = Run(args);
    const std::string hint = command.empty()
                                 ? "Run \"tocsin --help\" for the commands.\n"
                                 : absl::StrCat("Run \"tocsin ", command,
                                                " --help\" for its usage.\n");
    EXPECT_EQ(result.exit_code, kExitUsage) << args[0];
    EXPECT_EQ(result.out, "") << args[0];
    EXPECT_EQ(result.err, absl::StrCat("error: ", mistake, "\n", hint))
        << args[0];
  }
  EXPECT_EQ(plans_.writes(), 0);
  EXPECT_THAT(paging_.accepts(), IsEmpty());
}

TEST_F(CliTest, GlobalFlagsMayComeAnywhere) {
  AddThreeIncidents();
  GlobalOptions nowhere = Defaults();
  ASSERT_OK_AND_ASSIGN(const int unused_port,
                       ::tocsin::testing::PickUnusedPort());
  nowhere.server = absl::StrCat("127.0.0.1:", unused_port);

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--server", address_, "--output", "json", "incidents", "list"},
           {"incidents", "--server", address_, "list", "--output=json"},
           {"incidents", "list", "--output", "json", "--server=" + address_},
       }) {
    Result result = RunWith(nowhere, args);
    ASSERT_EQ(result.exit_code, kExitOk) << result.err;
    EXPECT_EQ(nlohmann::json::parse(result.out).size(), 3u);
  }
}

TEST_F(CliTest, ServiceErrorsExitOneWithTheServersMessage) {
  Result result = Run({"incidents", "show", "inc-404"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: NOT_FOUND: incident \"inc-404\" not found\n");
}

TEST_F(CliTest, EachServiceHasItsOwnAddressFlag) {
  AddThreeIncidents();
  AddThreePages();
  GlobalOptions defaults;
  defaults.author = "alice";
  // Nothing listens on the defaults: only the flags lead to the fakes.
  ASSERT_OK_AND_ASSIGN(const int unused_port,
                       ::tocsin::testing::PickUnusedPort());
  defaults.server = defaults.escalation = defaults.paging = defaults.runbook =
      defaults.postmortem = absl::StrCat("127.0.0.1:", unused_port);
  auto run = [&](const std::vector<std::string>& args) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    return RunCli(args, defaults, ConnectInsecure, in, out, err);
  };

  EXPECT_EQ(run({"--server", address_, "incidents", "list"}), kExitOk);
  EXPECT_EQ(run({"--incidents", address_, "incidents", "list"}), kExitOk);
  EXPECT_EQ(run({"--escalation", address_, "contacts", "list"}), kExitOk);
  EXPECT_EQ(run({"--paging", address_, "pages", "list", "--incident", "x"}),
            kExitOk);
  EXPECT_EQ(run({"--server", address_, "contacts", "list"}), kExitFailed);
  EXPECT_EQ(run({"--escalation", address_, "incidents", "list"}), kExitFailed);
}

TEST_F(CliTest, ServerAndItsAliasTogetherIsAUsageError) {
  Result result =
      Run({"--server", address_, "--incidents", address_, "incidents", "list"});

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err,
              StartsWith("error: flag --server given more than once "
                         "(--server and --incidents are one flag)\n"));
}

}  // namespace
}  // namespace tocsin::cli
