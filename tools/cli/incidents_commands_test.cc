// tocsin incidents list|show|resolve|unmatched, against fakes of the incidents
// and paging services.
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

class IncidentsCommandsTest : public CliTest {};

TEST_F(IncidentsCommandsTest, IncidentsListJsonIsAnArrayOfEveryPage) {
  AddThreeIncidents();

  Result result = Run({"incidents", "list", "--output", "json"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  nlohmann::json incidents = nlohmann::json::parse(result.out);
  ASSERT_TRUE(incidents.is_array());
  std::vector<std::string> ids;
  for (const auto& incident : incidents) ids.push_back(incident["id"]);
  EXPECT_THAT(ids, ElementsAre("inc-1", "inc-2", "inc-3"));
  EXPECT_EQ(incidents[1]["status"], "INCIDENT_STATUS_RESOLVED");
}

TEST_F(IncidentsCommandsTest, IncidentsListFiltersAndPrintsATable) {
  AddThreeIncidents();

  Result result = Run({"incidents", "list", "--status", "open"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "ID     STATUS  IMPACT  TITLE             CREATED\n"
            "inc-1  open    2       Payments latency  2026-01-01T00:00:00Z\n"
            "inc-3  open    2       Search down       2026-01-01T00:00:00Z\n");

  Result by_plan =
      Run({"--output=json", "incidents", "list", "--plan", "search"});
  ASSERT_EQ(by_plan.exit_code, kExitOk) << by_plan.err;
  nlohmann::json incidents = nlohmann::json::parse(by_plan.out);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0]["id"], "inc-3");
}

TEST_F(IncidentsCommandsTest, IncidentsShowPrintsTheIncidentAndItsTimeline) {
  AddThreeIncidents();
  for (const auto& [id, type, message] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ev-1", "incident.opened", "Opened by payments"},
           {"ev-2", "alarm", "payments-p99 ALARM"},
           {"ev-3", "note", "Rolling back"}}) {
    v1::TimelineEvent event;
    event.set_id(id);
    event.set_incident_id("inc-1");
    event.set_type(type);
    event.set_message(message);
    event.set_author("incidents");
    event.mutable_event_time()->set_seconds(kNewYear2026 + 60);
    incidents_.AddTimelineEvent(event);
  }

  Result table = Run({"incidents", "show", "inc-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_THAT(table.out, StartsWith("ID:             inc-1\n"
                                    "Title:          Payments latency\n"
                                    "Status:         open\n"));
  EXPECT_THAT(
      table.out,
      HasSubstr(
          "\nTIME                  TYPE             AUTHOR     MESSAGE\n"
          "2026-01-01T00:01:00Z  incident.opened  incidents  Opened by "
          "payments\n"
          "2026-01-01T00:01:00Z  alarm            incidents  payments-p99 "
          "ALARM\n"
          "2026-01-01T00:01:00Z  note             incidents  Rolling back\n"));

  Result json = Run({"incidents", "show", "inc-1", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  EXPECT_EQ(shown["incident"]["id"], "inc-1");
  ASSERT_EQ(shown["timeline"].size(), 3u);
  EXPECT_EQ(shown["timeline"][2]["message"], "Rolling back");
}

TEST_F(IncidentsCommandsTest, IncidentsShowListsTheIncidentsPages) {
  AddThreeIncidents();
  AddThreePages();

  Result table = Run({"incidents", "show", "inc-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.err, "");
  EXPECT_THAT(table.out,
              HasSubstr("\n\nID    CONTACT  CHANNEL     STATE      ATTEMPTS  "
                        "LAST RECEIPT  CREATED\n"
                        "pg-1  alice    work-email  delivered  2         "
                        "-             2026-01-01T00:00:00Z\n"
                        "pg-2  bob      pager       pending    0         "
                        "-             2026-01-01T00:00:00Z\n"));

  Result json = Run({"incidents", "show", "inc-1", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  ASSERT_EQ(shown["pages"].size(), 2u);
  EXPECT_EQ(shown["pages"][1]["id"], "pg-2");
}

TEST_F(IncidentsCommandsTest,
       IncidentsShowWithoutThePagingServiceNotesItAndGoesOn) {
  AddThreeIncidents();
  ASSERT_OK_AND_ASSIGN(const int unused_port,
                       ::tocsin::testing::PickUnusedPort());
  const std::string nowhere = absl::StrCat("127.0.0.1:", unused_port);

  Result table = Run({"incidents", "show", "inc-1", "--paging", nowhere});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_THAT(table.out, StartsWith("ID:             inc-1\n"));
  EXPECT_THAT(table.out, Not(HasSubstr("CONTACT")));
  EXPECT_THAT(table.err, StartsWith(absl::StrCat(
                             "note: pages not shown: paging service at ",
                             nowhere, ": UNAVAILABLE: ")));
  EXPECT_EQ(std::count(table.err.begin(), table.err.end(), '\n'), 1);

  Result json = Run(
      {"incidents", "show", "inc-1", "--output", "json", "--paging", nowhere});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  EXPECT_EQ(shown["incident"]["id"], "inc-1");
  EXPECT_FALSE(shown.contains("pages"));
}

TEST_F(IncidentsCommandsTest, IncidentsResolveRecordsTheCliAuthorAndNote) {
  AddThreeIncidents();

  Result result =
      Run({"incidents", "resolve", "inc-1", "--note", "rolled back"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "incident/inc-1 resolved\n");
  ASSERT_EQ(incidents_.resolves().size(), 1u);
  EXPECT_EQ(incidents_.resolves()[0].id(), "inc-1");
  EXPECT_EQ(incidents_.resolves()[0].author(), "cli:alice");
  EXPECT_EQ(incidents_.resolves()[0].note(), "rolled back");
  EXPECT_EQ(incidents_.incident("inc-1").status(),
            v1::INCIDENT_STATUS_RESOLVED);
}

TEST_F(IncidentsCommandsTest, AuthorFlagOverridesTheUser) {
  AddThreeIncidents();

  Result result = Run({"--author", "bob", "incidents", "resolve", "inc-3"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_EQ(incidents_.resolves().size(), 1u);
  EXPECT_EQ(incidents_.resolves()[0].author(), "cli:bob");
}

TEST_F(IncidentsCommandsTest, IncidentsResolveOfAnUnknownIdFails) {
  Result result = Run({"incidents", "resolve", "inc-404"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err, "error: NOT_FOUND: incident \"inc-404\" not found\n");
}

TEST_F(IncidentsCommandsTest, ResolveWithoutAnyAuthorIsAUsageError) {
  GlobalOptions defaults;
  defaults.server = address_;
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;

  const int exit_code = RunCli({"incidents", "resolve", "inc-1"}, defaults,
                               ConnectInsecure, in, out, err);

  EXPECT_EQ(exit_code, kExitUsage);
  EXPECT_THAT(err.str(),
              StartsWith("error: \"incidents resolve\" needs --author"));
  EXPECT_THAT(incidents_.resolves(), IsEmpty());
}

TEST_F(IncidentsCommandsTest, IncidentsUnmatchedListsEveryAlarm) {
  for (const std::string name : {"orders-5xx", "disk-full", "cpu-high"}) {
    v1::UnmatchedAlarm unmatched;
    unmatched.mutable_alarm()->set_alarm_name(name);
    unmatched.mutable_alarm()->set_state(v1::ALARM_STATE_ALARM);
    unmatched.mutable_alarm()->set_source("aws.cloudwatch");
    unmatched.mutable_alarm()->set_account("111111111111");
    unmatched.mutable_alarm()->set_region("eu-west-1");
    unmatched.mutable_receive_time()->set_seconds(kNewYear2026);
    incidents_.AddUnmatched(unmatched);
  }

  Result result = Run({"incidents", "unmatched"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "RECEIVED              STATE  SOURCE          ACCOUNT       REGION "
            "    ALARM\n"
            "2026-01-01T00:00:00Z  alarm  aws.cloudwatch  111111111111  "
            "eu-west-1  orders-5xx\n"
            "2026-01-01T00:00:00Z  alarm  aws.cloudwatch  111111111111  "
            "eu-west-1  disk-full\n"
            "2026-01-01T00:00:00Z  alarm  aws.cloudwatch  111111111111  "
            "eu-west-1  cpu-high\n");
}

TEST_F(IncidentsCommandsTest, IncidentsMarkRefusesANameThatIsNotAWordBeforeAsking) {
  for (const char* bad : {"Mitigated", "mitigated now", "a_b", "9lives"}) {
    Result result = Run({"incidents", "mark", "inc-1", bad});
    EXPECT_NE(result.exit_code, kExitOk) << bad << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("must be a lower-case word")) << bad;
  }
}

}  // namespace
}  // namespace tocsin::cli
