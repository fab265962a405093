// On-call rotations: who is on call when, computed from a rotation's rules.
//
// A pure, deterministic library modelled on AWS Incident Manager's
// ssm-contacts rotations (CreateRotation, CreateRotationOverride,
// ListRotationShifts, ListPreviewRotationShifts). Nothing here reads a clock
// or does I/O beyond loading zone rules from the system tzdata through
// absl::LoadTimeZone: every function takes the instants it needs, so the code
// that pages, the preview of a rotation not saved yet, the CLI and the
// iCalendar feed all compute the same shifts. All functions are thread-safe.
//
//   RotationSpec spec;
//   spec.name = "tokyo";
//   spec.contacts = {"kenji", "yuki"};
//   spec.start_time = start;  // where counting starts
//   spec.time_zone_id = "Asia/Tokyo";
//   spec.recurrence.weekly_settings = {{Weekday::kMonday, {9, 0}}};
//   ASSIGN_OR_RETURN(OnCall now, OnCallAt(spec, overrides, clock->Now()));
//   if (now.nobody) timeline.Add(now.nobody->explanation);
//
// Errors: InvalidArgument for a rotation, override or range that is not
// valid (the message names the field and the value, with the rotation's or
// override's name); ResourceExhausted when a range holds more than kMaxShifts
// shifts or gaps (ask for a shorter range). Nothing else.
//
// ## The model (every choice, for docs/oncall.md)
//
// Time zone. A rotation's hand-off and coverage times are wall-clock times in
// its zone, turned into instants with the zone's rules (absl::TimeZone over
// the system tzdata, Debian package tzdata), so a 09:00 hand-off stays at
// 09:00 local across daylight-saving changes: shifts are never "start plus a
// duration". timeZoneId must be "UTC" (or "Etc/UTC") or an IANA region name
// Area/Location[/Sub] whose Area is one of Africa, America, Antarctica,
// Arctic, Asia, Atlantic, Australia, Europe, Indian, Pacific (components of
// letters, digits, '_', '-', '+', starting with a letter). As AWS does, names
// without the daylight-saving rules of a region are refused: abbreviations
// and POSIX-style names ("PST", "EST", "CET", "EST5EDT", "GMT+2"),
// fixed offsets ("Etc/GMT+9") and legacy aliases outside those areas
// ("US/Eastern", "Japan", "GB"). A name of that form that tzdata does not
// know is refused too.
//
// Wall-clock times that do not exist or happen twice. A local time skipped
// by a spring-forward change (02:30 in New York on 2024-03-10) means the
// transition instant, when the clock jumps past it (03:00 EDT). A local time
// that happens twice in a fall-back change (01:30 in New York on 2024-11-03)
// means its first occurrence (01:30 EDT), as GoAlert chose (PR #1252). The
// same rule applies to hand-offs and to coverage starts and ends.
//
// Recurrence. Exactly one of dailySettings (times of day), weeklySettings
// (day of week + time) or monthlySettings (day of month + time) is given;
// each lists one or more hand-offs per day, week or month, and a list may
// not hold the same hand-off twice. Together they make one sequence of
// hand-offs. A monthly dayOfMonth from 29 to 31 falls on the month's last day
// in shorter months (the 31st is April 30, February 28 or 29); two monthly
// settings with different days from 28 to 31 are refused, since they would
// fall on the same day in some month. Weeks start on Monday.
//
// Turns and who is on call. startTime is where counting starts: the first
// turn begins at startTime (which need not be a hand-off; set it at one to
// avoid a short first turn) and every turn lasts recurrenceMultiplier
// (1-100) hand-offs of the sequence, so with one hand-off per day, week or
// month it lasts that many days, weeks or months, as AWS says. Turn k has
// numberOfOnCalls (1 to the number of contacts) contacts, taken in order
// from the ordered contact list, wrapping around: with contacts a..e and 2
// on call, turns are {a,b} {c,d} {e,a} {b,c}... Before startTime nobody from
// the rotation is on call. If two hand-offs fall on one instant (both in the
// same skipped hour), the turn between them is empty and is not listed: its
// contacts' turn passes.
//
// Coverage. shiftCoverages maps days of the week to local time ranges
// {start, end}; outside them nobody from the rotation is on call (a gap).
// Empty means always covered. A range ends on its own day when end > start,
// otherwise on the next day: end "00:00" is the midnight that ends the day,
// "00:00"-"00:00" is the whole day, "22:00"-"06:00" is a night, and
// "09:00"-"09:00" is 24 hours. Ranges may overlap (their union counts), and
// ranges that touch, also across midnight, make one stretch. Days not in the
// map are not covered; a map that covers no time at all is refused. Coverage
// never changes who is next: turns are counted by hand-offs whether or not
// they are covered (with a daily rotation and weekends off, the weekend turns
// pass unseen), as PagerDuty restrictions and GoAlert rules do.
//
// Overrides. An override puts its contacts on call between start and end
// (end after start; both may fall mid-shift), in place of whatever the
// rotation says there, also in a coverage gap and before startTime: an
// override is who is on call, period. Its contacts may be empty (as AWS's
// NewContactIds may): nobody is on call then. Overrides of one rotation may
// touch but not overlap. Their contacts need not be members of the rotation.
//
// Shifts. Shifts() lists, in time order, REGULAR shifts (a turn of the
// rotation, cut at coverage boundaries and at overrides) and one OVERRIDDEN
// shift per override, whole. They never overlap, and none is empty except
// the OVERRIDDEN shift of an override without contacts. Shifts are listed
// whole, not cut at from/to; Gaps() ranges are cut at from/to.
//
// Schedules. An on-call schedule is several rotations on call together: its
// members at t are the union of its rotations' (in rotation order, then
// shift order, without duplicates). ScheduleOnCallAt says who, or why
// nobody, with each rotation's reason.
#ifndef TOCSIN_LIBS_ONCALL_ROTATION_H_
#define TOCSIN_LIBS_ONCALL_ROTATION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace tocsin::oncall {

