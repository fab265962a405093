#include "services/gateway/eventbridge.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::gateway {
namespace {

using ::nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::tocsin::incidents::v1::Alarm;
using ::tocsin::incidents::v1::AlarmKind;
using ::tocsin::incidents::v1::AlarmState;
using ::tocsin::testing::StatusIs;

constexpr char kSingleMetric[] = "single-metric-alarm.json";
constexpr char kMetricMath[] = "metric-math-alarm.json";
constexpr char kConfigChange[] = "config-change-metric-alarm.json";

std::string FixtureText(const std::string& name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string path =
      absl::StrCat(srcdir ? srcdir : ".", "/", workspace ? workspace : "tocsin",
                   "/testdata/fixtures/eventbridge/", name);
  std::ifstream file(path);
  if (!file) ADD_FAILURE() << "cannot read fixture " << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

json Fixture(const std::string& name) { return json::parse(FixtureText(name)); }

// A fixture changed by `edit`, as a request body.
std::string Variant(const std::string& name,
                    const std::function<void(json&)>& edit) {
  json event = Fixture(name);
  edit(event);
  return event.dump();
}

// Milliseconds since the epoch of a Timestamp, and of a UTC civil time.
int64_t Millis(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1000000;
}
int64_t UtcMillis(int y, int mo, int d, int h, int mi, int s, int ms) {
  return absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                      absl::UTCTimeZone()) +
      absl::Milliseconds(ms));
}

// ---- The AWS sample events, field by field ----

TEST(ParseEventBridgeBody, SingleMetricAlarm) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(FixtureText(kSingleMetric)));
  ASSERT_EQ(alarms.size(), 1u);
  const Alarm& a = alarms[0];
  EXPECT_EQ(a.event_id(), "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92");
  EXPECT_EQ(a.source(), "aws.cloudwatch");
  EXPECT_EQ(a.detail_type(), "CloudWatch Alarm State Change");
  EXPECT_EQ(a.account(), "123456789012");
  EXPECT_EQ(a.region(), "us-east-1");
  EXPECT_EQ(a.alarm_arn(),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
  EXPECT_EQ(a.alarm_name(), "ServerCpuTooHigh");
  EXPECT_EQ(a.state(), AlarmState::ALARM_STATE_ALARM);
  EXPECT_EQ(a.previous_state(), AlarmState::ALARM_STATE_OK);
  EXPECT_THAT(a.reason(),
              StartsWith("Threshold Crossed: 1 out of the last 1 datapoints "
                         "[99.50160229693434 (02/10/19 16:59:00)]"));
  EXPECT_EQ(Millis(a.state_time()), UtcMillis(2019, 10, 2, 17, 4, 40, 989));
  EXPECT_EQ(Millis(a.event_time()), UtcMillis(2019, 10, 2, 17, 4, 40, 0));
  EXPECT_EQ(a.kind(), AlarmKind::ALARM_KIND_METRIC);
  EXPECT_EQ(a.description(),
            "Goes into alarm when server CPU utilization is too high!");
  EXPECT_EQ(a.alarm_rule(), "");
  EXPECT_THAT(a.triggering_alarms(), IsEmpty());
  EXPECT_EQ(a.actions_suppressed_by(), "");
  EXPECT_FALSE(a.muted());
  EXPECT_EQ(json::parse(a.detail_json()), Fixture(kSingleMetric)["detail"]);
}

