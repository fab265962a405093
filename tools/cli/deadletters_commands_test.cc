// tocsin deadletters list|replay, against a fake AdminService per service,
// each on its own in-process gRPC server as each service has its own port.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/fake_admin_service.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tocsin/admin/v1/admin.pb.h"
#include "tools/cli/cli.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

namespace admin_v1 = ::tocsin::admin::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

admin_v1::DeadLetter MakeDeadLetter(const std::string& service, int n,
                                    int64_t minutes_after_new_year) {
  admin_v1::DeadLetter letter;
  letter.set_id(absl::StrCat(service, "-", n));
  letter.set_service(service);
  letter.set_source(absl::StrCat("consumer:", service));
  letter.set_event_id(absl::StrCat("ev-", service, "-", n));
  letter.set_event_type("page.requested");
  letter.set_incident_id("inc-1");
  letter.set_error("payload does not parse");
  letter.set_attempts(10);
  letter.set_subject("tocsin.paging.page.requested");
  letter.set_size_bytes(512);
  letter.mutable_create_time()->set_seconds(kNewYear2026 +
                                            60 * minutes_after_new_year);
  return letter;
}

class DeadLettersCommandsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    for (const char* service :
         {"incidents", "escalation", "paging", "runbook", "postmortem"}) {
      admins_[service] = std::make_unique<client::FakeAdminService>();
    }
  }

  // Serves every service's fake AdminService on its own port, except those
  // in `unreachable`, whose address nothing listens on. Returns the options
  // that point at them.
  GlobalOptions ServeAdmins(const std::vector<std::string>& unreachable = {}) {
    std::map<std::string, std::string> addresses;
    for (const auto& [service, admin] : admins_) {
      if (std::find(unreachable.begin(), unreachable.end(), service) !=
          unreachable.end()) {
        absl::StatusOr<int> port = ::tocsin::testing::PickUnusedPort();
        EXPECT_TRUE(port.ok()) << port.status();
        addresses[service] = absl::StrCat("127.0.0.1:", port.value_or(1));
        continue;
      }
      absl::StatusOr<std::unique_ptr<client::TestServer>> server =
          client::TestServer::Start({admin.get()});
      EXPECT_TRUE(server.ok()) << server.status();
      addresses[service] = (*server)->address();
      servers_.push_back(std::move(*server));
    }
    GlobalOptions options = Defaults();
    options.server = addresses["incidents"];
    options.escalation = addresses["escalation"];
    options.paging = addresses["paging"];
    options.runbook = addresses["runbook"];
    options.postmortem = addresses["postmortem"];
    options.timeout = absl::Seconds(5);
    return options;
  }

  client::FakeAdminService& admin(const std::string& service) {
    return *admins_.at(service);
  }

  std::map<std::string, std::unique_ptr<client::FakeAdminService>> admins_;
  std::vector<std::unique_ptr<client::TestServer>> servers_;
};

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST_F(DeadLettersCommandsTest, ListMergesEveryServiceNewestFirst) {
  admin("paging").AddDeadLetter(MakeDeadLetter("paging", 1, 5));
  admin("paging").AddDeadLetter(MakeDeadLetter("paging", 2, 30));
  admin_v1::DeadLetter outbox = MakeDeadLetter("incidents", 7, 20);
  outbox.set_source("outbox");
  outbox.set_event_type("incident.opened");
  outbox.clear_incident_id();
  outbox.set_attempts(1);
  outbox.set_error("message exceeds the maximum payload");
  admin("incidents").AddDeadLetter(outbox);
  admin("postmortem").AddDeadLetter(MakeDeadLetter("postmortem", 3, 10));
  const GlobalOptions options = ServeAdmins();

  Result result = RunWith(options, {"deadletters", "list"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(
      result.out,
      "ID            SERVICE     SOURCE               EVENT TYPE       "
      "INCIDENT  ATTEMPTS  CREATED               ERROR\n"
      "paging-2      paging      consumer:paging      page.requested   "
      "inc-1     10        2026-01-01T00:30:00Z  payload does not parse\n"
      "incidents-7   incidents   outbox               incident.opened  "
      "-         1         2026-01-01T00:20:00Z  message exceeds the "
      "maximum payload\n"
      "postmortem-3  postmortem  consumer:postmortem  page.requested   "
      "inc-1     10        2026-01-01T00:10:00Z  payload does not parse\n"
      "paging-1      paging      consumer:paging      page.requested   "
      "inc-1     10        2026-01-01T00:05:00Z  payload does not parse\n");
  // Every service was asked once, for letters not yet replayed.
  for (const auto& [service, fake] : admins_) {
    ASSERT_THAT(fake->lists(), SizeIs(1)) << service;
    EXPECT_FALSE(fake->lists()[0].include_replayed()) << service;
  }
}

TEST_F(DeadLettersCommandsTest, ListAllShowsReplayedOnesAndWhen) {
  admin_v1::DeadLetter replayed = MakeDeadLetter("escalation", 4, 1);
  replayed.mutable_replay_time()->set_seconds(kNewYear2026 + 3600);
  admin("escalation").AddDeadLetter(replayed);
  admin("escalation").AddDeadLetter(MakeDeadLetter("escalation", 5, 2));
  const GlobalOptions options = ServeAdmins();

  Result pending = RunWith(options, {"deadletters", "list"});
  Result all = RunWith(options, {"deadletters", "list", "--all"});

  ASSERT_EQ(pending.exit_code, kExitOk) << pending.err;
  EXPECT_THAT(Lines(pending.out), SizeIs(2));
  EXPECT_THAT(pending.out, Not(HasSubstr("escalation-4")));
  ASSERT_EQ(all.exit_code, kExitOk) << all.err;
  const std::vector<std::string> lines = Lines(all.out);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(lines[0],
              HasSubstr("CREATED               REPLAYED              ERROR"));
  EXPECT_THAT(lines[1], StartsWith("escalation-5"));
  EXPECT_THAT(lines[1],
              HasSubstr("2026-01-01T00:02:00Z  -                     payload"));
  EXPECT_THAT(lines[2], StartsWith("escalation-4"));
  EXPECT_THAT(lines[2],
              HasSubstr("2026-01-01T00:01:00Z  2026-01-01T01:00:00Z  payload"));
  EXPECT_TRUE(admin("escalation").lists().back().include_replayed());
}

TEST_F(DeadLettersCommandsTest, ListOfOneServiceAsksOnlyIt) {
  admin("paging").AddDeadLetter(MakeDeadLetter("paging", 1, 5));
  admin("runbook").AddDeadLetter(MakeDeadLetter("runbook", 1, 6));
  const GlobalOptions options = ServeAdmins();

  Result result =
      RunWith(options, {"deadletters", "list", "--service", "paging"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[1], StartsWith("paging-1 "));
  EXPECT_THAT(admin("paging").lists(), SizeIs(1));
  EXPECT_THAT(admin("runbook").lists(), IsEmpty());
  EXPECT_THAT(admin("incidents").lists(), IsEmpty());
}

TEST_F(DeadLettersCommandsTest, ListLimitKeepsTheNewestOfAll) {
  for (int i = 1; i <= 3; ++i) {
    admin("paging").AddDeadLetter(MakeDeadLetter("paging", i, i));
    admin("runbook").AddDeadLetter(MakeDeadLetter("runbook", i, 10 + i));
  }
  const GlobalOptions options = ServeAdmins();

  Result result = RunWith(
      options, {"deadletters", "list", "--limit", "2", "--output", "json"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  std::vector<std::string> ids;
  for (const auto& letter : nlohmann::json::parse(result.out)) {
    ids.push_back(letter["id"]);
  }
  EXPECT_THAT(ids, ElementsAre("runbook-3", "runbook-2"));
  EXPECT_EQ(admin("paging").lists()[0].limit(), 2);
}

TEST_F(DeadLettersCommandsTest, ListJsonHasTheDeadLettersFieldsInCamelCase) {
  admin_v1::DeadLetter letter = MakeDeadLetter("paging", 17, 5);
  letter.set_error(std::string(500, 'x'));
  admin("paging").AddDeadLetter(letter);
  const GlobalOptions options = ServeAdmins();

  Result json = RunWith(options, {"--output", "json", "deadletters", "list"});
  Result table = RunWith(options, {"deadletters", "list"});

  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  const nlohmann::json letters = nlohmann::json::parse(json.out);
  ASSERT_TRUE(letters.is_array());
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["id"], "paging-17");
  EXPECT_EQ(letters[0]["service"], "paging");
  EXPECT_EQ(letters[0]["source"], "consumer:paging");
  EXPECT_EQ(letters[0]["eventId"], "ev-paging-17");
  EXPECT_EQ(letters[0]["eventType"], "page.requested");
  EXPECT_EQ(letters[0]["incidentId"], "inc-1");
  EXPECT_EQ(letters[0]["attempts"], "10");  // int64 is a string in JSON
  EXPECT_EQ(letters[0]["createTime"], "2026-01-01T00:05:00Z");
  EXPECT_EQ(letters[0]["subject"], "tocsin.paging.page.requested");
  EXPECT_EQ(letters[0]["sizeBytes"], "512");
  // The whole error in JSON, a shortened one in the table.
  EXPECT_EQ(letters[0]["error"], std::string(500, 'x'));
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  const std::vector<std::string> lines = Lines(table.out);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[1], HasSubstr("…[truncated"));
  EXPECT_LT(lines[1].size(), 200u);
}

TEST_F(DeadLettersCommandsTest,
       AnUnreachableServiceIsReportedAndTheOthersListed) {
  admin("incidents").AddDeadLetter(MakeDeadLetter("incidents", 1, 1));
  admin("postmortem").AddDeadLetter(MakeDeadLetter("postmortem", 2, 2));
  const GlobalOptions options = ServeAdmins({"paging"});

  Result result = RunWith(options, {"deadletters", "list"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(lines[1], StartsWith("postmortem-2 "));
  EXPECT_THAT(lines[2], StartsWith("incidents-1 "));
  const std::vector<std::string> errors = Lines(result.err);
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_THAT(errors[0],
              StartsWith(absl::StrCat("error: paging (", options.paging,
                                      "): unavailable: ")));
  EXPECT_EQ(errors[1], "error: UNAVAILABLE: dead letters of paging not listed");
}

TEST_F(DeadLettersCommandsTest, ReplaySendsTheIdToTheServiceThatHoldsIt) {
  admin("paging").AddDeadLetter(MakeDeadLetter("paging", 17, 5));
  const GlobalOptions options = ServeAdmins();

  Result result = RunWith(options, {"deadletters", "replay", "paging-17"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "deadletter/paging-17 replayed\n");
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(admin("paging").replays(), ElementsAre("paging-17"));
  EXPECT_TRUE(admin("paging").dead_letter("paging-17").has_replay_time());
  for (const char* other :
       {"incidents", "escalation", "runbook", "postmortem"}) {
    EXPECT_THAT(admin(other).replays(), IsEmpty()) << other;
  }
}

TEST_F(DeadLettersCommandsTest, ReplayErrorsNameTheServiceAndKeepTheCode) {
  admin_v1::DeadLetter replayed = MakeDeadLetter("runbook", 2, 5);
  replayed.mutable_replay_time()->set_seconds(kNewYear2026 + 600);
  admin("runbook").AddDeadLetter(replayed);
  admin("escalation").AddDeadLetter(MakeDeadLetter("escalation", 3, 5));
  admin("escalation")
      .FailReplays(absl::InvalidArgumentError("incident \"inc-1\" unknown"));
  const GlobalOptions options = ServeAdmins();

  Result missing = RunWith(options, {"deadletters", "replay", "paging-9"});
  Result again = RunWith(options, {"deadletters", "replay", "runbook-2"});
  Result failing = RunWith(options, {"deadletters", "replay", "escalation-3"});

  EXPECT_EQ(missing.exit_code, kExitFailed);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err,
            absl::StrCat("error: NOT_FOUND: paging (", options.paging,
                         "): dead letter \"paging-9\" not found\n"));
  EXPECT_EQ(again.exit_code, kExitFailed);
  EXPECT_THAT(again.err,
              StartsWith(absl::StrCat("error: FAILED_PRECONDITION: runbook (",
                                      options.runbook,
                                      "): dead letter \"runbook-2\" was "
                                      "replayed")));
  EXPECT_EQ(failing.exit_code, kExitFailed);
  EXPECT_EQ(failing.err, absl::StrCat("error: INVALID_ARGUMENT: escalation (",
                                      options.escalation,
                                      "): incident \"inc-1\" unknown\n"));
  EXPECT_FALSE(
      admin("escalation").dead_letter("escalation-3").has_replay_time());
}

TEST_F(DeadLettersCommandsTest, ReplayOfAnUnreachableServiceFails) {
  const GlobalOptions options = ServeAdmins({"postmortem"});

  Result result = RunWith(options, {"deadletters", "replay", "postmortem-1"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err,
              StartsWith(absl::StrCat("error: UNAVAILABLE: postmortem (",
                                      options.postmortem, "): ")));
}

TEST_F(DeadLettersCommandsTest,
       ReplayOfAMalformedIdIsAUsageErrorAndSendsNothing) {
  const GlobalOptions options = ServeAdmins();

  for (const char* id : {"paging", "paging-x", "gateway-3", "paging-"}) {
    Result result = RunWith(options, {"deadletters", "replay", id});

    EXPECT_EQ(result.exit_code, kExitUsage) << id;
    EXPECT_THAT(result.err, StartsWith("error: ID: dead letter id")) << id;
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("\"", id, "\""))) << id;
  }
  for (const auto& [service, fake] : admins_) {
    EXPECT_THAT(fake->replays(), IsEmpty()) << service;
  }
}

}  // namespace
}  // namespace tocsin::cli
