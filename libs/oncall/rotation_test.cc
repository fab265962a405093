#include "libs/oncall/rotation.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::oncall {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::tocsin::testing::IsOk;
using ::tocsin::testing::StatusIs;

// Every expected instant below is written by hand, with the offset the zone
// has then; the helpers only parse and print.

absl::Time T(absl::string_view rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) {
    ADD_FAILURE() << "bad test instant " << rfc3339 << ": " << error;
  }
  return t;
}

HandOffTime H(absl::string_view hh_mm) {
  absl::StatusOr<HandOffTime> t = ParseHandOffTime(hh_mm);
  EXPECT_THAT(t, IsOk()) << hh_mm;
  return t.value_or(HandOffTime{});
}

std::string Instant(absl::Time t, const std::string& zone) {
  if (t == absl::InfinitePast()) return "-inf";
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(zone, &tz)) << zone;
  return absl::FormatTime(absl::RFC3339_full, t, tz);
}

// "START END a,b" plus " OVERRIDDEN name" for overrides; "-" for nobody.
std::string Show(const Shift& s, const std::string& zone) {
  std::string out = Instant(s.start, zone) + " " + Instant(s.end, zone) + " " +
                    (s.contacts.empty() ? "-" : absl::StrJoin(s.contacts, ","));
  if (s.type == ShiftType::kOverridden) out += " OVERRIDDEN " + s.override_name;
  return out;
}

std::vector<std::string> ShowShifts(const absl::StatusOr<std::vector<Shift>>& s,
                                    const std::string& zone) {
  EXPECT_THAT(s, IsOk());
  std::vector<std::string> out;
  if (s.ok()) {
    for (const Shift& shift : *s) out.push_back(Show(shift, zone));
  }
  return out;
}

std::vector<std::string> ShowRanges(
    const absl::StatusOr<std::vector<TimeRange>>& r, const std::string& zone) {
  EXPECT_THAT(r, IsOk());
  std::vector<std::string> out;
  if (r.ok()) {
    for (const TimeRange& g : *r) {
      out.push_back(Instant(g.start, zone) + " " + Instant(g.end, zone));
    }
  }
  return out;
}

RotationSpec Daily(const std::string& zone, std::vector<std::string> contacts,
                   absl::string_view start,
                   std::vector<absl::string_view> times = {"09:00"}) {
  RotationSpec spec;
  spec.name = "r";
  spec.contacts = std::move(contacts);
  spec.start_time = T(start);
  spec.time_zone_id = zone;
  for (absl::string_view t : times) {
    spec.recurrence.daily_settings.push_back(H(t));
  }
  return spec;
}

RotationSpec Weekly(const std::string& zone, std::vector<std::string> contacts,
                    absl::string_view start,
                    std::vector<WeeklySetting> settings) {
  RotationSpec spec = Daily(zone, std::move(contacts), start, {});
  spec.recurrence.weekly_settings = std::move(settings);
  return spec;
}

RotationSpec Monthly(const std::string& zone, std::vector<std::string> contacts,
                     absl::string_view start,
                     std::vector<MonthlySetting> settings) {
  RotationSpec spec = Daily(zone, std::move(contacts), start, {});
  spec.recurrence.monthly_settings = std::move(settings);
  return spec;
}

RotationSpec WithMultiplier(RotationSpec spec, int m) {
  spec.recurrence.recurrence_multiplier = m;
  return spec;
}

RotationSpec WithOnCalls(RotationSpec spec, int n) {
  spec.recurrence.number_of_on_calls = n;
  return spec;
}

RotationSpec WithCoverage(RotationSpec spec, std::vector<Weekday> days,
                          absl::string_view start, absl::string_view end) {
  for (Weekday d : days) {
    spec.recurrence.shift_coverages[d].push_back({H(start), H(end)});
  }
  return spec;
}

const std::vector<Weekday> kWorkdays = {Weekday::kMonday, Weekday::kTuesday,
                                        Weekday::kWednesday, Weekday::kThursday,
                                        Weekday::kFriday};

Override Ov(const std::string& name, std::vector<std::string> contacts,
            absl::string_view start, absl::string_view end) {
  return Override{name, std::move(contacts), T(start), T(end)};
}

// Tokyo, weekly Monday 09:00 hand-off, on call 09:00-17:00 on workdays.
RotationSpec TokyoBusinessHours() {
  RotationSpec spec =
      WithCoverage(Weekly("Asia/Tokyo", {"a", "b"}, "2024-04-01T09:00:00+09:00",
                          {{Weekday::kMonday, H("09:00")}}),
                   kWorkdays, "09:00", "17:00");
  spec.name = "tokyo";
  return spec;
}

struct ShiftsCase {
  std::string name;
  RotationSpec spec;
  std::vector<Override> overrides;
  std::string from;
  std::string to;
  std::vector<std::string> want;  // in the rotation's zone
};

void RunShiftsCases(const std::vector<ShiftsCase>& cases) {
  for (const ShiftsCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ShowShifts(Shifts(c.spec, c.overrides, T(c.from), T(c.to)),
                           c.spec.time_zone_id),
                ElementsAreArray(c.want));
  }
}

// --- Value types
// --------------------------------------------------------------

TEST(HandOffTimeTest, ParsesAndFormatsHhMm) {
  for (absl::string_view text : {"00:00", "09:05", "12:30", "23:59"}) {
    absl::StatusOr<HandOffTime> t = ParseHandOffTime(text);
    ASSERT_THAT(t, IsOk()) << text;
    EXPECT_EQ(FormatHandOffTime(*t), text);
  }
  EXPECT_EQ(*ParseHandOffTime("09:05"), (HandOffTime{9, 5}));
}

TEST(HandOffTimeTest, RefusesWhatIsNotHhMmAndNamesIt) {
  for (absl::string_view text : {"24:00", "9:00", "09:60", "09:00:00", " 09:00",
                                 "", "ab:cd", "-1:00", "0900"}) {
    EXPECT_THAT(ParseHandOffTime(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("\"" + std::string(text) + "\"")))
        << text;
  }
}

TEST(WeekdayTest, ParsesAwsNames) {
  const std::vector<std::string> names = {"MON", "TUE", "WED", "THU",
                                          "FRI", "SAT", "SUN"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_THAT(ParseWeekday(names[i]),
                ::tocsin::testing::IsOkAndHolds(static_cast<Weekday>(i)));
    EXPECT_EQ(WeekdayName(static_cast<Weekday>(i)), names[i]);
  }
  for (absl::string_view bad : {"Mon", "MONDAY", "", "mon"}) {
    EXPECT_THAT(ParseWeekday(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MON")))
        << bad;
  }
  EXPECT_EQ(ShiftTypeName(ShiftType::kRegular), "REGULAR");
  EXPECT_EQ(ShiftTypeName(ShiftType::kOverridden), "OVERRIDDEN");
}

// --- Validation
// ------------------------------------------------------------------

TEST(TimeZoneTest, AcceptsUtcAndRegionNames) {
  for (absl::string_view zone :
       {"UTC", "Etc/UTC", "America/New_York", "America/Argentina/Buenos_Aires",
        "America/Port-au-Prince", "Asia/Tokyo", "Australia/Sydney",
        "Europe/London", "Antarctica/Troll", "Pacific/Apia", "Asia/Kolkata"}) {
    EXPECT_THAT(LoadRotationTimeZone(zone), IsOk()) << zone;
  }
}

TEST(TimeZoneTest, RefusesNamesWithoutTheRulesOfARegion) {
  for (absl::string_view zone : {"PST",
                                 "EST",
                                 "CET",
                                 "EST5EDT",
                                 "PST8PDT",
                                 "Etc/GMT+9",
                                 "Etc/GMT",
                                 "GMT+2",
                                 "GMT",
                                 "US/Eastern",
                                 "Japan",
                                 "GB",
                                 "posix/Asia/Tokyo",
                                 "right/Europe/London",
                                 "Asia/../Etc/GMT+9",
                                 "/usr/share/zoneinfo/UTC",
                                 "localtime",
                                 "Fixed/UTC+09:00",
                                 "",
                                 "Asia/",
                                 "asia/tokyo",
                                 "Asia/Tokyo "}) {
    EXPECT_THAT(LoadRotationTimeZone(zone),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("time zone \"" + std::string(zone) +
                                   "\" is refused")))
        << zone;
  }
}

TEST(TimeZoneTest, RefusesRegionNamesTheTzdataDoesNotKnow) {
  EXPECT_THAT(LoadRotationTimeZone("Asia/Atlantis"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"Asia/Atlantis\" is not in the system "
                                 "tzdata")));
}