TEST(ParseEventBridgeBody, MetricMathAlarm) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(FixtureText(kMetricMath)));
  ASSERT_EQ(alarms.size(), 1u);
  const Alarm& a = alarms[0];
  EXPECT_EQ(a.event_id(), "2dde0eb1-528b-d2d5-9ca6-6d590caf2329");
  EXPECT_EQ(a.source(), "aws.cloudwatch");
  EXPECT_EQ(a.detail_type(), "CloudWatch Alarm State Change");
  EXPECT_EQ(a.account(), "123456789012");
  EXPECT_EQ(a.region(), "us-east-1");
  EXPECT_EQ(a.alarm_arn(),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
            "TotalNetworkTrafficTooHigh");
  EXPECT_EQ(a.alarm_name(), "TotalNetworkTrafficTooHigh");
  EXPECT_EQ(a.state(), AlarmState::ALARM_STATE_ALARM);
  EXPECT_EQ(a.previous_state(), AlarmState::ALARM_STATE_INSUFFICIENT_DATA);
  EXPECT_THAT(a.reason(), StartsWith("Threshold Crossed: 1 out of the last 1 "
                                     "datapoints [45628.0"));
  EXPECT_EQ(Millis(a.state_time()), UtcMillis(2019, 10, 2, 17, 20, 48, 554));
  EXPECT_EQ(Millis(a.event_time()), UtcMillis(2019, 10, 2, 17, 20, 48, 0));
  EXPECT_EQ(a.kind(), AlarmKind::ALARM_KIND_METRIC_MATH);
  EXPECT_EQ(a.description(),
            "Goes into alarm if total network traffic exceeds 10Kb");
  EXPECT_FALSE(a.muted());
  EXPECT_EQ(json::parse(a.detail_json()), Fixture(kMetricMath)["detail"]);
}

TEST(ParseEventBridgeBody, ConfigurationChange) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(FixtureText(kConfigChange)));
  ASSERT_EQ(alarms.size(), 1u);
  const Alarm& a = alarms[0];
  EXPECT_EQ(a.event_id(), "bc7d3391-47f8-ae47-f457-1b4d06118d50");
  EXPECT_EQ(a.source(), "aws.cloudwatch");
  EXPECT_EQ(a.detail_type(), "CloudWatch Alarm Configuration Change");
  EXPECT_EQ(a.account(), "123456789012");
  EXPECT_EQ(a.region(), "us-east-1");
  EXPECT_EQ(a.alarm_arn(),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
  EXPECT_EQ(a.alarm_name(), "ServerCpuTooHigh");
  EXPECT_EQ(a.kind(), AlarmKind::ALARM_KIND_CONFIGURATION_CHANGE);
  // The detail carries the alarm's current state.
  EXPECT_EQ(a.state(), AlarmState::ALARM_STATE_INSUFFICIENT_DATA);
  EXPECT_EQ(a.previous_state(), AlarmState::ALARM_STATE_UNSPECIFIED);
  EXPECT_EQ(Millis(a.state_time()), UtcMillis(2022, 3, 3, 17, 6, 13, 757));
  EXPECT_EQ(Millis(a.event_time()), UtcMillis(2022, 3, 3, 17, 6, 34, 0));
  EXPECT_EQ(a.description(),
            "Goes into alarm when server CPU utilization is too high!");
  EXPECT_FALSE(a.muted());
  EXPECT_EQ(json::parse(a.detail_json()), Fixture(kConfigChange)["detail"]);
}

// ---- Variants built from the samples ----

TEST(ParseEventBridgeBody, OkState) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["detail"]["state"]["value"] = "OK";
                         e["detail"]["previousState"]["value"] = "ALARM";
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].state(), AlarmState::ALARM_STATE_OK);
  EXPECT_EQ(alarms[0].previous_state(), AlarmState::ALARM_STATE_ALARM);
}

TEST(ParseEventBridgeBody, InsufficientDataState) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["detail"]["state"]["value"] = "INSUFFICIENT_DATA";
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].state(), AlarmState::ALARM_STATE_INSUFFICIENT_DATA);
}

TEST(ParseEventBridgeBody, WithoutPreviousStateOrDescription) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["detail"].erase("previousState");
                         e["detail"]["configuration"].erase("description");
                         e["detail"]["state"].erase("reason");
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].previous_state(), AlarmState::ALARM_STATE_UNSPECIFIED);
  EXPECT_EQ(alarms[0].description(), "");
  EXPECT_EQ(alarms[0].reason(), "");
  EXPECT_EQ(alarms[0].kind(), AlarmKind::ALARM_KIND_METRIC);
}

