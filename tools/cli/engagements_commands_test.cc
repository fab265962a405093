// tocsin engagements list, against a fake escalation service.
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

class EngagementsCommandsTest : public CliTest {};

TEST_F(EngagementsCommandsTest, EngagementsListShowsAnIncidentsEngagements) {
  escalation_v1::Engagement active;
  active.set_id("eng-1");
  active.set_incident_id("inc-1");
  active.set_contact("alice");
  active.set_state(escalation_v1::ENGAGEMENT_STATE_ACTIVE);
  active.set_next_stage(1);
  active.mutable_next_due()->set_seconds(kNewYear2026 + 300);
  active.mutable_start_time()->set_seconds(kNewYear2026);
  active.mutable_contact_snapshot()->add_channels()->set_name("mail");
  active.mutable_contact_snapshot()->add_channels()->set_name("hook");
  escalation_v1::Engagement acked = active;
  acked.set_id("eng-2");
  acked.set_contact("bob");
  acked.set_state(escalation_v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  acked.clear_next_due();
  acked.set_stop_reason("acknowledged by page pg-7");
  escalation_v1::Engagement other = active;
  other.set_id("eng-3");
  other.set_incident_id("inc-2");
  engagements_.AddEngagement(active);
  engagements_.AddEngagement(acked);
  engagements_.AddEngagement(other);

  Result table = Run({"engagements", "list", "--incident", "inc-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.out,
            "ID     INCIDENT  CONTACT  PARENT  STATE         STAGE  NEXT DUE   "
            "           STARTED               STOP REASON\n"
            "eng-1  inc-1     alice    -       active        1      "
            "2026-01-01T00:05:00Z  2026-01-01T00:00:00Z\n"
            "eng-2  inc-1     bob      -       acknowledged  1      -         "
            "            2026-01-01T00:00:00Z  acknowledged by page pg-7\n");

  Result json = Run({"engagements", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  std::vector<std::string> ids;
  for (const auto& engagement : nlohmann::json::parse(json.out)) {
    ids.push_back(engagement["id"]);
  }
  EXPECT_THAT(ids, ElementsAre("eng-1", "eng-3"));
}

TEST_F(EngagementsCommandsTest, EngageStartsAnEngagementAsTheAuthor) {
  Result result = Run({"engage", "sre", "--subject", "Disk full", "--content",
                       "db-1 at 99%", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "engagement/eng-1 started\n");
  const escalation_v1::Engagement started = engagements_.engagement("eng-1");
  EXPECT_EQ(started.contact(), "sre");
  EXPECT_EQ(started.incident_id(), "inc-1");
  EXPECT_EQ(started.sender(), "cli:alice");
  EXPECT_EQ(started.subject(), "Disk full");
  EXPECT_EQ(started.content(), "db-1 at 99%");

  Result missing = Run({"engage", "sre", "--subject", "x"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_THAT(missing.err, HasSubstr("--content TEXT"));
}

// An escalation plan's engagement, the schedule it engaged and the person
// the schedule has on call.
void AddTree(client::FakeEngagementService& engagements) {
  escalation_v1::Engagement root;
  root.set_id("eng-1");
  root.set_root_id("eng-1");
  root.set_incident_id("inc-1");
  root.set_contact("sre-escalation");
  root.set_state(escalation_v1::ENGAGEMENT_STATE_ACTIVE);
  root.set_next_stage(1);
  root.mutable_start_time()->set_seconds(kNewYear2026);
  escalation_v1::Engagement schedule = root;
  schedule.set_id("eng-2");
  schedule.set_parent_id("eng-1");
  schedule.set_contact("primary");
  schedule.set_essential(true);
  escalation_v1::Engagement person = schedule;
  person.set_id("eng-3");
  person.set_parent_id("eng-2");
  person.set_contact("kenji");
  engagements.AddEngagement(root);
  engagements.AddEngagement(schedule);
  engagements.AddEngagement(person);
}

TEST_F(EngagementsCommandsTest, EngagementsShowPrintsTheTree) {
  AddTree(engagements_);

  Result result = Run({"engagements", "show", "eng-2"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, HasSubstr("ID:               eng-2\n"
                                    "Contact:          primary\n"
                                    "Incident:         inc-1\n"
                                    "State:            active\n"));
  EXPECT_THAT(result.out, HasSubstr("Parent:           eng-1\n"));
  EXPECT_THAT(
      result.out,
      HasSubstr("\nTREE       CONTACT         STATE   STAGE  STOP REASON\n"
                "eng-1      sre-escalation  active  1\n"
                "  eng-2    primary         active  1\n"
                "    eng-3  kenji           active  1\n"));

  Result json = Run({"engagements", "show", "eng-3", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  EXPECT_EQ(shown["engagement"]["id"], "eng-3");
  EXPECT_EQ(shown["tree"].size(), 3u);
}

TEST_F(EngagementsCommandsTest, EngagementsStopStopsTheSubtree) {
  AddTree(engagements_);

  Result result = Run({"engagements", "stop", "eng-2", "--reason", "drill"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "engagement/eng-2 stopped\n");
  EXPECT_EQ(engagements_.engagement("eng-2").stop_reason(),
            "drill (cli:alice)");
  EXPECT_EQ(engagements_.engagement("eng-3").state(),
            escalation_v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(engagements_.engagement("eng-1").state(),
            escalation_v1::ENGAGEMENT_STATE_ACTIVE);

  Result unknown = Run({"engagements", "stop", "eng-9"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.err, StartsWith("error: NOT_FOUND: "));
}

}  // namespace
}  // namespace tocsin::cli