TEST(ValidateRotationTest, RefusesBadRotationsNamingTheProblem) {
  const RotationSpec good =
      Daily("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00");
  ASSERT_THAT(ValidateRotation(good), IsOk());
  struct Case {
    std::string name;
    std::function<void(RotationSpec&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"no name", [](RotationSpec& s) { s.name = ""; },
       "rotation name is empty"},
      {"no contacts", [](RotationSpec& s) { s.contacts.clear(); },
       "rotation \"r\": contacts is empty"},
      {"empty contact",
       [](RotationSpec& s) {
         s.contacts = {"a", ""};
       },
       "rotation \"r\": contact #2 is empty"},
      {"duplicate contact",
       [](RotationSpec& s) {
         s.contacts = {"a", "b", "a"};
       },
       "rotation \"r\": contact \"a\" appears twice"},
      {"infinite start",
       [](RotationSpec& s) { s.start_time = absl::InfiniteFuture(); },
       "startTime is not a finite instant"},
      {"fixed-offset zone", [](RotationSpec& s) { s.time_zone_id = "PST"; },
       "rotation \"r\": time zone \"PST\" is refused"},
      {"unknown zone",
       [](RotationSpec& s) { s.time_zone_id = "Europe/Atlantis"; },
       "\"Europe/Atlantis\" is not in the system tzdata"},
      {"no recurrence",
       [](RotationSpec& s) { s.recurrence.daily_settings.clear(); },
       "recurrence has no dailySettings, weeklySettings or monthlySettings"},
      {"two kinds of recurrence",
       [](RotationSpec& s) {
         s.recurrence.weekly_settings = {{Weekday::kMonday, H("09:00")}};
       },
       "recurrence has dailySettings and weeklySettings; give exactly one"},
      {"no one on call",
       [](RotationSpec& s) { s.recurrence.number_of_on_calls = 0; },
       "numberOfOnCalls 0 is not between 1 and the rotation's 2 contacts"},
      {"more on call than contacts",
       [](RotationSpec& s) { s.recurrence.number_of_on_calls = 3; },
       "numberOfOnCalls 3 is not between 1 and the rotation's 2 contacts"},
      {"multiplier 0",
       [](RotationSpec& s) { s.recurrence.recurrence_multiplier = 0; },
       "recurrenceMultiplier 0 is not between 1 and 100"},
      {"multiplier 101",
       [](RotationSpec& s) { s.recurrence.recurrence_multiplier = 101; },
       "recurrenceMultiplier 101 is not between 1 and 100"},
      {"hand-off out of range",
       [](RotationSpec& s) {
         s.recurrence.daily_settings = {{24, 0}};
       },
       "dailySettings[0] 24:00 is not a time of day"},
      {"same daily hand-off twice",
       [](RotationSpec& s) {
         s.recurrence.daily_settings = {H("09:00"), H("21:00"), H("09:00")};
       },
       "dailySettings has 09:00 twice"},
      {"same weekly hand-off twice",
       [](RotationSpec& s) {
         s.recurrence.daily_settings.clear();
         s.recurrence.weekly_settings = {{Weekday::kMonday, H("09:00")},
                                         {Weekday::kMonday, H("09:00")}};
       },
       "weeklySettings has MON 09:00 twice"},
      {"bad weekday",
       [](RotationSpec& s) {
         s.recurrence.daily_settings.clear();
         s.recurrence.weekly_settings = {{static_cast<Weekday>(9), H("09:00")}};
       },
       "weeklySettings[0].dayOfWeek 9 is not a day of the week"},
      {"day of month 0",
       [](RotationSpec& s) {
         s.recurrence.daily_settings.clear();
         s.recurrence.monthly_settings = {{0, H("09:00")}};
       },
       "monthlySettings[0].dayOfMonth 0 is not between 1 and 31"},
      {"day of month 32",
       [](RotationSpec& s) {
         s.recurrence.daily_settings.clear();
         s.recurrence.monthly_settings = {{32, H("09:00")}};
       },
       "monthlySettings[0].dayOfMonth 32 is not between 1 and 31"},
      {"30th and 31st meet in 30-day months",
       [](RotationSpec& s) {
         s.recurrence.daily_settings.clear();
         s.recurrence.monthly_settings = {{31, H("09:00")}, {30, H("21:00")}};
       },
       "monthlySettings days 30 and 31 fall on the same day in some months"},
      {"28th and 29th meet in February",
       [](RotationSpec& s) {
         s.recurrence.daily_settings.clear();
         s.recurrence.monthly_settings = {{28, H("09:00")}, {29, H("09:00")}};
       },
       "monthlySettings days 28 and 29 fall on the same day"},
      {"coverage that covers nothing",
       [](RotationSpec& s) {
         s.recurrence.shift_coverages[Weekday::kMonday] = {};
       },
       "shiftCoverages covers no time at all"},
      {"coverage end out of range",
       [](RotationSpec& s) {
         s.recurrence.shift_coverages[Weekday::kMonday] = {
             {H("09:00"), {25, 0}}};
       },
       "shiftCoverages.MON[0].end 25:00 is not a time of day"},
  };
  for (const Case& c : cases) {
    RotationSpec spec = good;
    c.mutate(spec);
    EXPECT_THAT(ValidateRotation(spec),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.want)))
        << c.name;
  }
}

TEST(ValidateRotationTest, AcceptsMonthEndSettingsThatCannotMeet) {
  RotationSpec spec = Monthly("UTC", {"a"}, "2024-01-01T09:00:00+00:00",
                              {{15, H("09:00")}, {31, H("09:00")}});
  EXPECT_THAT(ValidateRotation(spec), IsOk());
  spec.recurrence.monthly_settings = {{31, H("09:00")}, {31, H("21:00")}};
  EXPECT_THAT(ValidateRotation(spec), IsOk());
}