// The composite alarm shape from the AWS CloudWatch documentation: the rule in
// the configuration, the children in the state's reasonData (a JSON string),
// the suppression in the state.
void MakeComposite(json& e) {
  const std::string arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:";
  e["resources"] = {arn + "CompositeDemo.Main"};
  e["detail"]["alarmName"] = "CompositeDemo.Main";
  e["detail"]["configuration"] = {
      {"alarmRule",
       "ALARM(CompositeDemo.FirstChild) OR ALARM(CompositeDemo.SecondChild)"},
      {"actionsSuppressor", "CompositeDemo.ActionsSuppressor"},
      {"actionsSuppressorWaitPeriod", 120},
      {"actionsSuppressorExtensionPeriod", 180}};
  const json reason_data = {
      {"triggeringAlarms",
       {{{"arn", arn + "CompositeDemo.FirstChild"},
         {"state",
          {{"value", "ALARM"}, {"timestamp", "2023-08-04T12:54:46.138+0000"}}}},
        {{"arn", arn + "CompositeDemo.SecondChild"},
         {"state",
          {{"value", "ALARM"},
           {"timestamp", "2023-08-04T12:55:46.138+0000"}}}}}}};
  e["detail"]["state"] = {
      {"value", "ALARM"},
      {"reason", arn + "CompositeDemo.FirstChild transitioned to ALARM"},
      {"reasonData", reason_data.dump()},
      {"timestamp", "2023-08-04T12:56:46.138+0000"},
      {"actionsSuppressedBy", "WaitPeriod"},
      {"actionsSuppressedReason", "Actions suppressed by WaitPeriod"}};
}

TEST(ParseEventBridgeBody, CompositeAlarm) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<Alarm> alarms,
      ParseEventBridgeBody(Variant(kSingleMetric, MakeComposite)));
  ASSERT_EQ(alarms.size(), 1u);
  const Alarm& a = alarms[0];
  EXPECT_EQ(a.kind(), AlarmKind::ALARM_KIND_COMPOSITE);
  EXPECT_EQ(a.alarm_name(), "CompositeDemo.Main");
  EXPECT_EQ(
      a.alarm_arn(),
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:CompositeDemo.Main");
  EXPECT_EQ(
      a.alarm_rule(),
      "ALARM(CompositeDemo.FirstChild) OR ALARM(CompositeDemo.SecondChild)");
  EXPECT_THAT(a.triggering_alarms(),
              ElementsAre("arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
                          "CompositeDemo.FirstChild",
                          "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
                          "CompositeDemo.SecondChild"));
  EXPECT_EQ(a.actions_suppressed_by(), "WaitPeriod");
  EXPECT_EQ(a.state(), AlarmState::ALARM_STATE_ALARM);
  EXPECT_EQ(Millis(a.state_time()), UtcMillis(2023, 8, 4, 12, 56, 46, 138));
}

TEST(ParseEventBridgeBody, CompositeAlarmToleratesMissingOrOddReasonData) {
  for (const json& reason_data :
       {json(), json("not json"), json("{\"triggeringAlarms\": 3}"),
        json("[1, 2]"), json(42)}) {
    SCOPED_TRACE(reason_data.dump());
    ASSERT_OK_AND_ASSIGN(
        std::vector<Alarm> alarms,
        ParseEventBridgeBody(Variant(kSingleMetric, [&](json& e) {
          MakeComposite(e);
          e["detail"]["state"].erase("actionsSuppressedBy");
          if (reason_data.is_null()) {
            e["detail"]["state"].erase("reasonData");
          } else {
            e["detail"]["state"]["reasonData"] = reason_data;
          }
        })));
    ASSERT_EQ(alarms.size(), 1u);
    EXPECT_EQ(alarms[0].kind(), AlarmKind::ALARM_KIND_COMPOSITE);
    EXPECT_THAT(alarms[0].triggering_alarms(), IsEmpty());
    EXPECT_EQ(alarms[0].actions_suppressed_by(), "");
  }
}

