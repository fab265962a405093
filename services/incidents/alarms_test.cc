#include "services/incidents/alarms.h"

#include <string>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"

namespace tocsin::incidents {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::StartsWith;
using ::tocsin::testing::IsOk;
using ::tocsin::testing::StatusIs;

v1::Alarm Alarm(const std::string& event_id) {
  v1::Alarm a;
  a.set_event_id(event_id);
  a.set_source("aws.cloudwatch");
  a.set_detail_type("CloudWatch Alarm State Change");
  a.set_account("123456789012");
  a.set_region("us-east-1");
  a.set_alarm_name("ServerCpuTooHigh");
  a.set_alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
  a.set_state(v1::ALARM_STATE_ALARM);
  a.set_kind(v1::ALARM_KIND_METRIC);
  a.set_reason("Threshold Crossed");
  a.set_detail_json(R"({"alarmName":"ServerCpuTooHigh"})");
  return a;
}

TEST(ValidateAlarmBatchTest, NamesTheFirstBadAlarmByIndexAndEventId) {
  google::protobuf::RepeatedPtrField<v1::Alarm> batch;
  *batch.Add() = Alarm("good-1");
  v1::Alarm bad = Alarm("bad-1");
  bad.clear_source();
  *batch.Add() = bad;
  *batch.Add() = Alarm("good-2");
  EXPECT_THAT(ValidateAlarmBatch(batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "alarms[1] (event id \"bad-1\"): alarm.source is required"));
  batch.DeleteSubrange(1, 1);
  EXPECT_THAT(ValidateAlarmBatch(batch), IsOk());
}

TEST(ValidateAlarmBatchTest, RefusesAnEmptyOrOversizedBatch) {
  google::protobuf::RepeatedPtrField<v1::Alarm> batch;
  EXPECT_THAT(ValidateAlarmBatch(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  for (int i = 0; i <= kMaxAlarmsPerBatch; ++i) *batch.Add() = Alarm("e" + std::to_string(i));
  EXPECT_THAT(ValidateAlarmBatch(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 1000")));
}

TEST(ValidateAlarmTest, EventIdOverItsLimitIsRefusedAtItIsNot) {
  EXPECT_THAT(ValidateAlarm(Alarm(std::string(kMaxEventIdBytes, 'e'))), IsOk());
  EXPECT_THAT(ValidateAlarm(Alarm(std::string(kMaxEventIdBytes + 1, 'e'))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("257 bytes")));
}

TEST(BoundedAlarmTest, FieldsAtTheirLimitAreKeptAsTheyAre) {
  v1::Alarm a = Alarm("e1");
  a.set_alarm_name(std::string(kMaxAlarmNameBytes, 'n'));
  a.set_reason(std::string(kMaxAlarmTextBytes, 'r'));
  a.set_description(std::string(kMaxAlarmTextBytes, 'd'));
  a.set_alarm_rule(std::string(kMaxAlarmTextBytes, 'u'));
  a.set_alarm_arn(std::string(kMaxArnBytes, 'a'));
  a.set_actions_suppressed_by(std::string(kMaxArnBytes, 's'));
  a.set_source(std::string(kMaxLabelBytes, 'o'));
  for (int i = 0; i < kMaxTriggeringAlarms; ++i)
    a.add_triggering_alarms(std::string(kMaxArnBytes, 't'));
  a.set_detail_json("\"" + std::string(kMaxDetailJsonBytes - 2, 'j') + "\"");
  a.set_console_link(std::string(kMaxConsoleLinkBytes, 'l'));
  const v1::Alarm b = BoundedAlarm(a);
  EXPECT_EQ(b.SerializeAsString(), a.SerializeAsString());
}

TEST(BoundedAlarmTest, FieldsOverTheirLimitAreCutWithAVisibleMarker) {
  v1::Alarm a = Alarm("e1");
  a.set_alarm_name(std::string(kMaxAlarmNameBytes + 1, 'n'));
  a.set_reason(std::string(900 * 1000, 'r'));
  a.set_description(std::string(kMaxAlarmTextBytes + 1, 'd'));
  a.set_alarm_rule(std::string(kMaxAlarmTextBytes + 1, 'u'));
  a.set_alarm_arn(std::string(kMaxArnBytes + 1, 'a'));
  a.set_actions_suppressed_by(std::string(kMaxArnBytes + 1, 's'));
  a.set_region(std::string(kMaxLabelBytes + 1, 'g'));
  for (int i = 0; i < kMaxTriggeringAlarms + 5; ++i) {
    a.add_triggering_alarms(std::string(kMaxArnBytes + 1, 't'));
  }
  nlohmann::json detail;
  detail["reason"] = a.reason();
  a.set_detail_json(detail.dump());
  a.set_console_link(std::string(kMaxConsoleLinkBytes + 1, 'l'));

  const v1::Alarm b = BoundedAlarm(a);
  EXPECT_EQ(b.event_id(), a.event_id());
  EXPECT_THAT(b.alarm_name().size(), Le(kMaxAlarmNameBytes));
  EXPECT_THAT(b.alarm_name(), StartsWith("nnnn"));
  EXPECT_THAT(b.alarm_name(), EndsWith(" bytes]"));
  EXPECT_THAT(b.alarm_name(), HasSubstr("\xE2\x80\xA6[truncated "));
  EXPECT_THAT(b.reason().size(), Le(kMaxAlarmTextBytes));
  EXPECT_THAT(b.reason(), HasSubstr("[truncated "));
  EXPECT_THAT(b.description(), HasSubstr("[truncated "));
  EXPECT_THAT(b.alarm_rule(), HasSubstr("[truncated "));
  EXPECT_THAT(b.alarm_arn().size(), Le(kMaxArnBytes));
  EXPECT_THAT(b.alarm_arn(), HasSubstr("[truncated "));
  EXPECT_THAT(b.actions_suppressed_by(), HasSubstr("[truncated "));
  EXPECT_THAT(b.region().size(), Le(kMaxLabelBytes));
  ASSERT_EQ(b.triggering_alarms_size(), kMaxTriggeringAlarms + 1);
  EXPECT_THAT(b.triggering_alarms(0), HasSubstr("[truncated "));
  EXPECT_EQ(b.triggering_alarms(kMaxTriggeringAlarms), "\xE2\x80\xA6[5 more]");
  // Cut JSON would not parse: the copy says how large the detail was.
  auto parsed = nlohmann::json::parse(b.detail_json());
  EXPECT_EQ(parsed["truncated"], text::TruncationMarker(a.detail_json().size()));
  EXPECT_TRUE(b.console_link().empty());
  EXPECT_LT(b.ByteSizeLong(), 100u * 1024);
}

TEST(BoundedAlarmTest, InvalidUtf8BecomesValid) {
  v1::Alarm a = Alarm("e1");
  // Only possible from a caller that bypassed proto parsing.
  a.set_reason("bad \xC3 byte");
  EXPECT_TRUE(text::IsValidUtf8(BoundedAlarm(a).reason()));
}

TEST(BoundedJsonTest, KeepsWhatFitsAndReplacesWhatDoesNot) {
  EXPECT_EQ(BoundedJson(R"({"a":1})", 16), R"({"a":1})");
  EXPECT_EQ(BoundedJson("", 16), "");
  const std::string big = R"({"a":")" + std::string(100, 'x') + "\"}";
  auto note = nlohmann::json::parse(BoundedJson(big, 16));
  EXPECT_EQ(note["truncated"], text::TruncationMarker(big.size()));
}

}  // namespace
}  // namespace tocsin::incidents