TEST(ValidateOverridesTest, RefusesBadOverridesNamingThem) {
  const Override a =
      Ov("a", {"x"}, "2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00");
  EXPECT_THAT(ValidateOverrides({a}), IsOk());
  EXPECT_THAT(ValidateOverrides({a, Ov("empty", {}, "2024-01-02T00:00:00Z",
                                       "2024-01-03T00:00:00Z")}),
              IsOk());

  EXPECT_THAT(ValidateOverrides({Ov("", {"x"}, "2024-01-01T00:00:00Z",
                                    "2024-01-02T00:00:00Z")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("override #1 has no name")));
  EXPECT_THAT(ValidateOverrides({Ov("backwards", {"x"}, "2024-01-02T00:00:00Z",
                                    "2024-01-01T00:00:00Z")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("override \"backwards\": end "
                                 "2024-01-01T00:00:00+00:00 is not after start "
                                 "2024-01-02T00:00:00+00:00")));
  EXPECT_THAT(ValidateOverrides({Ov("instant", {"x"}, "2024-01-02T00:00:00Z",
                                    "2024-01-02T00:00:00Z")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("override \"instant\": end")));
  EXPECT_THAT(ValidateOverrides({Ov("twice", {"x", "x"}, "2024-01-02T00:00:00Z",
                                    "2024-01-03T00:00:00Z")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("override \"twice\": contact \"x\" appears "
                                 "twice")));
}

TEST(ValidateOverridesTest, RefusesOverlapsNamingBothAndAllowsTouching) {
  const Override later =
      Ov("later", {"y"}, "2024-01-01T12:00:00Z", "2024-01-03T00:00:00Z");
  const Override earlier =
      Ov("earlier", {"x"}, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z");
  EXPECT_THAT(
      ValidateOverrides({later, earlier}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("overrides \"earlier\" (2024-01-01T00:00:00+00:00 to "
                         "2024-01-02T00:00:00+00:00) and \"later\" "
                         "(2024-01-01T12:00:00+00:00 to "
                         "2024-01-03T00:00:00+00:00) overlap")));
  const Override touching =
      Ov("touching", {"y"}, "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z");
  EXPECT_THAT(ValidateOverrides({touching, earlier}), IsOk());
}

TEST(ComputeTest, ValidatesBeforeComputing) {
  const RotationSpec spec = Daily("UTC", {"a"}, "2024-01-01T09:00:00Z");
  const std::vector<Override> overlapping = {
      Ov("x", {"a"}, "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"),
      Ov("y", {"a"}, "2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z")};
  const absl::Time t = T("2024-01-02T00:00:00Z");
  EXPECT_THAT(Shifts(spec, overlapping, t, t + absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rotation \"r\": overrides \"x\"")));
  EXPECT_THAT(
      OnCallAt(spec, overlapping, t),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("overlap")));
  EXPECT_THAT(
      Gaps(spec, overlapping, t, t + absl::Hours(1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("overlap")));
  RotationSpec est = spec;
  est.time_zone_id = "EST";
  EXPECT_THAT(OnCallAt(est, {}, t),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("time zone \"EST\" is refused")));
  EXPECT_THAT(Shifts(spec, {}, t, t - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is before from")));
  EXPECT_THAT(
      Shifts(spec, {}, t, absl::InfiniteFuture()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
  EXPECT_THAT(Shifts(spec, {}, t, t),
              ::tocsin::testing::IsOkAndHolds(IsEmpty()));
}

// --- Recurrences
// ---------------------------------------------------------------

TEST(ShiftsTest, Recurrences) {
  RunShiftsCases({
      {"daily, three contacts in order",
       Daily("UTC", {"a", "b", "c"}, "2024-01-01T09:00:00+00:00"),
       {},
       "2024-01-01T00:00:00+00:00",
       "2024-01-04T00:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-02T09:00:00+00:00 a",
        "2024-01-02T09:00:00+00:00 2024-01-03T09:00:00+00:00 b",
        "2024-01-03T09:00:00+00:00 2024-01-04T09:00:00+00:00 c"}},
      // 2020-01-01 to 2024-01-01 is 1461 days = 487 rounds of three.
      {"daily, counted from a start four years before",
       Daily("UTC", {"a", "b", "c"}, "2020-01-01T09:00:00+00:00"),
       {},
       "2024-01-01T12:00:00+00:00",
       "2024-01-02T12:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-02T09:00:00+00:00 a",
        "2024-01-02T09:00:00+00:00 2024-01-03T09:00:00+00:00 b"}},
      {"daily with multiplier 2: two days each",
       WithMultiplier(Daily("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00"), 2),
       {},
       "2024-01-01T09:00:00+00:00",
       "2024-01-06T00:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-03T09:00:00+00:00 a",
        "2024-01-03T09:00:00+00:00 2024-01-05T09:00:00+00:00 b",
        "2024-01-05T09:00:00+00:00 2024-01-07T09:00:00+00:00 a"}},
      {"a start between hand-offs makes a short first turn",
       Daily("UTC", {"a", "b"}, "2024-01-01T00:00:00+00:00"),
       {},
       "2023-12-31T00:00:00+00:00",
       "2024-01-02T10:00:00+00:00",
       {"2024-01-01T00:00:00+00:00 2024-01-01T09:00:00+00:00 a",
        "2024-01-01T09:00:00+00:00 2024-01-02T09:00:00+00:00 b",
        "2024-01-02T09:00:00+00:00 2024-01-03T09:00:00+00:00 a"}},
      {"two hand-offs a day (given out of order)",
       Daily("UTC", {"a", "b", "c"}, "2024-01-01T09:00:00+00:00",
             {"21:00", "09:00"}),
       {},
       "2024-01-01T09:00:00+00:00",
       "2024-01-02T21:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-01T21:00:00+00:00 a",
        "2024-01-01T21:00:00+00:00 2024-01-02T09:00:00+00:00 b",
        "2024-01-02T09:00:00+00:00 2024-01-02T21:00:00+00:00 c"}},
      {"two on call at once, wrapping around",
       WithOnCalls(Daily("UTC", {"a", "b", "c"}, "2024-01-01T09:00:00+00:00"),
                   2),
       {},
       "2024-01-01T09:00:00+00:00",
       "2024-01-05T09:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-02T09:00:00+00:00 a,b",
        "2024-01-02T09:00:00+00:00 2024-01-03T09:00:00+00:00 c,a",
        "2024-01-03T09:00:00+00:00 2024-01-04T09:00:00+00:00 b,c",
        "2024-01-04T09:00:00+00:00 2024-01-05T09:00:00+00:00 a,b"}},
      {"weekly Monday 10:00 in Tokyo",
       Weekly("Asia/Tokyo", {"a", "b"}, "2024-04-01T10:00:00+09:00",
              {{Weekday::kMonday, H("10:00")}}),
       {},
       "2024-04-01T10:00:00+09:00",
       "2024-04-22T10:00:00+09:00",
       {"2024-04-01T10:00:00+09:00 2024-04-08T10:00:00+09:00 a",
        "2024-04-08T10:00:00+09:00 2024-04-15T10:00:00+09:00 b",
        "2024-04-15T10:00:00+09:00 2024-04-22T10:00:00+09:00 a"}},
      {"weekly, two hand-offs a week",
       Weekly(
           "UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00",
           {{Weekday::kThursday, H("21:00")}, {Weekday::kMonday, H("09:00")}}),
       {},
       "2024-01-01T09:00:00+00:00",
       "2024-01-11T22:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-04T21:00:00+00:00 a",
        "2024-01-04T21:00:00+00:00 2024-01-08T09:00:00+00:00 b",
        "2024-01-08T09:00:00+00:00 2024-01-11T21:00:00+00:00 a",
        "2024-01-11T21:00:00+00:00 2024-01-15T09:00:00+00:00 b"}},
      {"fortnightly: weekly with multiplier 2",
       WithMultiplier(Weekly("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00",
                             {{Weekday::kMonday, H("09:00")}}),
                      2),
       {},
       "2024-01-01T09:00:00+00:00",
       "2024-02-01T00:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-15T09:00:00+00:00 a",
        "2024-01-15T09:00:00+00:00 2024-01-29T09:00:00+00:00 b",
        "2024-01-29T09:00:00+00:00 2024-02-12T09:00:00+00:00 a"}},
      {"monthly on the 1st and the 15th",
       Monthly("UTC", {"a", "b", "c"}, "2024-01-01T09:00:00+00:00",
               {{15, H("09:00")}, {1, H("09:00")}}),
       {},
       "2024-01-01T09:00:00+00:00",
       "2024-02-10T00:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-15T09:00:00+00:00 a",
        "2024-01-15T09:00:00+00:00 2024-02-01T09:00:00+00:00 b",
        "2024-02-01T09:00:00+00:00 2024-02-15T09:00:00+00:00 c"}},
  });
}

