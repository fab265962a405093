#include "tools/cli/format.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::cli {
namespace {

using ::tocsin::incidents::v1::Incident;

TEST(TableTest, AlignsColumnsAndLeavesTheLastUnpadded) {
  Table table;
  table.AddRow({"ID", "STATUS", "TITLE"});
  table.AddRow({"inc-1", "open", "Payments down"});
  table.AddRow({"inc-22", "resolved", ""});
  std::ostringstream out;

  table.Print(out);

  EXPECT_EQ(out.str(),
            "ID      STATUS    TITLE\n"
            "inc-1   open      Payments down\n"
            "inc-22  resolved\n");
}

TEST(TableTest, CountsCharactersNotBytes) {
  Table table;
  table.AddRow({"METRIC", "VALUE", "NOTE"});
  table.AddRow({"détecté", "—", "x"});
  table.AddRow({"resolve", "4m 10s", "y"});
  std::ostringstream out;

  table.Print(out);

  EXPECT_EQ(out.str(),
            "METRIC   VALUE   NOTE\n"
            "détecté  —       x\n"
            "resolve  4m 10s  y\n");
}

TEST(PrintFieldsTest, AlignsValues) {
  std::ostringstream out;

  PrintFields({{"ID", "inc-1"}, {"Response plan", "payments"}, {"Summary", ""}},
              out);

  EXPECT_EQ(out.str(),
            "ID:             inc-1\n"
            "Response plan:  payments\n"
            "Summary:\n");
}

TEST(ToJsonTest, UsesJsonNamesAndIncludesDefaults) {
  Incident incident;
  incident.set_id("inc-1");
  incident.set_status(incidents::v1::INCIDENT_STATUS_OPEN);

  ASSERT_OK_AND_ASSIGN(nlohmann::ordered_json json, ToJson(incident));

  EXPECT_EQ(json["id"], "inc-1");
  EXPECT_EQ(json["status"], "INCIDENT_STATUS_OPEN");
  EXPECT_EQ(json["responsePlan"], "");
  EXPECT_EQ(json["impact"], 0);
}

TEST(ToJsonArrayTest, KeepsOrder) {
  std::vector<Incident> incidents(2);
  incidents[0].set_id("inc-2");
  incidents[1].set_id("inc-1");

  ASSERT_OK_AND_ASSIGN(nlohmann::ordered_json json, ToJsonArray(incidents));

  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["id"], "inc-2");
  EXPECT_EQ(json[1]["id"], "inc-1");
}

TEST(FormatTimestampTest, PrintsUtcOrADashWhenUnset) {
  google::protobuf::Timestamp timestamp;
  EXPECT_EQ(FormatTimestamp(timestamp), "-");
  timestamp.set_seconds(1767259800);
  EXPECT_EQ(FormatTimestamp(timestamp), "2026-01-01T09:30:00Z");
}

TEST(EnumLabelTest, StripsThePrefix) {
  EXPECT_EQ(EnumLabel("INCIDENT_STATUS_OPEN", "INCIDENT_STATUS_"), "open");
  EXPECT_EQ(EnumLabel("ALARM_STATE_INSUFFICIENT_DATA", "ALARM_STATE_"),
            "insufficient_data");
  EXPECT_EQ(EnumLabel("INCIDENT_STATUS_UNSPECIFIED", "INCIDENT_STATUS_"), "-");
}

}  // namespace
}  // namespace tocsin::cli
