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
            "ID     INCIDENT  CONTACT  STATE         PAGED  NEXT DUE        "
            "      STARTED               STOP REASON\n"
            "eng-1  inc-1     alice    active        1/2    "
            "2026-01-01T00:05:00Z  2026-01-01T00:00:00Z\n"
            "eng-2  inc-1     bob      acknowledged  1/2    -                 "
            "    2026-01-01T00:00:00Z  acknowledged by page pg-7\n");

  Result json = Run({"engagements", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  std::vector<std::string> ids;
  for (const auto& engagement : nlohmann::json::parse(json.out)) {
    ids.push_back(engagement["id"]);
  }
  EXPECT_THAT(ids, ElementsAre("eng-1", "eng-3"));
}

}  // namespace
}  // namespace tocsin::cli