TEST(ShiftsTest, MonthEnds) {
  RunShiftsCases({
      // The 31st is February 29 (leap), April 30; March 31 is in EDT.
      {"monthly on the 31st in New York, 2024",
       Monthly("America/New_York", {"a", "b", "c"}, "2024-01-31T09:00:00-05:00",
               {{31, H("09:00")}}),
       {},
       "2024-01-31T09:00:00-05:00",
       "2024-05-01T00:00:00-04:00",
       {"2024-01-31T09:00:00-05:00 2024-02-29T09:00:00-05:00 a",
        "2024-02-29T09:00:00-05:00 2024-03-31T09:00:00-04:00 b",
        "2024-03-31T09:00:00-04:00 2024-04-30T09:00:00-04:00 c",
        "2024-04-30T09:00:00-04:00 2024-05-31T09:00:00-04:00 a"}},
      {"monthly on the 31st, February of a common year",
       Monthly("UTC", {"a", "b"}, "2023-01-31T09:00:00+00:00",
               {{31, H("09:00")}}),
       {},
       "2023-01-31T09:00:00+00:00",
       "2023-03-01T00:00:00+00:00",
       {"2023-01-31T09:00:00+00:00 2023-02-28T09:00:00+00:00 a",
        "2023-02-28T09:00:00+00:00 2023-03-31T09:00:00+00:00 b"}},
      {"monthly on the 29th, February of a common year",
       Monthly("UTC", {"a", "b"}, "2023-01-29T09:00:00+00:00",
               {{29, H("09:00")}}),
       {},
       "2023-02-01T00:00:00+00:00",
       "2023-03-01T00:00:00+00:00",
       {"2023-01-29T09:00:00+00:00 2023-02-28T09:00:00+00:00 a",
        "2023-02-28T09:00:00+00:00 2023-03-29T09:00:00+00:00 b"}},
      // Twelve turns after January 2023: a again.
      {"monthly on the 29th, February of a leap year",
       Monthly("UTC", {"a", "b"}, "2023-01-29T09:00:00+00:00",
               {{29, H("09:00")}}),
       {},
       "2024-02-01T00:00:00+00:00",
       "2024-03-01T00:00:00+00:00",
       {"2024-01-29T09:00:00+00:00 2024-02-29T09:00:00+00:00 a",
        "2024-02-29T09:00:00+00:00 2024-03-29T09:00:00+00:00 b"}},
  });
}

// --- Coverage
// ---------------------------------------------------------------------

TEST(ShiftsTest, Coverage) {
  RunShiftsCases({
      {"business hours, weekly hand-off",
       TokyoBusinessHours(),
       {},
       "2024-04-01T00:00:00+09:00",
       "2024-04-09T00:00:00+09:00",
       {"2024-04-01T09:00:00+09:00 2024-04-01T17:00:00+09:00 a",
        "2024-04-02T09:00:00+09:00 2024-04-02T17:00:00+09:00 a",
        "2024-04-03T09:00:00+09:00 2024-04-03T17:00:00+09:00 a",
        "2024-04-04T09:00:00+09:00 2024-04-04T17:00:00+09:00 a",
        "2024-04-05T09:00:00+09:00 2024-04-05T17:00:00+09:00 a",
        "2024-04-08T09:00:00+09:00 2024-04-08T17:00:00+09:00 b"}},
      // Saturday (c) and Sunday (a) turns pass unseen: Monday is b's.
      {"weekends off: daily turns still count",
       WithCoverage(
           Daily("Asia/Tokyo", {"a", "b", "c"}, "2024-04-01T09:00:00+09:00"),
           kWorkdays, "09:00", "18:00"),
       {},
       "2024-04-01T00:00:00+09:00",
       "2024-04-09T00:00:00+09:00",
       {"2024-04-01T09:00:00+09:00 2024-04-01T18:00:00+09:00 a",
        "2024-04-02T09:00:00+09:00 2024-04-02T18:00:00+09:00 b",
        "2024-04-03T09:00:00+09:00 2024-04-03T18:00:00+09:00 c",
        "2024-04-04T09:00:00+09:00 2024-04-04T18:00:00+09:00 a",
        "2024-04-05T09:00:00+09:00 2024-04-05T18:00:00+09:00 b",
        "2024-04-08T09:00:00+09:00 2024-04-08T18:00:00+09:00 b"}},
      {"a night range crosses midnight and a midnight hand-off splits it",
       WithCoverage(
           Daily("UTC", {"a", "b"}, "2024-01-01T00:00:00+00:00", {"00:00"}),
           {Weekday::kMonday}, "22:00", "06:00"),
       {},
       "2024-01-01T00:00:00+00:00",
       "2024-01-08T00:00:00+00:00",
       {"2024-01-01T22:00:00+00:00 2024-01-02T00:00:00+00:00 a",
        "2024-01-02T00:00:00+00:00 2024-01-02T06:00:00+00:00 b"}},
      // Saturday 00:00-00:00 and Sunday 00:00-00:00 make one stretch: the
      // 09:00 Saturday shift is not cut at midnight.
      {"whole days join across midnight",
       WithCoverage(Daily("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00"),
                    {Weekday::kSaturday, Weekday::kSunday}, "00:00", "00:00"),
       {},
       "2024-01-06T00:00:00+00:00",
       "2024-01-08T00:00:00+00:00",
       {"2024-01-06T00:00:00+00:00 2024-01-06T09:00:00+00:00 a",
        "2024-01-06T09:00:00+00:00 2024-01-07T09:00:00+00:00 b",
        "2024-01-07T09:00:00+00:00 2024-01-08T00:00:00+00:00 a"}},
      {"Sunday night runs into Monday",
       WithCoverage(Weekly("UTC", {"a", "b"}, "2024-01-01T00:00:00+00:00",
                           {{Weekday::kMonday, H("00:00")}}),
                    {Weekday::kSunday}, "22:00", "02:00"),
       {},
       "2024-01-07T00:00:00+00:00",
       "2024-01-09T00:00:00+00:00",
       {"2024-01-07T22:00:00+00:00 2024-01-08T00:00:00+00:00 a",
        "2024-01-08T00:00:00+00:00 2024-01-08T02:00:00+00:00 b"}},
      // Sunday 22:00-02:00 wraps into next week's Monday: one stretch
      // (turn 6, from Sunday 09:00, is a's).
      {"a night across the week's end is not cut at Monday midnight",
       WithCoverage(Daily("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00"),
                    {Weekday::kSunday}, "22:00", "02:00"),
       {},
       "2024-01-07T00:00:00+00:00",
       "2024-01-09T00:00:00+00:00",
       {"2024-01-07T22:00:00+00:00 2024-01-08T02:00:00+00:00 a"}},
      {"09:00-09:00 is 24 hours from 09:00",
       WithCoverage(Weekly("UTC", {"a"}, "2024-01-01T00:00:00+00:00",
                           {{Weekday::kMonday, H("00:00")}}),
                    {Weekday::kWednesday}, "09:00", "09:00"),
       {},
       "2024-01-01T00:00:00+00:00",
       "2024-01-07T00:00:00+00:00",
       {"2024-01-03T09:00:00+00:00 2024-01-04T09:00:00+00:00 a"}},
  });
}

// --- Overrides
// ----------------------------------------------------------------------

