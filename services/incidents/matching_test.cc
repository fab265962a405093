#include "services/incidents/matching.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::incidents {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

Alarm CpuAlarm() {
  Alarm a;
  a.set_event_id("e1");
  a.set_source("aws.cloudwatch");
  a.set_detail_type("CloudWatch Alarm State Change");
  a.set_account("123456789012");
  a.set_region("us-east-1");
  a.set_alarm_name("ServerCpuTooHigh");
  a.set_alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
  a.set_state(v1::ALARM_STATE_ALARM);
  return a;
}

ResponsePlan Plan(const std::string& name, const std::string& pattern, int priority = 0) {
  ResponsePlan p;
  p.set_name(name);
  p.mutable_match()->set_alarm_name_pattern(pattern);
  p.set_priority(priority);
  p.mutable_incident_template()->set_impact(2);
  return p;
}

TEST(GlobMatch, StarsAndQuestionMarks) {
  EXPECT_TRUE(GlobMatch("Server*", "ServerCpuTooHigh"));
  EXPECT_TRUE(GlobMatch("*Cpu*", "ServerCpuTooHigh"));
  EXPECT_TRUE(GlobMatch("Server???TooHigh", "ServerCpuTooHigh"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_FALSE(GlobMatch("server*", "ServerCpuTooHigh"));  // case-sensitive
  EXPECT_FALSE(GlobMatch("Server?", "Server"));
  EXPECT_FALSE(GlobMatch("", "x"));
  // Pathological pattern stays fast (no exponential backtracking).
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(Matches, EveryNonEmptyCriterionMustAccept) {
  Alarm a = CpuAlarm();
  AlarmMatch m;
  EXPECT_TRUE(Matches(m, a));
  m.add_accounts("999");
  EXPECT_FALSE(Matches(m, a));
  m.add_accounts("123456789012");
  EXPECT_TRUE(Matches(m, a));
  m.add_regions("eu-west-1");
  EXPECT_FALSE(Matches(m, a));
  m.clear_regions();
  m.add_sources("aws.cloudwatch");
  m.add_detail_types("CloudWatch Alarm State Change");
  m.set_alarm_name_pattern("Server*");
  EXPECT_TRUE(Matches(m, a));
}

TEST(SelectPlan, LowestPriorityThenNameWins) {
  std::vector<ResponsePlan> plans = {Plan("b-catch-all", "*", 100), Plan("z-cpu", "*Cpu*", 10),
                                     Plan("a-cpu", "*Cpu*", 10), Plan("disk", "*Disk*", 1)};
  const ResponsePlan* p = SelectPlan(plans, CpuAlarm());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name(), "a-cpu");
  Alarm other = CpuAlarm();
  other.set_alarm_name("MemoryLow");
  ASSERT_NE(SelectPlan(plans, other), nullptr);
  EXPECT_EQ(SelectPlan(plans, other)->name(), "b-catch-all");
  EXPECT_EQ(SelectPlan({Plan("disk", "*Disk*")}, other), nullptr);
}

TEST(Templates, ExpandAlarmFields) {
  ResponsePlan p = Plan("cpu", "*");
  p.mutable_incident_template()->set_title("{alarm_name} in {region} is {state}");
  EXPECT_EQ(IncidentTitle(p, CpuAlarm()), "ServerCpuTooHigh in us-east-1 is ALARM");
  EXPECT_EQ(ExpandTemplate("{unknown} {account}", CpuAlarm()), "{unknown} 123456789012");
  p.clear_incident_template();
  EXPECT_EQ(IncidentTitle(p, CpuAlarm()), "ServerCpuTooHigh");
}

TEST(DedupeString, DefaultsToAlarmArnThenSourceAndType) {
  ResponsePlan p = Plan("cpu", "*");
  EXPECT_EQ(DedupeString(p, CpuAlarm()), CpuAlarm().alarm_arn());
  Alarm generic = CpuAlarm();
  generic.clear_alarm_arn();
  generic.set_source("com.example.billing");
  generic.set_detail_type("Payment Failed");
  generic.clear_alarm_name();
  EXPECT_EQ(DedupeString(p, generic), "com.example.billing/Payment Failed/");
  p.mutable_incident_template()->set_dedupe_string("{account}:{region}");
  EXPECT_EQ(DedupeString(p, CpuAlarm()), "123456789012:us-east-1");
}

TEST(ValidatePlan, NamesTheProblem) {
  EXPECT_OK(ValidatePlan(Plan("cpu-high_1.x", "*")));
  EXPECT_THAT(ValidatePlan(Plan("", "*")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 to 128")));
  EXPECT_THAT(ValidatePlan(Plan("bad name", "*")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"bad name\"")));
  ResponsePlan p = Plan("cpu", "*");
  p.mutable_incident_template()->set_impact(7);
  EXPECT_THAT(ValidatePlan(p), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("impact must be 1 (critical) to 5")));
  p = Plan("cpu", "*");
  p.add_engagements("alice smith");
  EXPECT_THAT(ValidatePlan(p), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("engagement contact")));
  p = Plan("cpu", "*");
  p.mutable_runbook()->set_name("db-failover");
  (*p.mutable_runbook()->mutable_parameters())["Cluster"] = "orders";
  EXPECT_OK(ValidatePlan(p));
  p.mutable_runbook()->set_name("db failover");
  EXPECT_THAT(ValidatePlan(p), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("runbook name \"db failover\"")));
  p.mutable_runbook()->set_name("db");
  p.mutable_runbook()->set_version(-1);
  EXPECT_THAT(ValidatePlan(p), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("runbook.version")));
}

}  // namespace
}  // namespace tocsin::incidents
