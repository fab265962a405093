#include "services/escalation/oncall_convert.h"

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"

namespace tocsin::escalation {
namespace {

absl::StatusOr<oncall::HandOffTime> ToHandOff(const v1::HandOffTime& t, const std::string& rotation,
                                              const std::string& field) {
  if (t.hour_of_day() < 0 || t.hour_of_day() > 23 || t.minute_of_hour() < 0 ||
      t.minute_of_hour() > 59) {
    return absl::InvalidArgumentError(absl::StrCat("rotation \"", rotation, "\": ", field,
                                                   " must be a time of day from 00:00 to 23:59, "
                                                   "got hour ",
                                                   t.hour_of_day(), " minute ",
                                                   t.minute_of_hour()));
  }
  return oncall::HandOffTime{t.hour_of_day(), t.minute_of_hour()};
}

}  // namespace

absl::StatusOr<oncall::Weekday> ToWeekday(v1::DayOfWeek day) {
  switch (day) {
    case v1::DAY_OF_WEEK_MON:
      return oncall::Weekday::kMonday;
    case v1::DAY_OF_WEEK_TUE:
      return oncall::Weekday::kTuesday;
    case v1::DAY_OF_WEEK_WED:
      return oncall::Weekday::kWednesday;
    case v1::DAY_OF_WEEK_THU:
      return oncall::Weekday::kThursday;
    case v1::DAY_OF_WEEK_FRI:
      return oncall::Weekday::kFriday;
    case v1::DAY_OF_WEEK_SAT:
      return oncall::Weekday::kSaturday;
    case v1::DAY_OF_WEEK_SUN:
      return oncall::Weekday::kSunday;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("day of week must be one of MON..SUN, got ", static_cast<int>(day)));
  }
}

v1::DayOfWeek ToDayOfWeek(oncall::Weekday day) {
  return static_cast<v1::DayOfWeek>(static_cast<int>(day) + 1);
}

absl::StatusOr<oncall::RotationSpec> ToRotationSpec(const v1::Rotation& r) {
  oncall::RotationSpec spec;
  spec.name = r.name();
  spec.contacts.assign(r.contacts().begin(), r.contacts().end());
  spec.start_time = r.has_start_time() ? FromProtoTime(r.start_time()) : absl::InfinitePast();
  spec.time_zone_id = r.time_zone_id();
  const v1::Recurrence& rec = r.recurrence();
  oncall::Recurrence& out = spec.recurrence;
  for (int i = 0; i < rec.daily_settings_size(); ++i) {
    ASSIGN_OR_RETURN(oncall::HandOffTime t,
                     ToHandOff(rec.daily_settings(i), r.name(),
                               absl::StrCat("recurrence.dailySettings[", i, "]")));
    out.daily_settings.push_back(t);
  }
  for (int i = 0; i < rec.weekly_settings_size(); ++i) {
    const auto& w = rec.weekly_settings(i);
    const std::string field = absl::StrCat("recurrence.weeklySettings[", i, "]");
    oncall::WeeklySetting s;
    absl::StatusOr<oncall::Weekday> day = ToWeekday(w.day_of_week());
    if (!day.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("rotation \"", r.name(), "\": ", field,
                                                     ".dayOfWeek: ", day.status().message()));
    }
    s.day_of_week = *day;
    ASSIGN_OR_RETURN(s.hand_off_time, ToHandOff(w.hand_off_time(), r.name(), field + ".handOffTime"));
    out.weekly_settings.push_back(s);
  }
  for (int i = 0; i < rec.monthly_settings_size(); ++i) {
    const auto& m = rec.monthly_settings(i);
    const std::string field = absl::StrCat("recurrence.monthlySettings[", i, "]");
    oncall::MonthlySetting s;
    s.day_of_month = m.day_of_month();
    ASSIGN_OR_RETURN(s.hand_off_time, ToHandOff(m.hand_off_time(), r.name(), field + ".handOffTime"));
    out.monthly_settings.push_back(s);
  }
  out.number_of_on_calls = rec.number_of_on_calls() == 0 ? 1 : rec.number_of_on_calls();
  out.recurrence_multiplier = rec.recurrence_multiplier() == 0 ? 1 : rec.recurrence_multiplier();
  for (int i = 0; i < rec.shift_coverages_size(); ++i) {
    const auto& c = rec.shift_coverages(i);
    const std::string field = absl::StrCat("recurrence.shiftCoverages[", i, "]");
    absl::StatusOr<oncall::Weekday> day = ToWeekday(c.day_of_week());
    if (!day.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("rotation \"", r.name(), "\": ", field,
                                                     ".dayOfWeek: ", day.status().message()));
    }
    auto& ranges = out.shift_coverages[*day];
    for (int j = 0; j < c.coverage_times_size(); ++j) {
      const std::string f = absl::StrCat(field, ".coverageTimes[", j, "]");
      oncall::CoverageTime ct;
      ASSIGN_OR_RETURN(ct.start, ToHandOff(c.coverage_times(j).start(), r.name(), f + ".start"));
      ASSIGN_OR_RETURN(ct.end, ToHandOff(c.coverage_times(j).end(), r.name(), f + ".end"));
      ranges.push_back(ct);
    }
  }
  return spec;
}

oncall::Override ToOncallOverride(const v1::RotationOverride& o) {
  oncall::Override out;
  out.name = o.name();
  out.contacts.assign(o.contacts().begin(), o.contacts().end());
  out.start = o.has_start() ? FromProtoTime(o.start()) : absl::InfinitePast();
  out.end = o.has_end() ? FromProtoTime(o.end()) : absl::InfinitePast();
  return out;
}

std::vector<oncall::Override> ToOncallOverrides(
    const std::vector<v1::RotationOverride>& overrides) {
  std::vector<oncall::Override> out;
  out.reserve(overrides.size());
  for (const auto& o : overrides) out.push_back(ToOncallOverride(o));
  return out;
}

v1::Shift ToProtoShift(const oncall::Shift& shift, const std::string& rotation) {
  v1::Shift out;
  *out.mutable_start() = ToProtoTime(shift.start);
  *out.mutable_end() = ToProtoTime(shift.end);
  for (const auto& c : shift.contacts) out.add_contacts(c);
  out.set_type(shift.type == oncall::ShiftType::kOverridden ? v1::SHIFT_TYPE_OVERRIDDEN
                                                            : v1::SHIFT_TYPE_REGULAR);
  out.set_rotation(rotation);
  return out;
}

}  // namespace tocsin::escalation