// Most shifts (or gaps) one call returns; beyond it, ResourceExhausted.
inline constexpr int kMaxShifts = 10000;
// AWS's bounds on RecurrenceSettings.RecurrenceMultiplier.
inline constexpr int kMaxRecurrenceMultiplier = 100;

// A wall-clock time of day, "HH:MM" from 00:00 to 23:59.
struct HandOffTime {
  int hour = 0;
  int minute = 0;
  friend bool operator==(HandOffTime a, HandOffTime b) {
    return a.hour == b.hour && a.minute == b.minute;
  }
  friend bool operator!=(HandOffTime a, HandOffTime b) { return !(a == b); }
};

// "09:00" -> {9, 0}. Exactly two digits, a colon, two digits; InvalidArgument
// naming the text otherwise ("9:00", "24:00", "09:60", "09:00:00").
absl::StatusOr<HandOffTime> ParseHandOffTime(absl::string_view text);
// {9, 0} -> "09:00".
std::string FormatHandOffTime(HandOffTime time);

enum class Weekday {
  kMonday,
  kTuesday,
  kWednesday,
  kThursday,
  kFriday,
  kSaturday,
  kSunday
};
// "MON" .. "SUN" (AWS's DayOfWeek values, upper case); InvalidArgument
// naming the text otherwise.
absl::StatusOr<Weekday> ParseWeekday(absl::string_view text);
// Weekday::kMonday -> "MON".
absl::string_view WeekdayName(Weekday day);

struct WeeklySetting {
  Weekday day_of_week = Weekday::kMonday;
  HandOffTime hand_off_time;
};

struct MonthlySetting {
  int day_of_month = 1;  // 1-31; 29-31 fall on the last day of shorter months
  HandOffTime hand_off_time;
};

// A covered local time range; see "Coverage" above for end <= start.
struct CoverageTime {
  HandOffTime start;
  HandOffTime end;
};

// AWS's RecurrenceSettings.
struct Recurrence {
  // Exactly one of these three is non-empty.
  std::vector<HandOffTime> daily_settings;
  std::vector<WeeklySetting> weekly_settings;
  std::vector<MonthlySetting> monthly_settings;
  int number_of_on_calls = 1;     // 1 .. contacts.size()
  int recurrence_multiplier = 1;  // 1 .. kMaxRecurrenceMultiplier
  // Empty: always covered.
  std::map<Weekday, std::vector<CoverageTime>> shift_coverages;
};

struct RotationSpec {
  std::string name;  // non-empty; used in messages and reasons
  // Ordered; at least one; distinct and non-empty.
  std::vector<std::string> contacts;
  absl::Time start_time;     // finite; where counting starts
  std::string time_zone_id;  // "UTC" or an IANA region name
  Recurrence recurrence;
};

struct Override {
  std::string name;  // non-empty (an id or a name); used in messages
  // May be empty (nobody on call); distinct and non-empty.
  std::vector<std::string> contacts;
  absl::Time start;  // finite
  absl::Time end;    // finite, after start
};

enum class ShiftType { kRegular, kOverridden };
// "REGULAR" / "OVERRIDDEN", as AWS's RotationShift.Type.
absl::string_view ShiftTypeName(ShiftType type);