TEST(ParseEventBridgeBody, CompositeSuppressionAtDetailLevel) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         MakeComposite(e);
                         e["detail"]["state"].erase("actionsSuppressedBy");
                         e["detail"]["actionsSuppressedBy"] = "Alarm";
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].actions_suppressed_by(), "Alarm");
}

TEST(ParseEventBridgeBody, MutedAlarm) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<Alarm> alarms,
      ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
        e["detail"]["muteDetail"] = {
            {"mutedByArn",
             "arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:"
             "Maintenance"},
            {"muteWindowStart", "2019-10-02T17:00:00.000+0000"},
            {"muteWindowEnd", "2019-10-02T18:00:00.000+0000"}};
      })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_TRUE(alarms[0].muted());
  EXPECT_EQ(alarms[0].state(), AlarmState::ALARM_STATE_ALARM);
}

TEST(ParseEventBridgeBody, NullMuteDetailIsNotMuted) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["detail"]["muteDetail"] = nullptr;
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_FALSE(alarms[0].muted());
}

TEST(ParseEventBridgeBody, BatchOfThreeKeepsOrder) {
  const std::string body =
      json::array({Fixture(kSingleMetric), Fixture(kMetricMath),
                   Fixture(kConfigChange)})
          .dump();
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms, ParseEventBridgeBody(body));
  ASSERT_EQ(alarms.size(), 3u);
  EXPECT_EQ(alarms[0].event_id(), "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92");
  EXPECT_EQ(alarms[0].kind(), AlarmKind::ALARM_KIND_METRIC);
  EXPECT_EQ(alarms[1].event_id(), "2dde0eb1-528b-d2d5-9ca6-6d590caf2329");
  EXPECT_EQ(alarms[1].kind(), AlarmKind::ALARM_KIND_METRIC_MATH);
  EXPECT_EQ(alarms[2].event_id(), "bc7d3391-47f8-ae47-f457-1b4d06118d50");
  EXPECT_EQ(alarms[2].kind(), AlarmKind::ALARM_KIND_CONFIGURATION_CHANGE);
}

TEST(ParseEventBridgeBody, ConfigurationChangeWithoutStateOrResources) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kConfigChange, [](json& e) {
                         e["detail"].erase("state");
                         e.erase("resources");
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].kind(), AlarmKind::ALARM_KIND_CONFIGURATION_CHANGE);
  EXPECT_EQ(alarms[0].state(), AlarmState::ALARM_STATE_UNSPECIFIED);
  EXPECT_FALSE(alarms[0].has_state_time());
  EXPECT_EQ(alarms[0].alarm_arn(), "");
  EXPECT_EQ(alarms[0].alarm_name(), "ServerCpuTooHigh");
}

json GenericEvent() {
  return {{"version", "0"},
          {"id", "7bf73129-1428-4cd3-a780-95db273d1602"},
          {"detail-type", "Payment Failure Spike"},
          {"source", "com.example.billing"},
          {"account", "111122223333"},
          {"time", "2024-05-01T08:00:00Z"},
          {"region", "eu-west-1"},
          {"resources", {"arn:aws:lambda:eu-west-1:111122223333:function:pay"}},
          {"detail", {{"message", "card declines above 5%"}, {"rate", 0.07}}}};
}