TEST(ShiftsTest, Overrides) {
  RunShiftsCases({
      {"an override from mid-shift to mid-shift across a hand-off",
       Weekly("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00",
              {{Weekday::kMonday, H("09:00")}}),
       {Ov("swap", {"c"}, "2024-01-03T12:00:00+00:00",
           "2024-01-09T12:00:00+00:00")},
       "2024-01-01T09:00:00+00:00",
       "2024-01-15T09:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-03T12:00:00+00:00 a",
        "2024-01-03T12:00:00+00:00 2024-01-09T12:00:00+00:00 c OVERRIDDEN "
        "swap",
        "2024-01-09T12:00:00+00:00 2024-01-15T09:00:00+00:00 b"}},
      {"an override inside one shift",
       Daily("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00"),
       {Ov("dentist", {"b"}, "2024-01-01T13:00:00+00:00",
           "2024-01-01T15:00:00+00:00")},
       "2024-01-01T09:00:00+00:00",
       "2024-01-02T09:00:00+00:00",
       {"2024-01-01T09:00:00+00:00 2024-01-01T13:00:00+00:00 a",
        "2024-01-01T13:00:00+00:00 2024-01-01T15:00:00+00:00 b OVERRIDDEN "
        "dentist",
        "2024-01-01T15:00:00+00:00 2024-01-02T09:00:00+00:00 a"}},
      {"an empty override, and one in a coverage gap",
       TokyoBusinessHours(),
       {Ov("weekend-cover", {"c"}, "2024-04-06T10:00:00+09:00",
           "2024-04-06T14:00:00+09:00"),
        Ov("holiday", {}, "2024-04-03T00:00:00+09:00",
           "2024-04-04T00:00:00+09:00")},
       "2024-04-01T00:00:00+09:00",
       "2024-04-08T00:00:00+09:00",
       {"2024-04-01T09:00:00+09:00 2024-04-01T17:00:00+09:00 a",
        "2024-04-02T09:00:00+09:00 2024-04-02T17:00:00+09:00 a",
        "2024-04-03T00:00:00+09:00 2024-04-04T00:00:00+09:00 - OVERRIDDEN "
        "holiday",
        "2024-04-04T09:00:00+09:00 2024-04-04T17:00:00+09:00 a",
        "2024-04-05T09:00:00+09:00 2024-04-05T17:00:00+09:00 a",
        "2024-04-06T10:00:00+09:00 2024-04-06T14:00:00+09:00 c OVERRIDDEN "
        "weekend-cover"}},
      {"an override before startTime",
       Daily("UTC", {"a", "b"}, "2024-01-10T09:00:00+00:00"),
       {Ov("early", {"a"}, "2024-01-05T00:00:00+00:00",
           "2024-01-06T00:00:00+00:00")},
       "2024-01-01T00:00:00+00:00",
       "2024-01-11T00:00:00+00:00",
       {"2024-01-05T00:00:00+00:00 2024-01-06T00:00:00+00:00 a OVERRIDDEN "
        "early",
        "2024-01-10T09:00:00+00:00 2024-01-11T09:00:00+00:00 a"}},
      // Asked from inside the override: the shift before it is not listed,
      // the override is listed whole.
      {"shifts are listed whole, not cut at from and to",
       Daily("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00"),
       {Ov("dentist", {"b"}, "2024-01-01T13:00:00+00:00",
           "2024-01-01T15:00:00+00:00")},
       "2024-01-01T14:00:00+00:00",
       "2024-01-01T16:00:00+00:00",
       {"2024-01-01T13:00:00+00:00 2024-01-01T15:00:00+00:00 b OVERRIDDEN "
        "dentist",
        "2024-01-01T15:00:00+00:00 2024-01-02T09:00:00+00:00 a"}},
  });
}

// --- Daylight-saving changes
// ------------------------------------------------------

TEST(ShiftsTest, NewYorkSpringForwardAndFallBack) {
  RunShiftsCases({
      {"09:00 stays 09:00 across spring forward (a 23-hour day)",
       Daily("America/New_York", {"a", "b"}, "2024-03-08T09:00:00-05:00"),
       {},
       "2024-03-08T09:00:00-05:00",
       "2024-03-11T09:00:00-04:00",
       {"2024-03-08T09:00:00-05:00 2024-03-09T09:00:00-05:00 a",
        "2024-03-09T09:00:00-05:00 2024-03-10T09:00:00-04:00 b",
        "2024-03-10T09:00:00-04:00 2024-03-11T09:00:00-04:00 a"}},
      {"a skipped 02:30 hand-off happens at the jump, 03:00 EDT",
       Daily("America/New_York", {"a", "b"}, "2024-03-08T02:30:00-05:00",
             {"02:30"}),
       {},
       "2024-03-08T02:30:00-05:00",
       "2024-03-11T02:30:00-04:00",
       {"2024-03-08T02:30:00-05:00 2024-03-09T02:30:00-05:00 a",
        "2024-03-09T02:30:00-05:00 2024-03-10T03:00:00-04:00 b",
        "2024-03-10T03:00:00-04:00 2024-03-11T02:30:00-04:00 a"}},
      // 02:00 and 02:30 both fall at 03:00 EDT: c's turn is empty and passes.
      {"two hand-offs in the skipped hour: the turn between them passes",
       Daily("America/New_York", {"a", "b", "c"}, "2024-03-09T02:00:00-05:00",
             {"02:00", "02:30"}),
       {},
       "2024-03-09T02:00:00-05:00",
       "2024-03-11T02:30:00-04:00",
       {"2024-03-09T02:00:00-05:00 2024-03-09T02:30:00-05:00 a",
        "2024-03-09T02:30:00-05:00 2024-03-10T03:00:00-04:00 b",
        "2024-03-10T03:00:00-04:00 2024-03-11T02:00:00-04:00 a",
        "2024-03-11T02:00:00-04:00 2024-03-11T02:30:00-04:00 b"}},
      {"09:00 stays 09:00 across fall back (a 25-hour day)",
       Daily("America/New_York", {"a", "b"}, "2024-11-02T09:00:00-04:00"),
       {},
       "2024-11-02T09:00:00-04:00",
       "2024-11-04T09:00:00-05:00",
       {"2024-11-02T09:00:00-04:00 2024-11-03T09:00:00-05:00 a",
        "2024-11-03T09:00:00-05:00 2024-11-04T09:00:00-05:00 b"}},
      {"a repeated 01:30 hand-off happens the first time, 01:30 EDT",
       Daily("America/New_York", {"a", "b"}, "2024-11-02T01:30:00-04:00",
             {"01:30"}),
       {},
       "2024-11-02T01:30:00-04:00",
       "2024-11-04T01:30:00-05:00",
       {"2024-11-02T01:30:00-04:00 2024-11-03T01:30:00-04:00 a",
        "2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00 b"}},
      {"monthly on the 10th at 02:30, the day clocks spring forward",
       Monthly("America/New_York", {"a", "b"}, "2024-02-10T02:30:00-05:00",
               {{10, H("02:30")}}),
       {},
       "2024-02-10T02:30:00-05:00",
       "2024-04-10T02:30:00-04:00",
       {"2024-02-10T02:30:00-05:00 2024-03-10T03:00:00-04:00 a",
        "2024-03-10T03:00:00-04:00 2024-04-10T02:30:00-04:00 b"}},
      // Sunday 00:00-02:00 on November 3 is 00:00 EDT to 02:00 EST: three
      // hours, cut by the 01:30 EDT hand-off.
      {"coverage through the repeated hour",
       WithCoverage(Daily("America/New_York", {"a", "b"},
                          "2024-11-02T01:30:00-04:00", {"01:30"}),
                    {Weekday::kSunday}, "00:00", "02:00"),
       {},
       "2024-11-03T00:00:00-04:00",
       "2024-11-04T00:00:00-05:00",
       {"2024-11-03T00:00:00-04:00 2024-11-03T01:30:00-04:00 a",
        "2024-11-03T01:30:00-04:00 2024-11-03T02:00:00-05:00 b"}},
      {"coverage ending at a skipped 02:30 ends at the jump",
       WithCoverage(Daily("America/New_York", {"a"},
                          "2024-03-03T00:00:00-05:00", {"00:00"}),
                    {Weekday::kSunday}, "00:00", "02:30"),
       {},
       "2024-03-10T00:00:00-05:00",
       "2024-03-11T00:00:00-04:00",
       {"2024-03-10T00:00:00-05:00 2024-03-10T03:00:00-04:00 a"}},
  });
}