// [start, end) with its contacts, as AWS's RotationShift.
struct Shift {
  absl::Time start;
  absl::Time end;
  std::vector<std::string> contacts;  // in rotation order
  ShiftType type = ShiftType::kRegular;
  std::string override_name;  // the override's, for kOverridden
};

// [start, end).
struct TimeRange {
  absl::Time start;
  absl::Time end;
};

// The zone for time_zone_id under the rule above; InvalidArgument naming it
// when it is refused or unknown to the system tzdata.
absl::StatusOr<absl::TimeZone> LoadRotationTimeZone(
    absl::string_view time_zone_id);

// OK when spec is a valid rotation; otherwise InvalidArgument naming the
// first problem (no contacts, a refused zone, no or several kinds of
// recurrence settings, a value out of range, a duplicate hand-off...).
absl::Status ValidateRotation(const RotationSpec& spec);

// OK when the overrides of one rotation are valid: each named, ending after
// it starts, contacts distinct, and no two overlapping (the message names
// both). Their order does not matter.
absl::Status ValidateOverrides(absl::Span<const Override> overrides);

// The shifts intersecting [from, to), in time order (see "Shifts" above).
// Validates spec and overrides first; InvalidArgument when to is before from
// or either is infinite (from == to gives none); ResourceExhausted beyond
// kMaxShifts. Work grows with the shifts returned, not with the length of
// the range or how long ago startTime was.
absl::StatusOr<std::vector<Shift>> Shifts(const RotationSpec& spec,
                                          absl::Span<const Override> overrides,
                                          absl::Time from, absl::Time to);

enum class NobodyReason {
  kNotStarted,       // before startTime (and no override there)
  kOutsideCoverage,  // outside shiftCoverages (and no override there)
  kEmptyOverride,    // an override without contacts
};

struct Nobody {
  NobodyReason reason;
  // The whole stretch nobody from the rotation is on call: start is when the
  // last one went off call (InfinitePast if nobody ever was before t), end
  // when someone is on call next (always finite).
  TimeRange gap;
  std::string override_name;  // for kEmptyOverride
  // One line for a timeline or a CLI, e.g. "coverage of rotation tokyo ended
  // FRI 18:00 Asia/Tokyo; next on call at 2024-04-08T09:00:00+09:00 (MON
  // 09:00 Asia/Tokyo)".
  std::string explanation;
};

struct OnCall {
  // Who is on call at t; empty when nobody is.
  std::vector<std::string> contacts;
  // Set exactly when contacts is non-empty: the shift t falls in, as Shifts()
  // lists it (t in [shift.start, shift.end)).
  std::optional<Shift> shift;
  // Set exactly when contacts is empty.
  std::optional<Nobody> nobody;
};

// Who from the rotation is on call at t, or why nobody is. Validates spec and
// overrides first. Work does not grow with how long ago startTime was.
absl::StatusOr<OnCall> OnCallAt(const RotationSpec& spec,
                                absl::Span<const Override> overrides,
                                absl::Time t);

// The ranges within [from, to) in which nobody from the rotation is on call
// (before startTime, outside coverage, overrides without contacts), merged
// and cut at from and to, in time order. Errors as Shifts().
absl::StatusOr<std::vector<TimeRange>> Gaps(
    const RotationSpec& spec, absl::Span<const Override> overrides,
    absl::Time from, absl::Time to);

// One rotation of an on-call schedule, with its overrides.
struct ScheduleRotation {
  RotationSpec spec;
  std::vector<Override> overrides;
};

struct ScheduleOnCall {
  // Union of the rotations' contacts at t: rotation order, then shift order,
  // each contact once. Empty when nobody is on call.
  std::vector<std::string> contacts;
  // Around t, the stretch in which no rotation of the schedule changes (its
  // start may be InfinitePast); for a CLI's shiftStart / shiftEnd.
  TimeRange unchanged;
  // Each rotation's answer, in the order given.
  std::vector<OnCall> rotations;
  // When contacts is empty: "nobody on call: " and each rotation's
  // explanation, joined by "; ". Empty otherwise.
  std::string explanation;
};

// Who is on call for a schedule made of rotations at t. InvalidArgument for
// no rotations or an invalid rotation or override (the message names it).
absl::StatusOr<ScheduleOnCall> ScheduleOnCallAt(
    absl::Span<const ScheduleRotation> rotations, absl::Time t);

// The ranges within [from, to) in which nobody from any of the rotations is
// on call, merged and cut at from and to. Errors as Gaps().
absl::StatusOr<std::vector<TimeRange>> ScheduleGaps(
    absl::Span<const ScheduleRotation> rotations, absl::Time from,
    absl::Time to);

}  // namespace tocsin::oncall

#endif  // TOCSIN_LIBS_ONCALL_ROTATION_H_