TEST(ParseEventBridgeBody, GenericEventFromAnotherSource) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(GenericEvent().dump()));
  ASSERT_EQ(alarms.size(), 1u);
  const Alarm& a = alarms[0];
  EXPECT_EQ(a.kind(), AlarmKind::ALARM_KIND_GENERIC);
  EXPECT_EQ(a.event_id(), "7bf73129-1428-4cd3-a780-95db273d1602");
  EXPECT_EQ(a.source(), "com.example.billing");
  EXPECT_EQ(a.detail_type(), "Payment Failure Spike");
  EXPECT_EQ(a.account(), "111122223333");
  EXPECT_EQ(a.region(), "eu-west-1");
  EXPECT_EQ(a.alarm_arn(),
            "arn:aws:lambda:eu-west-1:111122223333:function:pay");
  EXPECT_EQ(a.alarm_name(), "");
  EXPECT_EQ(a.state(), AlarmState::ALARM_STATE_ALARM);
  EXPECT_EQ(a.reason(), "card declines above 5%");
  EXPECT_EQ(Millis(a.event_time()), UtcMillis(2024, 5, 1, 8, 0, 0, 0));
  EXPECT_EQ(Millis(a.state_time()), Millis(a.event_time()));
  EXPECT_EQ(json::parse(a.detail_json()), GenericEvent()["detail"]);
}

TEST(ParseEventBridgeBody, GenericEventReadsWhatItRecognises) {
  struct Case {
    json detail;
    AlarmState state;
    std::string name;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {{{"state", "OK"}, {"alarmName", "billing"}},
       AlarmState::ALARM_STATE_OK,
       "billing",
       ""},
      {{{"state", {{"value", "INSUFFICIENT_DATA"}}},
        {"description", "no data"}},
       AlarmState::ALARM_STATE_INSUFFICIENT_DATA,
       "",
       "no data"},
      {{{"state", "firing"}, {"alarmName", 7}, {"message", 3}},
       AlarmState::ALARM_STATE_ALARM,
       "",
       ""},
      {{{"state", {{"value", 1}}}}, AlarmState::ALARM_STATE_ALARM, "", ""},
      {json::object(), AlarmState::ALARM_STATE_ALARM, "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.detail.dump());
    json event = GenericEvent();
    event["detail"] = c.detail;
    event.erase("resources");
    ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                         ParseEventBridgeBody(event.dump()));
    ASSERT_EQ(alarms.size(), 1u);
    EXPECT_EQ(alarms[0].kind(), AlarmKind::ALARM_KIND_GENERIC);
    EXPECT_EQ(alarms[0].state(), c.state);
    EXPECT_EQ(alarms[0].alarm_name(), c.name);
    EXPECT_EQ(alarms[0].reason(), c.reason);
    EXPECT_EQ(alarms[0].alarm_arn(), "");
  }
}

TEST(ParseEventBridgeBody, StateChangeFromAnotherSourceIsGeneric) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["source"] = "com.example.monitor";
                         e.erase("resources");
                       })));
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].kind(), AlarmKind::ALARM_KIND_GENERIC);
  EXPECT_EQ(alarms[0].alarm_name(), "ServerCpuTooHigh");
  EXPECT_EQ(alarms[0].state(), AlarmState::ALARM_STATE_ALARM);
}

// ---- Bad bodies: all InvalidArgument, each naming the problem ----

struct BadBody {
  std::string name;
  std::string body;
  std::string message;  // Expected substring of the error message.
};