TEST(ShiftsTest, LondonSpringForwardAndFallBack) {
  RunShiftsCases({
      {"a skipped 01:30 hand-off happens at the jump, 02:00 BST",
       Daily("Europe/London", {"a", "b"}, "2024-03-29T01:30:00+00:00",
             {"01:30"}),
       {},
       "2024-03-29T01:30:00+00:00",
       "2024-04-01T01:30:00+01:00",
       {"2024-03-29T01:30:00+00:00 2024-03-30T01:30:00+00:00 a",
        "2024-03-30T01:30:00+00:00 2024-03-31T02:00:00+01:00 b",
        "2024-03-31T02:00:00+01:00 2024-04-01T01:30:00+01:00 a"}},
      {"a repeated 01:30 hand-off happens the first time, 01:30 BST",
       Daily("Europe/London", {"a", "b"}, "2024-10-26T01:30:00+01:00",
             {"01:30"}),
       {},
       "2024-10-26T01:30:00+01:00",
       "2024-10-28T01:30:00+00:00",
       {"2024-10-26T01:30:00+01:00 2024-10-27T01:30:00+01:00 a",
        "2024-10-27T01:30:00+01:00 2024-10-28T01:30:00+00:00 b"}},
      {"business hours stay 09:00-17:00 local across fall back",
       WithCoverage(
           Weekly("Europe/London", {"a", "b"}, "2024-10-21T09:00:00+01:00",
                  {{Weekday::kMonday, H("09:00")}}),
           kWorkdays, "09:00", "17:00"),
       {},
       "2024-10-25T00:00:00+01:00",
       "2024-10-29T00:00:00+00:00",
       {"2024-10-25T09:00:00+01:00 2024-10-25T17:00:00+01:00 a",
        "2024-10-28T09:00:00+00:00 2024-10-28T17:00:00+00:00 b"}},
  });
}

TEST(ShiftsTest, SydneyAprilAndOctober) {
  RunShiftsCases({
      // Summer time ends on Sunday April 7, 03:00 AEDT -> 02:00 AEST.
      {"a repeated 02:30 hand-off in April happens the first time",
       Daily("Australia/Sydney", {"a", "b"}, "2024-04-05T02:30:00+11:00",
             {"02:30"}),
       {},
       "2024-04-05T02:30:00+11:00",
       "2024-04-08T02:30:00+10:00",
       {"2024-04-05T02:30:00+11:00 2024-04-06T02:30:00+11:00 a",
        "2024-04-06T02:30:00+11:00 2024-04-07T02:30:00+11:00 b",
        "2024-04-07T02:30:00+11:00 2024-04-08T02:30:00+10:00 a"}},
      {"a weekly Monday 09:00 hand-off across the April change",
       Weekly("Australia/Sydney", {"a", "b"}, "2024-04-01T09:00:00+11:00",
              {{Weekday::kMonday, H("09:00")}}),
       {},
       "2024-04-01T09:00:00+11:00",
       "2024-04-15T09:00:00+10:00",
       {"2024-04-01T09:00:00+11:00 2024-04-08T09:00:00+10:00 a",
        "2024-04-08T09:00:00+10:00 2024-04-15T09:00:00+10:00 b"}},
      // Summer time starts on Sunday October 6, 02:00 AEST -> 03:00 AEDT.
      {"a skipped 02:30 hand-off in October happens at the jump",
       Daily("Australia/Sydney", {"a", "b"}, "2024-10-04T02:30:00+10:00",
             {"02:30"}),
       {},
       "2024-10-04T02:30:00+10:00",
       "2024-10-07T02:30:00+11:00",
       {"2024-10-04T02:30:00+10:00 2024-10-05T02:30:00+10:00 a",
        "2024-10-05T02:30:00+10:00 2024-10-06T03:00:00+11:00 b",
        "2024-10-06T03:00:00+11:00 2024-10-07T02:30:00+11:00 a"}},
  });
}

TEST(ShiftsTest, TokyoHasNoChanges) {
  RunShiftsCases({
      {"02:30 every day, also when New York and Sydney change",
       Daily("Asia/Tokyo", {"a", "b"}, "2024-03-09T02:30:00+09:00", {"02:30"}),
       {},
       "2024-03-09T02:30:00+09:00",
       "2024-03-11T02:30:00+09:00",
       {"2024-03-09T02:30:00+09:00 2024-03-10T02:30:00+09:00 a",
        "2024-03-10T02:30:00+09:00 2024-03-11T02:30:00+09:00 b"}},
  });
}

// Whatever OnCallAt says at an instant is what the shift Shifts() lists for it
// says, across the changes (every 10 minutes over the days around them).
TEST(ShiftsTest, OnCallAtAgreesWithShiftsAroundChanges) {
  const std::vector<std::pair<RotationSpec, std::string>> cases = {
      {Daily("America/New_York", {"a", "b", "c"}, "2024-03-09T02:00:00-05:00",
             {"02:00", "02:30", "09:00"}),
       "2024-03-09T00:00:00-05:00"},
      {WithCoverage(Daily("America/New_York", {"a", "b"},
                          "2024-11-01T01:30:00-04:00", {"01:30"}),
                    {Weekday::kSunday, Weekday::kSaturday}, "01:00", "02:00"),
       "2024-11-02T00:00:00-04:00"},
      {Daily("Europe/London", {"a", "b"}, "2024-03-29T01:30:00+00:00",
             {"01:30"}),
       "2024-03-30T00:00:00+00:00"},
      {Daily("Australia/Sydney", {"a", "b"}, "2024-04-05T02:30:00+11:00",
             {"02:30"}),
       "2024-04-06T00:00:00+11:00"},
  };
  for (const auto& [spec, from] : cases) {
    SCOPED_TRACE(spec.time_zone_id);
    const absl::Time start = T(from);
    const absl::Time end = start + absl::Hours(72);
    ASSERT_OK_AND_ASSIGN(std::vector<Shift> shifts,
                         Shifts(spec, {}, start, end));
    for (absl::Time t = start; t < end; t += absl::Minutes(10)) {
      ASSERT_OK_AND_ASSIGN(OnCall on, OnCallAt(spec, {}, t));
      std::vector<std::string> want;
      for (const Shift& s : shifts) {
        if (s.start <= t && t < s.end) want = s.contacts;
      }
      EXPECT_EQ(on.contacts, want) << Instant(t, spec.time_zone_id);
    }
  }
}

// --- Who is on call at an instant
// ---------------------------------------------------

TEST(OnCallAtTest, RegularAndOverriddenShifts) {
  const RotationSpec spec =
      Weekly("UTC", {"a", "b"}, "2024-01-01T09:00:00+00:00",
             {{Weekday::kMonday, H("09:00")}});
  const std::vector<Override> overrides = {Ov(
      "swap", {"c"}, "2024-01-03T12:00:00+00:00", "2024-01-09T12:00:00+00:00")};

  ASSERT_OK_AND_ASSIGN(OnCall regular,
                       OnCallAt(spec, overrides, T("2024-01-02T00:00:00Z")));
  EXPECT_THAT(regular.contacts, ElementsAre("a"));
  ASSERT_TRUE(regular.shift.has_value());
  EXPECT_FALSE(regular.nobody.has_value());
  EXPECT_EQ(Show(*regular.shift, "UTC"),
            "2024-01-01T09:00:00+00:00 2024-01-03T12:00:00+00:00 a");

  ASSERT_OK_AND_ASSIGN(OnCall overridden,
                       OnCallAt(spec, overrides, T("2024-01-08T10:00:00Z")));
  EXPECT_THAT(overridden.contacts, ElementsAre("c"));
  ASSERT_TRUE(overridden.shift.has_value());
  EXPECT_EQ(Show(*overridden.shift, "UTC"),
            "2024-01-03T12:00:00+00:00 2024-01-09T12:00:00+00:00 c "
            "OVERRIDDEN swap");

  // The override ends exactly here: b from now on.
  ASSERT_OK_AND_ASSIGN(OnCall after,
                       OnCallAt(spec, overrides, T("2024-01-09T12:00:00Z")));
  EXPECT_THAT(after.contacts, ElementsAre("b"));
  EXPECT_EQ(Show(*after.shift, "UTC"),
            "2024-01-09T12:00:00+00:00 2024-01-15T09:00:00+00:00 b");
}

TEST(OnCallAtTest, TheSecondPassOfARepeatedHourBelongsToTheNewShift) {
  const RotationSpec spec = Daily("America/New_York", {"a", "b"},
                                  "2024-11-02T01:30:00-04:00", {"01:30"});
  ASSERT_OK_AND_ASSIGN(OnCall first,
                       OnCallAt(spec, {}, T("2024-11-03T01:15:00-04:00")));
  EXPECT_THAT(first.contacts, ElementsAre("a"));
  ASSERT_OK_AND_ASSIGN(OnCall second,
                       OnCallAt(spec, {}, T("2024-11-03T01:15:00-05:00")));
  EXPECT_THAT(second.contacts, ElementsAre("b"));
  EXPECT_EQ(Show(*second.shift, "America/New_York"),
            "2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00 b");
}

