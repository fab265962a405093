#include "services/escalation/plans.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/proto/time.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

v1::Contact Legacy() {
  v1::Contact c;
  c.set_name("alice");
  auto* a = c.add_channels();
  a->set_name("mail");
  a->mutable_email()->set_address("alice@example.com");
  auto* b = c.add_channels();
  b->set_name("phone");
  b->mutable_sms()->set_number("+81312345678");
  b->mutable_delay()->set_seconds(90);
  b->mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
  auto* d = c.add_channels();
  d->set_name("hook");
  d->mutable_webhook()->set_url("https://hooks.example.com/a");
  d->mutable_delay()->set_seconds(30);
  return c;
}

TEST(PlansTest, LegacyChannelsBecomeOneStageEachLastingTheNextChannelsDelay) {
  std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(Legacy());
  ASSERT_THAT(plan, SizeIs(3));
  EXPECT_EQ(plan[0].duration, absl::Seconds(90));
  EXPECT_EQ(plan[1].duration, absl::Seconds(30));
  EXPECT_EQ(plan[2].duration, absl::ZeroDuration());
  EXPECT_EQ(plan[0].targets[0].channel, "mail");
  EXPECT_EQ(plan[2].targets[0].channel, "hook");
  EXPECT_EQ(plan[2].targets[0].retry_interval, absl::ZeroDuration());
}

TEST(PlansTest, AStoredPlanIsUsedAsItIs) {
  v1::Contact c = Legacy();
  auto* s = c.mutable_personal_plan()->add_stages();
  s->set_duration_in_minutes(5);
  auto* t = s->add_targets();
  t->set_channel("phone");
  t->set_retry_interval_in_minutes(2);
  s->add_targets()->set_channel("mail");
  std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(c);
  ASSERT_THAT(plan, SizeIs(1));
  EXPECT_EQ(plan[0].duration, absl::Minutes(5));
  EXPECT_EQ(plan[0].targets[0].retry_interval, absl::Minutes(2));
  PersonalStageStart start = PlanPersonalStage(c, 0);
  ASSERT_THAT(start.pages, SizeIs(2));
  EXPECT_EQ(start.pages[0].name(), "phone");
  EXPECT_EQ(start.retry_intervals[0], absl::Minutes(2));
  EXPECT_EQ(start.detail, "alice, stage 1 of 1: paging phone (sms), mail (email)");
}

TEST(PlansTest, OnlyActivatedAndGrandfatheredChannelsArePaged) {
  v1::Contact c = Legacy();
  EXPECT_EQ(ChannelNotPageable(c, "mail"), std::nullopt);   // UNSPECIFIED: grandfathered
  EXPECT_EQ(ChannelNotPageable(c, "phone"), std::nullopt);  // ACTIVATED
  c.mutable_channels(1)->mutable_activation()->set_state(v1::ACTIVATION_STATE_PENDING);
  EXPECT_THAT(ChannelNotPageable(c, "phone").value_or(""),
              HasSubstr("tocsin contacts activate alice phone CODE"));
  c.mutable_channels(1)->mutable_activation()->set_state(v1::ACTIVATION_STATE_DEACTIVATED);
  PersonalStageStart start = PlanPersonalStage(c, 1);
  EXPECT_THAT(start.pages, IsEmpty());
  EXPECT_EQ(start.duration, absl::Seconds(30));
  EXPECT_THAT(start.detail, HasSubstr("alice, stage 2 of 3: pages nobody; not paging phone "
                                      "(sms): deactivated"));
  EXPECT_THAT(ChannelNotPageable(c, "nope").value_or(""), HasSubstr("no channel of that name"));
}

TEST(PlansTest, EscalationStagesNameTheirTargetsAndTheRound) {
  v1::Contact plan;
  plan.set_name("sre");
  plan.set_type(v1::CONTACT_TYPE_ESCALATION);
  auto* s = plan.mutable_escalation_plan()->add_stages();
  s->set_duration_in_minutes(10);
  auto* t = s->add_targets();
  t->set_contact("primary");
  t->set_is_essential(true);
  s->add_targets()->set_contact("bob");
  plan.mutable_escalation_plan()->set_repeat(2);
  EscalationStageStart start = PlanEscalationStage(plan, 0, 1);
  EXPECT_EQ(start.duration, absl::Minutes(10));
  ASSERT_THAT(start.targets, SizeIs(2));
  EXPECT_EQ(start.detail, "sre, stage 1 of 1 (repeat 1 of 2): engaging primary (essential), bob");
}

v1::Rotation Daily(const std::string& name, std::vector<std::string> contacts) {
  v1::Rotation r;
  r.set_name(name);
  for (const auto& c : contacts) r.add_contacts(c);
  *r.mutable_start_time() = ToProtoTime(absl::FromUnixSeconds(1712534400));  // 2024-04-08Z
  r.set_time_zone_id("UTC");
  r.mutable_recurrence()->add_daily_settings()->set_hour_of_day(0);
  return r;
}

TEST(PlansTest, ASchedulesMembersAreWhoIsOnCallWithOverrides) {
  v1::Contact schedule;
  schedule.set_name("primary");
  const absl::Time at = absl::FromUnixSeconds(1712534400) + absl::Hours(12);
  RotationSnapshot r{"day", Daily("day", {"alice", "bob"}), {}};
  ScheduleStart start = PlanSchedule(schedule, {r}, at);
  EXPECT_THAT(start.on_call, ElementsAre("alice"));
  EXPECT_EQ(start.detail, "schedule primary: on call alice");

  v1::RotationOverride o;
  o.set_name("swap");
  o.set_rotation("day");
  o.add_contacts("carol");
  *o.mutable_start() = ToProtoTime(at - absl::Hours(1));
  *o.mutable_end() = ToProtoTime(at + absl::Hours(1));
  r.overrides.push_back(o);
  EXPECT_THAT(PlanSchedule(schedule, {r}, at).on_call, ElementsAre("carol"));
}

TEST(PlansTest, NobodyOnCallIsExplained) {
  v1::Contact schedule;
  schedule.set_name("primary");
  const absl::Time before = absl::FromUnixSeconds(1712534400) - absl::Hours(1);
  ScheduleStart start = PlanSchedule(schedule,
                                     {RotationSnapshot{"day", Daily("day", {"alice"}), {}},
                                      RotationSnapshot{"gone", std::nullopt, {}}},
                                     before);
  EXPECT_THAT(start.on_call, IsEmpty());
  EXPECT_THAT(start.detail, HasSubstr("schedule primary has nobody on call: "));
  EXPECT_THAT(start.detail, HasSubstr("day"));
  EXPECT_THAT(start.detail, HasSubstr("rotation gone does not exist"));
}

}  // namespace
}  // namespace tocsin::escalation