std::vector<BadBody> BadBodies() {
  const std::string single = FixtureText(kSingleMetric);
  const std::string id = "(id \"c4c1c1c9-6542-e61b-6ef0-8c4d36933a92\")";
  return {
      {"truncated JSON", single.substr(0, single.size() / 2),
       "body is not valid JSON (byte "},
      {"empty body", "", "body is not valid JSON (byte 1)"},
      {"trailing garbage", "{} x", "body is not valid JSON (byte"},
      {"number overflow", "[1e999]", "body is not valid JSON: number overflow"},
      {"a number", "42",
       "body must be a JSON object (one event) or an array of events, got "
       "number"},
      {"a string", "\"event\"",
       "body must be a JSON object (one event) or an array of events, got "
       "string"},
      {"empty array", "[]", "body is an empty array: send at least one event"},
      {"array with a number", absl::StrCat("[", single, ", 42]"),
       "event[1]: must be a JSON object, got number"},
      {"missing id", Variant(kSingleMetric, [](json& e) { e.erase("id"); }),
       "event[0]: missing required field \"id\""},
      {"empty id", Variant(kSingleMetric, [](json& e) { e["id"] = ""; }),
       "event[0]: field \"id\" must not be empty"},
      {"id not a string", Variant(kSingleMetric, [](json& e) { e["id"] = 5; }),
       "event[0]: field \"id\" must be a string, got number"},
      {"missing detail",
       Variant(kSingleMetric, [](json& e) { e.erase("detail"); }),
       absl::StrCat("event[0] ", id, ": missing required field \"detail\"")},
      {"missing detail-type",
       Variant(kSingleMetric, [](json& e) { e.erase("detail-type"); }),
       absl::StrCat("event[0] ", id,
                    ": missing required field \"detail-type\"")},
      {"missing time", Variant(kSingleMetric, [](json& e) { e.erase("time"); }),
       "missing required field \"time\""},
      {"account as number",
       Variant(kSingleMetric, [](json& e) { e["account"] = 123456789012; }),
       absl::StrCat("event[0] ", id,
                    ": field \"account\" must be a string, got number")},
      {"region null",
       Variant(kSingleMetric, [](json& e) { e["region"] = nullptr; }),
       "field \"region\" must be a string, got null"},
      {"detail not an object",
       Variant(kSingleMetric, [](json& e) { e["detail"] = "ALARM"; }),
       "field \"detail\" must be an object, got string"},
      {"resources not an array",
       Variant(kSingleMetric, [](json& e) { e["resources"] = "arn:aws:x"; }),
       "field \"resources\" must be an array, got string"},
      {"resource not a string",
       Variant(kSingleMetric, [](json& e) { e["resources"] = {7}; }),
       "field \"resources[0]\" must be a string, got number"},
      {"state.value not a string",
       Variant(kSingleMetric,
               [](json& e) { e["detail"]["state"]["value"] = 1; }),
       "field \"detail.state.value\" must be a string, got number"},
      {"state not an object",
       Variant(kSingleMetric, [](json& e) { e["detail"]["state"] = "ALARM"; }),
       "field \"detail.state\" must be an object, got string"},
      {"unknown state value",
       Variant(kSingleMetric,
               [](json& e) { e["detail"]["state"]["value"] = "BROKEN"; }),
       "field \"detail.state.value\" must be one of ALARM, OK, "
       "INSUFFICIENT_DATA, got \"BROKEN\""},
      {"unknown previous state value",
       Variant(kSingleMetric,
               [](json& e) { e["detail"]["previousState"]["value"] = "ok"; }),
       "field \"detail.previousState.value\" must be one of ALARM, OK, "
       "INSUFFICIENT_DATA, got \"ok\""},
      {"missing alarm name",
       Variant(kSingleMetric, [](json& e) { e["detail"].erase("alarmName"); }),
       "missing required field \"detail.alarmName\""},
      {"alarm state change without resources",
       Variant(kSingleMetric, [](json& e) { e.erase("resources"); }),
       "field \"resources\" must hold the alarm ARN"},
      {"alarm state change with empty resources",
       Variant(kSingleMetric, [](json& e) { e["resources"] = json::array(); }),
       "field \"resources\" must hold the alarm ARN"},
      {"bad event time",
       Variant(kSingleMetric, [](json& e) { e["time"] = "yesterday"; }),
       "field \"time\": \"yesterday\" is not a time such as "
       "2019-10-02T17:04:40Z"},
      {"bad state timestamp",
       Variant(kSingleMetric,
               [](json& e) {
                 e["detail"]["state"]["timestamp"] = "2019-10-02 17:04:40";
               }),
       "field \"detail.state.timestamp\": \"2019-10-02 17:04:40\" is not a "
       "time"},
      {"missing state timestamp",
       Variant(kSingleMetric,
               [](json& e) { e["detail"]["state"].erase("timestamp"); }),
       "missing required field \"detail.state.timestamp\""},
      {"metrics not an array",
       Variant(kSingleMetric,
               [](json& e) { e["detail"]["configuration"]["metrics"] = 1; }),
       "field \"detail.configuration.metrics\" must be an array, got number"},
      {"muteDetail not an object",
       Variant(kSingleMetric,
               [](json& e) { e["detail"]["muteDetail"] = "yes"; }),
       "field \"detail.muteDetail\" must be an object, got string"},
      {"bad state in a configuration change",
       Variant(kConfigChange,
               [](json& e) { e["detail"]["state"]["value"] = "BROKEN"; }),
       "field \"detail.state.value\" must be one of"},
      {"nested too deep",
       absl::StrCat(std::string(100, '['), std::string(100, ']')),
       "body nests objects and arrays more than 64 levels deep"},
  };
}