TEST(OnCallAtTest, OutsideCoverageSaysWhenItEndedAndWhenItResumes) {
  ASSERT_OK_AND_ASSIGN(OnCall on,
                       OnCallAt(TokyoBusinessHours(), {},
                                T("2024-04-05T20:00:00+09:00")));  // a Friday
  EXPECT_THAT(on.contacts, IsEmpty());
  EXPECT_FALSE(on.shift.has_value());
  ASSERT_TRUE(on.nobody.has_value());
  EXPECT_EQ(on.nobody->reason, NobodyReason::kOutsideCoverage);
  EXPECT_EQ(Instant(on.nobody->gap.start, "Asia/Tokyo"),
            "2024-04-05T17:00:00+09:00");
  EXPECT_EQ(Instant(on.nobody->gap.end, "Asia/Tokyo"),
            "2024-04-08T09:00:00+09:00");
  EXPECT_EQ(on.nobody->explanation,
            "coverage of rotation tokyo ended FRI 17:00 Asia/Tokyo; next on "
            "call at 2024-04-08T09:00:00+09:00 (MON 09:00 Asia/Tokyo)");
}

TEST(OnCallAtTest, BeforeStartTime) {
  const RotationSpec spec = Daily("UTC", {"a", "b"}, "2024-01-10T09:00:00Z");
  ASSERT_OK_AND_ASSIGN(OnCall on,
                       OnCallAt(spec, {}, T("2024-01-01T00:00:00Z")));
  ASSERT_TRUE(on.nobody.has_value());
  EXPECT_EQ(on.nobody->reason, NobodyReason::kNotStarted);
  EXPECT_EQ(on.nobody->gap.start, absl::InfinitePast());
  EXPECT_EQ(on.nobody->gap.end, T("2024-01-10T09:00:00Z"));
  EXPECT_EQ(on.nobody->explanation,
            "rotation r starts 2024-01-10T09:00:00+00:00; next on call at "
            "2024-01-10T09:00:00+00:00 (WED 09:00 UTC)");
}

TEST(OnCallAtTest, EmptyOverrideAndOverridesInGapsBoundTheGap) {
  const std::vector<Override> overrides = {
      Ov("holiday", {}, "2024-04-03T00:00:00+09:00",
         "2024-04-04T00:00:00+09:00"),
      Ov("weekend-cover", {"c"}, "2024-04-06T10:00:00+09:00",
         "2024-04-06T14:00:00+09:00")};

  ASSERT_OK_AND_ASSIGN(OnCall holiday,
                       OnCallAt(TokyoBusinessHours(), overrides,
                                T("2024-04-03T12:00:00+09:00")));
  ASSERT_TRUE(holiday.nobody.has_value());
  EXPECT_EQ(holiday.nobody->reason, NobodyReason::kEmptyOverride);
  EXPECT_EQ(holiday.nobody->override_name, "holiday");
  EXPECT_EQ(Instant(holiday.nobody->gap.start, "Asia/Tokyo"),
            "2024-04-02T17:00:00+09:00");
  EXPECT_EQ(Instant(holiday.nobody->gap.end, "Asia/Tokyo"),
            "2024-04-04T09:00:00+09:00");
  EXPECT_EQ(holiday.nobody->explanation,
            "override holiday of rotation tokyo puts nobody on call until "
            "2024-04-04T00:00:00+09:00; next on call at "
            "2024-04-04T09:00:00+09:00 (THU 09:00 Asia/Tokyo)");

  ASSERT_OK_AND_ASSIGN(OnCall saturday,
                       OnCallAt(TokyoBusinessHours(), overrides,
                                T("2024-04-06T09:00:00+09:00")));
  ASSERT_TRUE(saturday.nobody.has_value());
  EXPECT_EQ(saturday.nobody->reason, NobodyReason::kOutsideCoverage);
  EXPECT_EQ(Instant(saturday.nobody->gap.start, "Asia/Tokyo"),
            "2024-04-05T17:00:00+09:00");
  EXPECT_EQ(Instant(saturday.nobody->gap.end, "Asia/Tokyo"),
            "2024-04-06T10:00:00+09:00");

  ASSERT_OK_AND_ASSIGN(OnCall covered,
                       OnCallAt(TokyoBusinessHours(), overrides,
                                T("2024-04-06T11:00:00+09:00")));
  EXPECT_THAT(covered.contacts, ElementsAre("c"));

  // After the weekend cover, nobody until Monday.
  ASSERT_OK_AND_ASSIGN(OnCall sunday, OnCallAt(TokyoBusinessHours(), overrides,
                                               T("2024-04-07T12:00:00+09:00")));
  ASSERT_TRUE(sunday.nobody.has_value());
  EXPECT_EQ(Instant(sunday.nobody->gap.start, "Asia/Tokyo"),
            "2024-04-06T14:00:00+09:00");
  EXPECT_EQ(Instant(sunday.nobody->gap.end, "Asia/Tokyo"),
            "2024-04-08T09:00:00+09:00");
}

// --- Gaps
// -------------------------------------------------------------------------------

TEST(GapsTest, CoverageGapsAreCutAtTheRange) {
  EXPECT_THAT(
      ShowRanges(Gaps(TokyoBusinessHours(), {}, T("2024-04-05T00:00:00+09:00"),
                      T("2024-04-09T00:00:00+09:00")),
                 "Asia/Tokyo"),
      ElementsAre("2024-04-05T00:00:00+09:00 2024-04-05T09:00:00+09:00",
                  "2024-04-05T17:00:00+09:00 2024-04-08T09:00:00+09:00",
                  "2024-04-08T17:00:00+09:00 2024-04-09T00:00:00+09:00"));
}

TEST(GapsTest, BeforeStartAndEmptyOverrides) {
  const RotationSpec spec = Daily("UTC", {"a", "b"}, "2024-01-10T09:00:00Z");
  const std::vector<Override> overrides = {
      Ov("holiday", {}, "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z"),
      Ov("cover", {"b"}, "2024-01-13T00:00:00Z", "2024-01-13T06:00:00Z")};
  EXPECT_THAT(
      ShowRanges(Gaps(spec, overrides, T("2024-01-09T00:00:00Z"),
                      T("2024-01-14T00:00:00Z")),
                 "UTC"),
      ElementsAre("2024-01-09T00:00:00+00:00 2024-01-10T09:00:00+00:00",
                  "2024-01-12T00:00:00+00:00 2024-01-13T00:00:00+00:00"));
}

TEST(GapsTest, RoundTheClockHasNone) {
  const RotationSpec spec = Daily("UTC", {"a"}, "2024-01-01T09:00:00Z");
  EXPECT_THAT(ShowRanges(Gaps(spec, {}, T("2024-01-02T00:00:00Z"),
                              T("2025-01-02T00:00:00Z")),
                         "UTC"),
              IsEmpty());
}

// --- Long ranges
// --------------------------------------------------------------------------

// Hand-offs every hour on the hour, five contacts.
RotationSpec Hourly(absl::string_view start) {
  RotationSpec spec = Daily("UTC", {"a", "b", "c", "d", "e"}, start, {});
  for (int h = 0; h < 24; ++h) spec.recurrence.daily_settings.push_back({h, 0});
  return spec;
}

