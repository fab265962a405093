#include "services/escalation/oncall_convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

v1::Rotation WeeklyTokyo() {
  v1::Rotation r;
  r.set_name("tokyo");
  r.add_contacts("kenji");
  r.add_contacts("yuki");
  *r.mutable_start_time() = ToProtoTime(absl::FromUnixSeconds(1712534400));  // 2024-04-08 00:00Z
  r.set_time_zone_id("Asia/Tokyo");
  auto* w = r.mutable_recurrence()->add_weekly_settings();
  w->set_day_of_week(v1::DAY_OF_WEEK_MON);
  w->mutable_hand_off_time()->set_hour_of_day(9);
  auto* c = r.mutable_recurrence()->add_shift_coverages();
  c->set_day_of_week(v1::DAY_OF_WEEK_FRI);
  auto* t = c->add_coverage_times();
  t->mutable_start()->set_hour_of_day(9);
  t->mutable_end()->set_hour_of_day(17);
  t->mutable_end()->set_minute_of_hour(30);
  return r;
}

TEST(OncallConvertTest, ARotationBecomesTheEnginesSpecWithDefaults) {
  ASSERT_OK_AND_ASSIGN(oncall::RotationSpec spec, ToRotationSpec(WeeklyTokyo()));
  EXPECT_EQ(spec.name, "tokyo");
  EXPECT_THAT(spec.contacts, ElementsAre("kenji", "yuki"));
  EXPECT_EQ(spec.start_time, absl::FromUnixSeconds(1712534400));
  EXPECT_EQ(spec.time_zone_id, "Asia/Tokyo");
  ASSERT_EQ(spec.recurrence.weekly_settings.size(), 1u);
  EXPECT_EQ(spec.recurrence.weekly_settings[0].day_of_week, oncall::Weekday::kMonday);
  EXPECT_EQ(spec.recurrence.weekly_settings[0].hand_off_time, (oncall::HandOffTime{9, 0}));
  EXPECT_EQ(spec.recurrence.number_of_on_calls, 1);
  EXPECT_EQ(spec.recurrence.recurrence_multiplier, 1);
  ASSERT_EQ(spec.recurrence.shift_coverages.count(oncall::Weekday::kFriday), 1u);
  const auto& fri = spec.recurrence.shift_coverages.at(oncall::Weekday::kFriday);
  ASSERT_EQ(fri.size(), 1u);
  EXPECT_EQ(fri[0].end, (oncall::HandOffTime{17, 30}));
  EXPECT_OK(oncall::ValidateRotation(spec));
}

TEST(OncallConvertTest, ValuesTheEngineCannotTakeNameTheField) {
  v1::Rotation r = WeeklyTokyo();
  r.mutable_recurrence()->mutable_weekly_settings(0)->set_day_of_week(v1::DAY_OF_WEEK_UNSPECIFIED);
  EXPECT_THAT(ToRotationSpec(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rotation \"tokyo\": recurrence.weeklySettings[0].dayOfWeek")));
  r = WeeklyTokyo();
  r.mutable_recurrence()->mutable_shift_coverages(0)->mutable_coverage_times(0)->mutable_end()
      ->set_hour_of_day(24);
  EXPECT_THAT(ToRotationSpec(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recurrence.shiftCoverages[0].coverageTimes[0].end")));
}

TEST(OncallConvertTest, ShiftsAndDaysGoBothWays) {
  for (int d = 1; d <= 7; ++d) {
    ASSERT_OK_AND_ASSIGN(oncall::Weekday w, ToWeekday(static_cast<v1::DayOfWeek>(d)));
    EXPECT_EQ(ToDayOfWeek(w), d);
  }
  oncall::Shift s{absl::FromUnixSeconds(100), absl::FromUnixSeconds(200), {"a", "b"},
                  oncall::ShiftType::kOverridden, "o"};
  v1::Shift p = ToProtoShift(s, "tokyo");
  EXPECT_EQ(FromProtoTime(p.start()), absl::FromUnixSeconds(100));
  EXPECT_EQ(FromProtoTime(p.end()), absl::FromUnixSeconds(200));
  EXPECT_THAT(p.contacts(), ElementsAre("a", "b"));
  EXPECT_EQ(p.type(), v1::SHIFT_TYPE_OVERRIDDEN);
  EXPECT_EQ(p.rotation(), "tokyo");

  v1::RotationOverride o;
  o.set_name("swap");
  o.add_contacts("yuki");
  *o.mutable_start() = ToProtoTime(absl::FromUnixSeconds(10));
  *o.mutable_end() = ToProtoTime(absl::FromUnixSeconds(20));
  oncall::Override e = ToOncallOverride(o);
  EXPECT_EQ(e.name, "swap");
  EXPECT_THAT(e.contacts, ElementsAre("yuki"));
  EXPECT_EQ(e.end, absl::FromUnixSeconds(20));
}

}  // namespace
}  // namespace tocsin::escalation