TEST(ParseEventBridgeBody, BadBodiesAreInvalidArgumentNamingTheProblem) {
  for (const BadBody& bad : BadBodies()) {
    SCOPED_TRACE(bad.name);
    EXPECT_THAT(
        ParseEventBridgeBody(bad.body),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad.message)));
  }
}

TEST(ParseEventBridgeBody, ErrorNamesIndexAndIdOfTheBadEventInABatch) {
  const json bad = json::parse(Variant(kMetricMath, [](json& e) {
    e["id"] = "abc";
    e["detail"]["state"]["value"] = "BROKEN";
  }));
  const std::string body =
      json::array({Fixture(kSingleMetric), Fixture(kConfigChange), bad}).dump();
  EXPECT_THAT(
      ParseEventBridgeBody(body),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "event[2] (id \"abc\"): field \"detail.state.value\" must be "
               "one of ALARM, OK, INSUFFICIENT_DATA, got \"BROKEN\""));
}

TEST(ParseEventBridgeBody, LongValuesAreCutInMessages) {
  absl::StatusOr<std::vector<Alarm>> result =
      ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
        e["detail"]["state"]["value"] = std::string(10000, 'X');
      }));
  ASSERT_FALSE(result.ok());
  EXPECT_LT(result.status().message().size(), 300u);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("X...\""));
}

TEST(ParseEventBridgeBody, InvalidUtf8IsReportedInPrintableAscii) {
  absl::StatusOr<std::vector<Alarm>> result =
      ParseEventBridgeBody("{\"id\": \"\xff\xfe\"}");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              StartsWith("body is not valid JSON (byte"));
  for (const char c : result.status().message()) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  }
}

TEST(ParseEventBridgeBody, ModerateNestingInDetailIsAccepted) {
  json event = GenericEvent();
  json nested = "leaf";
  for (int i = 0; i < 30; ++i) nested = json::array({nested});
  event["detail"]["nested"] = nested;
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(event.dump()));
  EXPECT_EQ(json::parse(alarms[0].detail_json()), event["detail"]);
}

// ---- Console links ----

TEST(ConsoleLinkForAlarm, CloudWatchAlarm) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(FixtureText(kSingleMetric)));
  EXPECT_EQ(ConsoleLinkForAlarm(alarms[0]),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home"
            "?region=us-east-1#alarmsV2:alarm/ServerCpuTooHigh");
  // The parser fills it in, for a single event and for each of a batch.
  EXPECT_EQ(alarms[0].console_link(), ConsoleLinkForAlarm(alarms[0]));
  ASSERT_OK_AND_ASSIGN(
      std::vector<Alarm> batch,
      ParseEventBridgeBody("[" + FixtureText(kSingleMetric) + "," +
                           FixtureText(kMetricMath) + "]"));
  EXPECT_EQ(batch[1].console_link(),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home"
            "?region=us-east-1#alarmsV2:alarm/TotalNetworkTrafficTooHigh");
}