// 2024-01-01 is day 19723 after 1970-01-01: hour 473352 = 5 * 94670 + 2.
TEST(LongRangeTest, AYearOfHourlyShiftsCountedFrom1970) {
  const RotationSpec spec = Hourly("1970-01-01T00:00:00Z");
  ASSERT_OK_AND_ASSIGN(
      std::vector<Shift> shifts,
      Shifts(spec, {}, T("2024-01-01T00:00:00Z"), T("2025-01-01T00:00:00Z")));
  ASSERT_EQ(shifts.size(), 366u * 24u);
  EXPECT_EQ(Show(shifts.front(), "UTC"),
            "2024-01-01T00:00:00+00:00 2024-01-01T01:00:00+00:00 c");
  EXPECT_EQ(Show(shifts.back(), "UTC"),
            "2024-12-31T23:00:00+00:00 2025-01-01T00:00:00+00:00 a");
  for (size_t i = 1; i < shifts.size(); ++i) {
    ASSERT_EQ(shifts[i].start, shifts[i - 1].end) << i;
  }

  ASSERT_OK_AND_ASSIGN(OnCall on,
                       OnCallAt(spec, {}, T("2024-01-01T12:30:00Z")));
  EXPECT_THAT(on.contacts, ElementsAre("e"));  // hour 473364 = 5 * 94672 + 4
}

TEST(LongRangeTest, TooManyShiftsIsAClearError) {
  EXPECT_THAT(Shifts(Hourly("1970-01-01T00:00:00Z"), {},
                     T("2024-01-01T00:00:00Z"), T("2026-01-01T00:00:00Z")),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("more than 10000 shifts")));
}

TEST(LongRangeTest, ALongOverrideIsSkippedNotWalked) {
  const RotationSpec spec = TokyoBusinessHours();
  const std::vector<Override> overrides = {Ov("sabbatical", {},
                                              "2024-04-10T00:00:00+09:00",
                                              "2124-04-10T00:00:00+09:00")};
  ASSERT_OK_AND_ASSIGN(
      OnCall on, OnCallAt(spec, overrides, T("2074-01-01T00:00:00+09:00")));
  ASSERT_TRUE(on.nobody.has_value());
  EXPECT_EQ(Instant(on.nobody->gap.start, "Asia/Tokyo"),
            "2024-04-09T17:00:00+09:00");
  // 2124-04-10 is a Monday.
  EXPECT_EQ(Instant(on.nobody->gap.end, "Asia/Tokyo"),
            "2124-04-10T09:00:00+09:00");
  EXPECT_THAT(
      ShowRanges(Gaps(spec, overrides, T("2024-04-09T00:00:00+09:00"),
                      T("2124-04-11T00:00:00+09:00")),
                 "Asia/Tokyo"),
      ElementsAre("2024-04-09T00:00:00+09:00 2024-04-09T09:00:00+09:00",
                  "2024-04-09T17:00:00+09:00 2124-04-10T09:00:00+09:00",
                  "2124-04-10T17:00:00+09:00 2124-04-11T00:00:00+09:00"));
}

// --- Schedules: follow the sun
// -------------------------------------------------------

// Tokyo covers 06:00-18:00 JST (21:00-09:00 UTC) and London 09:00-21:00 on
// workdays. In winter (GMT) that is 24 hours; in summer (BST, 08:00-20:00
// UTC) they overlap 08:00-09:00 UTC and leave 20:00-21:00 UTC open, the gap
// AWS warns about.
std::vector<ScheduleRotation> FollowTheSun() {
  RotationSpec tokyo =
      WithOnCalls(WithCoverage(Weekly("Asia/Tokyo", {"kenji", "lead"},
                                      "2024-01-01T06:00:00+09:00",
                                      {{Weekday::kMonday, H("06:00")}}),
                               kWorkdays, "06:00", "18:00"),
                  2);
  tokyo.name = "tokyo";
  RotationSpec london =
      WithOnCalls(WithCoverage(Weekly("Europe/London", {"amy", "lead"},
                                      "2024-01-01T09:00:00+00:00",
                                      {{Weekday::kMonday, H("09:00")}}),
                               kWorkdays, "09:00", "21:00"),
                  2);
  london.name = "london";
  return {{tokyo, {}}, {london, {}}};
}

TEST(ScheduleTest, FollowTheSunHasNoWeekdayGapsInWinter) {
  EXPECT_THAT(
      ShowRanges(ScheduleGaps(FollowTheSun(), T("2024-01-08T00:00:00Z"),
                              T("2024-01-15T00:00:00Z")),
                 "UTC"),
      ElementsAre("2024-01-12T21:00:00+00:00 2024-01-14T21:00:00+00:00"));
}

TEST(ScheduleTest, FollowTheSunHasAnEveningGapInSummer) {
  EXPECT_THAT(
      ShowRanges(ScheduleGaps(FollowTheSun(), T("2024-07-08T00:00:00Z"),
                              T("2024-07-15T00:00:00Z")),
                 "UTC"),
      ElementsAre("2024-07-08T20:00:00+00:00 2024-07-08T21:00:00+00:00",
                  "2024-07-09T20:00:00+00:00 2024-07-09T21:00:00+00:00",
                  "2024-07-10T20:00:00+00:00 2024-07-10T21:00:00+00:00",
                  "2024-07-11T20:00:00+00:00 2024-07-11T21:00:00+00:00",
                  "2024-07-12T20:00:00+00:00 2024-07-14T21:00:00+00:00"));
}

TEST(ScheduleTest, OverlapIsTheUnionWithoutDuplicates) {
  ASSERT_OK_AND_ASSIGN(
      ScheduleOnCall on,
      ScheduleOnCallAt(FollowTheSun(), T("2024-07-08T08:30:00Z")));
  EXPECT_THAT(on.contacts, ElementsAre("kenji", "lead", "amy"));
  EXPECT_EQ(on.explanation, "");
  EXPECT_EQ(on.rotations.size(), 2u);
  EXPECT_EQ(Instant(on.unchanged.start, "UTC"), "2024-07-08T08:00:00+00:00");
  EXPECT_EQ(Instant(on.unchanged.end, "UTC"), "2024-07-08T09:00:00+00:00");

  ASSERT_OK_AND_ASSIGN(
      ScheduleOnCall winter,
      ScheduleOnCallAt(FollowTheSun(), T("2024-01-08T08:30:00Z")));
  EXPECT_THAT(winter.contacts, ElementsAre("kenji", "lead"));
  EXPECT_FALSE(winter.rotations[0].nobody.has_value());
  ASSERT_TRUE(winter.rotations[1].nobody.has_value());
  EXPECT_EQ(winter.rotations[1].nobody->reason, NobodyReason::kOutsideCoverage);
}

TEST(ScheduleTest, NobodyOnCallSaysWhyForEachRotation) {
  ASSERT_OK_AND_ASSIGN(
      ScheduleOnCall on,
      ScheduleOnCallAt(FollowTheSun(), T("2024-07-08T20:30:00Z")));
  EXPECT_THAT(on.contacts, IsEmpty());
  EXPECT_EQ(on.explanation,
            "nobody on call: coverage of rotation tokyo ended MON 18:00 "
            "Asia/Tokyo; next on call at 2024-07-09T06:00:00+09:00 (TUE 06:00 "
            "Asia/Tokyo); coverage of rotation london ended MON 21:00 "
            "Europe/London; next on call at 2024-07-09T09:00:00+01:00 (TUE "
            "09:00 Europe/London)");
  EXPECT_EQ(Instant(on.unchanged.start, "UTC"), "2024-07-08T20:00:00+00:00");
  EXPECT_EQ(Instant(on.unchanged.end, "UTC"), "2024-07-08T21:00:00+00:00");
}

TEST(ScheduleTest, RefusesNoRotationsAndNamesABadOne) {
  EXPECT_THAT(ScheduleOnCallAt({}, T("2024-01-01T00:00:00Z")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at least one rotation")));
  std::vector<ScheduleRotation> rotations = FollowTheSun();
  rotations[1].spec.time_zone_id = "GMT";
  EXPECT_THAT(ScheduleGaps(rotations, T("2024-01-01T00:00:00Z"),
                           T("2024-01-02T00:00:00Z")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rotation \"london\": time zone \"GMT\"")));
}

}  // namespace
}  // namespace tocsin::oncall