TEST(ConsoleLinkForAlarm, EncodesTheAlarmName) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["region"] = "eu-west-3";
                         e["detail"]["alarmName"] = "CPU high / web #1 ~ok";
                       })));
  EXPECT_EQ(
      ConsoleLinkForAlarm(alarms[0]),
      "https://eu-west-3.console.aws.amazon.com/cloudwatch/home"
      "?region=eu-west-3#alarmsV2:alarm/CPU%20high%20%2F%20web%20%231%20~ok");
}

TEST(ConsoleLinkForAlarm, ConfigurationChangeAndCompositeHaveLinks) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> config,
                       ParseEventBridgeBody(FixtureText(kConfigChange)));
  EXPECT_THAT(ConsoleLinkForAlarm(config[0]),
              HasSubstr("#alarmsV2:alarm/ServerCpuTooHigh"));
  ASSERT_OK_AND_ASSIGN(
      std::vector<Alarm> composite,
      ParseEventBridgeBody(Variant(kSingleMetric, MakeComposite)));
  EXPECT_THAT(ConsoleLinkForAlarm(composite[0]),
              HasSubstr("#alarmsV2:alarm/CompositeDemo.Main"));
}

TEST(ConsoleLinkForAlarm, EmptyForGenericEvents) {
  json event = GenericEvent();
  event["detail"]["alarmName"] = "billing";
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(event.dump()));
  EXPECT_EQ(ConsoleLinkForAlarm(alarms[0]), "");
}

TEST(ConsoleLinkForAlarm, EmptyWhenTheRegionCouldChangeTheHost) {
  for (const char* region : {"evil.example.com/x?", "US-EAST-1", ""}) {
    SCOPED_TRACE(region);
    ASSERT_OK_AND_ASSIGN(
        std::vector<Alarm> alarms,
        ParseEventBridgeBody(
            Variant(kSingleMetric, [&](json& e) { e["region"] = region; })));
    EXPECT_EQ(ConsoleLinkForAlarm(alarms[0]), "");
  }
}

TEST(ConsoleLinkForAlarm, EmptyForANameLongerThanCloudWatchAllows) {
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [](json& e) {
                         e["detail"]["alarmName"] = std::string(300, 'n');
                       })));
  EXPECT_EQ(ConsoleLinkForAlarm(alarms[0]), "");
}

// ---- Untrusted bytes ----

TEST(ParseEventBridgeBody, InvalidUtf8IsABadBodyNamingTheProblem) {
  std::string body = Variant(kSingleMetric, [](json& e) { e["detail"]["state"]["reason"] = "@@"; });
  body.replace(body.find("@@"), 2, "\xC3\x28");  // a lead byte without its continuation
  EXPECT_THAT(ParseEventBridgeBody(body),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("body is not valid JSON"), HasSubstr("UTF-8"))));
  // A lone surrogate escape is no character either.
  std::string surrogate =
      Variant(kSingleMetric, [](json& e) { e["detail"]["state"]["reason"] = "@@"; });
  surrogate.replace(surrogate.find("@@"), 2, "\\ud800");
  EXPECT_THAT(ParseEventBridgeBody(surrogate),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("body is not valid JSON")));
}

TEST(ParseEventBridgeBody, LongFieldsAreReadWhole) {
  const std::string reason(900 * 1000, 'r');
  ASSERT_OK_AND_ASSIGN(std::vector<Alarm> alarms,
                       ParseEventBridgeBody(Variant(kSingleMetric, [&](json& e) {
                         e["detail"]["state"]["reason"] = reason;
                       })));
  EXPECT_EQ(alarms[0].reason(), reason);
  EXPECT_THAT(alarms[0].detail_json(), HasSubstr(reason));
}

}  // namespace
}  // namespace tocsin::gateway
