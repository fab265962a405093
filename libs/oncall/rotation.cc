#include "libs/oncall/rotation.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/status/status_macros.h"

namespace tocsin::oncall {
namespace {

constexpr int64_t kSecondsPerDay = 24 * 60 * 60;
constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;
// Covered stretches last less than a week of wall-clock time (the coverage
// of a week that is not full leaves a hole somewhere); a hole that falls in
// a skipped hour can join two of them. Three weeks is more than enough room
// to see any stretch whole.
constexpr absl::Duration kCoverageMargin = absl::Hours(21 * 24);

constexpr absl::string_view kWeekdayNames[] = {"MON", "TUE", "WED", "THU",
                                               "FRI", "SAT", "SUN"};
constexpr absl::string_view kAreas[] = {
    "Africa",   "America",   "Antarctica", "Arctic", "Asia",
    "Atlantic", "Australia", "Europe",     "Indian", "Pacific"};

// Epochs for counting hand-offs: 1970-01-05 was a Monday.
const absl::CivilDay kEpochDay(1970, 1, 1);
const absl::CivilDay kEpochMonday(1970, 1, 5);
const absl::CivilMonth kEpochMonth(1970, 1);

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

bool IsValidTime(HandOffTime t) {
  return t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59;
}
int MinuteOfDay(HandOffTime t) { return t.hour * 60 + t.minute; }
bool IsValidWeekday(Weekday d) {
  return static_cast<int>(d) >= 0 && static_cast<int>(d) <= 6;
}

std::string FormatInstant(absl::Time t, const absl::TimeZone& tz) {
  if (t == absl::InfinitePast()) return "the beginning of time";
  if (t == absl::InfiniteFuture()) return "the end of time";
  return absl::FormatTime(absl::RFC3339_full, t, tz);
}

// The instant of a wall-clock time: skipped times are the transition
// instant, repeated times their first occurrence.
absl::Time Resolve(const absl::TimeZone& tz, absl::CivilSecond cs) {
  const absl::TimeZone::TimeInfo info = tz.At(cs);
  if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) return info.trans;
  return info.pre;
}

Weekday WeekdayOf(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return Weekday::kMonday;
    case absl::Weekday::tuesday:
      return Weekday::kTuesday;
    case absl::Weekday::wednesday:
      return Weekday::kWednesday;
    case absl::Weekday::thursday:
      return Weekday::kThursday;
    case absl::Weekday::friday:
      return Weekday::kFriday;
    case absl::Weekday::saturday:
      return Weekday::kSaturday;
    case absl::Weekday::sunday:
      return Weekday::kSunday;
  }
  return Weekday::kMonday;
}

// "MON 09:00 Asia/Tokyo".
std::string FormatLocal(absl::Time t, const absl::TimeZone& tz,
                        absl::string_view zone_name) {
  return absl::StrCat(WeekdayName(WeekdayOf(absl::CivilDay(tz.At(t).cs))), " ",
                      absl::FormatTime("%H:%M", t, tz), " ", zone_name);
}

int DaysInMonth(absl::CivilMonth month) {
  return (absl::CivilDay(month + 1) - 1).day();
}

enum class Kind { kDaily, kWeekly, kMonthly };

// One hand-off of a period: for daily, `second` counts from midnight; for
// weekly from Monday midnight; for monthly from midnight of `day`.
struct Entry {
  int day = 0;
  int64_t second = 0;
};

// A validated rotation with its overrides, ready to compute with.
struct Compiled {
  std::string name;
  std::vector<std::string> contacts;
  absl::Time start;
  absl::TimeZone tz;
  std::string zone_name;
  Kind kind = Kind::kDaily;
  std::vector<Entry> entries;  // sorted, distinct
  int n = 1;                   // numberOfOnCalls
  int m = 1;                   // recurrenceMultiplier
  bool always_covered = true;
  // Covered minutes of the week [first, second), sorted, apart.
  std::vector<std::pair<int, int>> coverage;
  std::vector<Override> overrides;  // sorted by start, apart
  int64_t start_ordinal = 0;
};

// --- Hand-off ordinals -----------------------------------------------------
// Hand-offs are numbered over all time (0 is the first one of the epoch
// period); the wall-clock time of ordinal o is CivilOf(o).

absl::CivilSecond CivilOf(const Compiled& c, int64_t o) {
  const int64_t per = static_cast<int64_t>(c.entries.size());
  const int64_t q = FloorDiv(o, per);
  const Entry& e = c.entries[static_cast<size_t>(FloorMod(o, per))];
  switch (c.kind) {
    case Kind::kDaily:
      return absl::CivilSecond(kEpochDay + q) + e.second;
    case Kind::kWeekly:
      return absl::CivilSecond(kEpochMonday + 7 * q) + e.second;
    case Kind::kMonthly: {
      const absl::CivilMonth month = kEpochMonth + q;
      const int day = std::min(e.day, DaysInMonth(month));
      return absl::CivilSecond(
                 absl::CivilDay(month.year(), month.month(), day)) +
             e.second;
    }
  }
  return absl::CivilSecond();
}

absl::Time HandOffInstant(const Compiled& c, int64_t o) {
  return Resolve(c.tz, CivilOf(c, o));
}

// The largest ordinal whose wall-clock time is at or before cs.
int64_t OrdinalAtOrBefore(const Compiled& c, absl::CivilSecond cs) {
  const int64_t per = static_cast<int64_t>(c.entries.size());
  int64_t q = 0;
  int64_t offset = 0;  // seconds of cs into its period
  std::vector<int64_t> offsets;
  offsets.reserve(c.entries.size());
  switch (c.kind) {
    case Kind::kDaily: {
      const absl::CivilDay day(cs);
      q = day - kEpochDay;
      offset = cs - absl::CivilSecond(day);
      for (const Entry& e : c.entries) offsets.push_back(e.second);
      break;
    }
    case Kind::kWeekly: {
      const absl::CivilDay day(cs);
      q = FloorDiv(day - kEpochMonday, 7);
      offset = cs - absl::CivilSecond(kEpochMonday + 7 * q);
      for (const Entry& e : c.entries) offsets.push_back(e.second);
      break;
    }
    case Kind::kMonthly: {
      const absl::CivilMonth month(cs);
      q = month - kEpochMonth;
      offset = cs - absl::CivilSecond(absl::CivilDay(month));
      const int days = DaysInMonth(month);
      for (const Entry& e : c.entries) {
        offsets.push_back((std::min(e.day, days) - 1) * kSecondsPerDay +
                          e.second);
      }
      break;
    }
  }
  const int64_t j = std::upper_bound(offsets.begin(), offsets.end(), offset) -
                    offsets.begin();
  return q * per + j - 1;
}

// The largest ordinal whose instant is at or before t. Instants do not
// decrease with ordinals (skipped times move forward, repeated ones take
// the first occurrence), so a nudge around the wall-clock guess finds it.
int64_t OrdinalAt(const Compiled& c, absl::Time t) {
  int64_t o = OrdinalAtOrBefore(c, c.tz.At(t).cs);
  while (HandOffInstant(c, o) > t) --o;
  while (HandOffInstant(c, o + 1) <= t) ++o;
  return o;
}

// The i-th boundary of the rotation's turns: startTime, then the hand-offs
// after it.
absl::Time Boundary(const Compiled& c, int64_t i) {
  if (i == 0) return c.start;
  return HandOffInstant(c, c.start_ordinal + i);
}

// The turn t (at or after startTime) falls in.
int64_t TurnAt(const Compiled& c, absl::Time t) {
  return (OrdinalAt(c, t) - c.start_ordinal) / c.m;
}

TimeRange TurnRange(const Compiled& c, int64_t k) {
  return {Boundary(c, k * c.m), Boundary(c, (k + 1) * c.m)};
}

std::vector<std::string> TurnContacts(const Compiled& c, int64_t k) {
  const int64_t size = static_cast<int64_t>(c.contacts.size());
  const int64_t first = FloorMod(FloorMod(k, size) * c.n, size);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(c.n));
  for (int j = 0; j < c.n; ++j) {
    out.push_back(c.contacts[static_cast<size_t>((first + j) % size)]);
  }
  return out;
}

// --- Coverage ----------------------------------------------------------------

// Yields the covered stretches (merged, in time order) from about three weeks
// before `from` on. Only for rotations that are not always covered.
class CoverageCursor {
 public:
  CoverageCursor(const Compiled& c, absl::Time from) : c_(&c) {
    const absl::CivilDay day(c.tz.At(from - kCoverageMargin).cs);
    week_ = FloorDiv(day - kEpochMonday, 7);
  }

  TimeRange Next() {
    TimeRange cur = Pop();
    while (Peek().start <= cur.end) cur.end = std::max(cur.end, Pop().end);
    return cur;
  }

 private:
  const TimeRange& Peek() {
    while (pending_.empty()) {
      const absl::CivilSecond monday(kEpochMonday + 7 * week_);
      for (const auto& [a, b] : c_->coverage) {
        const TimeRange r{Resolve(c_->tz, monday + a * 60),
                          Resolve(c_->tz, monday + b * 60)};
        if (r.start < r.end) pending_.push_back(r);
      }
      ++week_;
    }
    return pending_.front();
  }
  TimeRange Pop() {
    TimeRange r = Peek();
    pending_.pop_front();
    return r;
  }

  const Compiled* c_;
  int64_t week_ = 0;
  std::deque<TimeRange> pending_;
};

// The covered stretch containing t or the first one after it.
TimeRange CoveredAtOrAfter(const Compiled& c, absl::Time t) {
  if (c.always_covered) return {absl::InfinitePast(), absl::InfiniteFuture()};
  CoverageCursor cursor(c, t);
  TimeRange r = cursor.Next();
  while (r.end <= t) r = cursor.Next();
  return r;
}

// The last covered stretch starting before t, if one starts within three
// weeks before t.
std::optional<TimeRange> CoveredBefore(const Compiled& c, absl::Time t) {
  if (c.always_covered) {
    return TimeRange{absl::InfinitePast(), absl::InfiniteFuture()};
  }
  CoverageCursor cursor(c, t);
  std::optional<TimeRange> last;
  for (TimeRange r = cursor.Next(); r.start < t; r = cursor.Next()) last = r;
  return last;
}

// --- Overrides ---------------------------------------------------------------

// Index of the first override ending after t.
size_t FirstOverrideEndingAfter(const Compiled& c, absl::Time t) {
  return std::upper_bound(
             c.overrides.begin(), c.overrides.end(), t,
             [](absl::Time x, const Override& o) { return x < o.end; }) -
         c.overrides.begin();
}

// The override in effect at t (start <= t < end), if any.
const Override* OverrideAt(const Compiled& c, absl::Time t) {
  const size_t i = FirstOverrideEndingAfter(c, t);
  if (i < c.overrides.size() && c.overrides[i].start <= t) {
    return &c.overrides[i];
  }
  return nullptr;
}

// The override in effect just before t (start < t <= end), if any.
const Override* OverrideJustBefore(const Compiled& c, absl::Time t) {
  const size_t i = std::lower_bound(c.overrides.begin(), c.overrides.end(), t,
                                    [](const Override& o, absl::Time x) {
                                      return o.end < x;
                                    }) -
                   c.overrides.begin();
  if (i < c.overrides.size() && c.overrides[i].start < t) {
    return &c.overrides[i];
  }
  return nullptr;
}

// --- The rotation's own on-call time ----------------------------------------

// Calls fn with each maximal stretch in which the rotation itself puts
// someone on call (covered, from startTime, outside every override) that
// intersects [from, to), whole, in time order, until fn returns false.
void ForEachRegularStretch(const Compiled& c, absl::Time from, absl::Time to,
                           const std::function<bool(TimeRange)>& fn) {
  absl::Time pos = std::max(from, c.start);
  if (pos >= to) return;
  const std::vector<Override>& ov = c.overrides;

  // Emits covered [s, e) minus the overrides; false when fn said stop.
  auto emit = [&](TimeRange covered) -> bool {
    absl::Time s = covered.start;
    size_t i = FirstOverrideEndingAfter(c, std::max(covered.start, from));
    if (i > 0 && ov[i - 1].end > s) s = ov[i - 1].end;
    for (; i < ov.size() && ov[i].start < covered.end; ++i) {
      if (s >= to) return true;
      if (ov[i].start > s && ov[i].start > from) {
        if (!fn({s, ov[i].start})) return false;
      }
      s = std::max(s, ov[i].end);
    }
    if (s < covered.end && s < to) return fn({s, covered.end});
    return true;
  };

  if (c.always_covered) {
    emit({c.start, absl::InfiniteFuture()});
    return;
  }
  std::optional<CoverageCursor> cursor;
  cursor.emplace(c, pos);
  for (;;) {
    TimeRange r = cursor->Next();
    if (r.end <= pos) continue;
    if (r.start >= to) return;
    r.start = std::max(r.start, c.start);
    if (!emit(r)) return;
    pos = r.end;
    if (pos >= to) return;
    // Jump over a long override instead of walking the weeks under it.
    const Override* o = OverrideAt(c, pos);
    if (o != nullptr && o->end - pos > kCoverageMargin) {
      pos = o->end;
      if (pos >= to) return;
      cursor.emplace(c, pos);
    }
  }
}

absl::Status TooMany(const char* what, const Compiled& c, absl::Time from,
                     absl::Time to) {
  return absl::ResourceExhaustedError(
      absl::StrCat("rotation ", c.name, " has more than ", kMaxShifts, " ",
                   what, " between ", FormatInstant(from, c.tz), " and ",
                   FormatInstant(to, c.tz), "; ask for a shorter range"));
}

absl::StatusOr<std::vector<Shift>> ComputeShifts(const Compiled& c,
                                                 absl::Time from,
                                                 absl::Time to) {
  std::vector<Shift> out;
  bool too_many = false;
  ForEachRegularStretch(c, from, to, [&](TimeRange stretch) {
    for (int64_t k = TurnAt(c, std::max(stretch.start, from));; ++k) {
      const TimeRange turn = TurnRange(c, k);
      const TimeRange piece{std::max(turn.start, stretch.start),
                            std::min(turn.end, stretch.end)};
      if (piece.start >= to || piece.start >= stretch.end) break;
      if (piece.start < piece.end) {
        if (out.size() >= static_cast<size_t>(kMaxShifts)) {
          too_many = true;
          return false;
        }
        out.push_back(Shift{piece.start, piece.end, TurnContacts(c, k),
                            ShiftType::kRegular, ""});
      }
      if (turn.end >= stretch.end) break;
    }
    return true;
  });
  if (too_many) return TooMany("shifts", c, from, to);
  for (size_t i = FirstOverrideEndingAfter(c, from);
       i < c.overrides.size() && c.overrides[i].start < to; ++i) {
    if (out.size() >= static_cast<size_t>(kMaxShifts)) {
      return TooMany("shifts", c, from, to);
    }
    const Override& o = c.overrides[i];
    out.push_back(
        Shift{o.start, o.end, o.contacts, ShiftType::kOverridden, o.name});
  }
  std::sort(out.begin(), out.end(),
            [](const Shift& a, const Shift& b) { return a.start < b.start; });
  return out;
}

// The stretches (merged, whole) in which someone is on call that intersect
// [from, to).
absl::StatusOr<std::vector<TimeRange>> OnCallStretches(const Compiled& c,
                                                       absl::Time from,
                                                       absl::Time to) {
  std::vector<TimeRange> on;
  bool too_many = false;
  ForEachRegularStretch(c, from, to, [&](TimeRange r) {
    if (on.size() >= static_cast<size_t>(kMaxShifts)) {
      too_many = true;
      return false;
    }
    on.push_back(r);
    return true;
  });
  if (too_many) return TooMany("on-call stretches", c, from, to);
  for (size_t i = FirstOverrideEndingAfter(c, from);
       i < c.overrides.size() && c.overrides[i].start < to; ++i) {
    if (c.overrides[i].contacts.empty()) continue;
    if (on.size() >= static_cast<size_t>(kMaxShifts)) {
      return TooMany("on-call stretches", c, from, to);
    }
    on.push_back({c.overrides[i].start, c.overrides[i].end});
  }
  return on;
}

// The complement of `on` within [from, to).
std::vector<TimeRange> Complement(std::vector<TimeRange> on, absl::Time from,
                                  absl::Time to) {
  std::sort(on.begin(), on.end(), [](const TimeRange& a, const TimeRange& b) {
    return a.start < b.start;
  });
  std::vector<TimeRange> gaps;
  absl::Time pos = from;
  for (const TimeRange& r : on) {
    if (r.start > pos) gaps.push_back({pos, std::min(r.start, to)});
    pos = std::max(pos, r.end);
    if (pos >= to) break;
  }
  if (pos < to) gaps.push_back({pos, to});
  return gaps;
}

// When someone is next on call, for t where nobody is. Always finite: the
// coverage comes back every week, and overrides are finitely many.
absl::Time NextOnCallStart(const Compiled& c, absl::Time t) {
  absl::Time best = absl::InfiniteFuture();
  for (size_t i = FirstOverrideEndingAfter(c, t); i < c.overrides.size(); ++i) {
    if (!c.overrides[i].contacts.empty()) {
      best = std::max(c.overrides[i].start, t);
      break;
    }
  }
  absl::Time y = std::max(t, c.start);
  while (y < best) {
    const absl::Time r = std::max(CoveredAtOrAfter(c, y).start, y);
    if (r >= best) break;
    if (const Override* o = OverrideAt(c, r)) {
      y = o->end;
      continue;
    }
    best = r;
    break;
  }
  return best;
}

// When someone was last on call, for t where nobody is; InfinitePast if
// nobody ever was before t.
absl::Time PrevOnCallEnd(const Compiled& c, absl::Time t) {
  absl::Time best = absl::InfinitePast();
  for (size_t i = FirstOverrideEndingAfter(c, t); i-- > 0;) {
    if (!c.overrides[i].contacts.empty()) {
      best = std::min(c.overrides[i].end, t);
      break;
    }
  }
  absl::Time y = t;
  while (y > best && y > c.start) {
    const std::optional<TimeRange> covered = CoveredBefore(c, y);
    if (!covered.has_value()) {
      y -= kCoverageMargin;  // a week without coverage (all skipped): go on
      continue;
    }
    const absl::Time r = std::min(covered->end, y);
    if (r <= c.start || r <= best) break;
    if (const Override* o = OverrideJustBefore(c, r)) {
      y = o->start;
      continue;
    }
    best = r;
    break;
  }
  return best;
}

absl::StatusOr<OnCall> ComputeOnCallAt(const Compiled& c, absl::Time t) {
  ASSIGN_OR_RETURN(std::vector<Shift> shifts,
                   ComputeShifts(c, t, t + absl::Nanoseconds(1)));
  OnCall out;
  for (Shift& s : shifts) {
    if (s.start <= t && t < s.end && !s.contacts.empty()) {
      out.contacts = s.contacts;
      out.shift = std::move(s);
      return out;
    }
  }
  Nobody nobody;
  nobody.gap = {PrevOnCallEnd(c, t), NextOnCallStart(c, t)};
  const std::string next =
      absl::StrCat("; next on call at ", FormatInstant(nobody.gap.end, c.tz),
                   " (", FormatLocal(nobody.gap.end, c.tz, c.zone_name), ")");
  if (const Override* o = OverrideAt(c, t)) {
    nobody.reason = NobodyReason::kEmptyOverride;
    nobody.override_name = o->name;
    nobody.explanation = absl::StrCat("override ", o->name, " of rotation ",
                                      c.name, " puts nobody on call until ",
                                      FormatInstant(o->end, c.tz), next);
  } else if (t < c.start) {
    nobody.reason = NobodyReason::kNotStarted;
    nobody.explanation = absl::StrCat("rotation ", c.name, " starts ",
                                      FormatInstant(c.start, c.tz), next);
  } else {
    nobody.reason = NobodyReason::kOutsideCoverage;
    const std::optional<TimeRange> last = CoveredBefore(c, t);
    nobody.explanation = absl::StrCat(
        "coverage of rotation ", c.name,
        last.has_value()
            ? absl::StrCat(" ended ", FormatLocal(last->end, c.tz, c.zone_name))
            : std::string(" has not begun"),
        next);
  }
  out.nobody = std::move(nobody);
  return out;
}

// --- Validation
// ----------------------------------------------------------------

absl::Status Invalid(absl::string_view rotation, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("rotation \"", rotation, "\": ", message));
}

bool IsZoneComponent(absl::string_view part) {
  if (part.empty() ||
      !absl::ascii_isalpha(static_cast<unsigned char>(part[0]))) {
    return false;
  }
  for (char ch : part) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '_' &&
        ch != '-' && ch != '+') {
      return false;
    }
  }
  return true;
}

absl::Status ValidateContacts(absl::string_view what,
                              const std::vector<std::string>& contacts) {
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < contacts.size(); ++i) {
    if (contacts[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": contact #", i + 1, " is empty"));
    }
    if (!seen.insert(contacts[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": contact \"", contacts[i], "\" appears twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTime(absl::string_view rotation, absl::string_view field,
                       HandOffTime t) {
  if (IsValidTime(t)) return absl::OkStatus();
  return Invalid(rotation,
                 absl::StrFormat("%s %02d:%02d is not a time of day from "
                                 "00:00 to 23:59",
                                 field, t.hour, t.minute));
}

// Builds the hand-off entries of a valid recurrence; an error for the first
// problem.
absl::Status CompileRecurrence(const RotationSpec& spec, Compiled& c) {
  const Recurrence& r = spec.recurrence;
  const std::string& name = spec.name;
  const int kinds = !r.daily_settings.empty() + !r.weekly_settings.empty() +
                    !r.monthly_settings.empty();
  if (kinds == 0) {
    return Invalid(name,
                   "recurrence has no dailySettings, weeklySettings or "
                   "monthlySettings; give exactly one of them");
  }
  if (kinds > 1) {
    std::vector<absl::string_view> given;
    if (!r.daily_settings.empty()) given.push_back("dailySettings");
    if (!r.weekly_settings.empty()) given.push_back("weeklySettings");
    if (!r.monthly_settings.empty()) given.push_back("monthlySettings");
    return Invalid(
        name, absl::StrCat("recurrence has ", absl::StrJoin(given, " and "),
                           "; give exactly one of them"));
  }
  std::vector<Entry> entries;
  if (!r.daily_settings.empty()) {
    c.kind = Kind::kDaily;
    for (size_t i = 0; i < r.daily_settings.size(); ++i) {
      const HandOffTime t = r.daily_settings[i];
      RETURN_IF_ERROR(
          CheckTime(name, absl::StrCat("dailySettings[", i, "]"), t));
      entries.push_back({0, MinuteOfDay(t) * int64_t{60}});
    }
  } else if (!r.weekly_settings.empty()) {
    c.kind = Kind::kWeekly;
    for (size_t i = 0; i < r.weekly_settings.size(); ++i) {
      const WeeklySetting& w = r.weekly_settings[i];
      if (!IsValidWeekday(w.day_of_week)) {
        return Invalid(name, absl::StrCat("weeklySettings[", i, "].dayOfWeek ",
                                          static_cast<int>(w.day_of_week),
                                          " is not a day of the week"));
      }
      RETURN_IF_ERROR(
          CheckTime(name, absl::StrCat("weeklySettings[", i, "].handOffTime"),
                    w.hand_off_time));
      entries.push_back({0, static_cast<int>(w.day_of_week) * kSecondsPerDay +
                                MinuteOfDay(w.hand_off_time) * int64_t{60}});
    }
  } else {
    c.kind = Kind::kMonthly;
    int late_day = 0;  // the one day from 28 to 31 allowed
    for (size_t i = 0; i < r.monthly_settings.size(); ++i) {
      const MonthlySetting& s = r.monthly_settings[i];
      if (s.day_of_month < 1 || s.day_of_month > 31) {
        return Invalid(
            name, absl::StrCat("monthlySettings[", i, "].dayOfMonth ",
                               s.day_of_month, " is not between 1 and 31"));
      }
      RETURN_IF_ERROR(
          CheckTime(name, absl::StrCat("monthlySettings[", i, "].handOffTime"),
                    s.hand_off_time));
      if (s.day_of_month >= 28) {
        if (late_day != 0 && late_day != s.day_of_month) {
          return Invalid(
              name, absl::StrCat("monthlySettings days ",
                                 std::min(late_day, s.day_of_month), " and ",
                                 std::max(late_day, s.day_of_month),
                                 " fall on the same day in some months (days "
                                 "29-31 are the last day of shorter months); "
                                 "keep one of them"));
        }
        late_day = s.day_of_month;
      }
      entries.push_back(
          {s.day_of_month, MinuteOfDay(s.hand_off_time) * int64_t{60}});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::make_pair(a.day, a.second) < std::make_pair(b.day, b.second);
  });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].day == entries[i - 1].day &&
        entries[i].second == entries[i - 1].second) {
      const int64_t minute = entries[i].second / 60;
      const HandOffTime t{static_cast<int>((minute / 60) % 24),
                          static_cast<int>(minute % 60)};
      std::string what;
      switch (c.kind) {
        case Kind::kDaily:
          what = absl::StrCat("dailySettings has ", FormatHandOffTime(t));
          break;
        case Kind::kWeekly:
          what = absl::StrCat(
              "weeklySettings has ",
              WeekdayName(static_cast<Weekday>(minute / kMinutesPerDay)), " ",
              FormatHandOffTime(t));
          break;
        case Kind::kMonthly:
          what = absl::StrCat("monthlySettings has day ", entries[i].day, " ",
                              FormatHandOffTime(t));
          break;
      }
      return Invalid(name, absl::StrCat(what, " twice"));
    }
  }
  c.entries = std::move(entries);
  return absl::OkStatus();
}

absl::Status CompileCoverage(const RotationSpec& spec, Compiled& c) {
  const auto& coverages = spec.recurrence.shift_coverages;
  c.always_covered = true;
  c.coverage.clear();
  if (coverages.empty()) return absl::OkStatus();
  std::vector<std::pair<int, int>> raw;
  for (const auto& [day, ranges] : coverages) {
    if (!IsValidWeekday(day)) {
      return Invalid(spec.name, absl::StrCat("shiftCoverages has day ",
                                             static_cast<int>(day),
                                             ", not a day of the week"));
    }
    for (size_t i = 0; i < ranges.size(); ++i) {
      const std::string field =
          absl::StrCat("shiftCoverages.", WeekdayName(day), "[", i, "]");
      RETURN_IF_ERROR(
          CheckTime(spec.name, absl::StrCat(field, ".start"), ranges[i].start));
      RETURN_IF_ERROR(
          CheckTime(spec.name, absl::StrCat(field, ".end"), ranges[i].end));
      const int base = static_cast<int>(day) * kMinutesPerDay;
      const int a = base + MinuteOfDay(ranges[i].start);
      int b = base + MinuteOfDay(ranges[i].end);
      if (b <= a) b += kMinutesPerDay;  // ends on the next day
      if (b <= kMinutesPerWeek) {
        raw.push_back({a, b});
      } else {  // Sunday night into Monday
        raw.push_back({a, kMinutesPerWeek});
        raw.push_back({0, b - kMinutesPerWeek});
      }
    }
  }
  if (raw.empty()) {
    return Invalid(spec.name,
                   "shiftCoverages covers no time at all; leave it out for "
                   "round-the-clock coverage");
  }
  std::sort(raw.begin(), raw.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& r : raw) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  if (merged.size() == 1 && merged[0].first == 0 &&
      merged[0].second == kMinutesPerWeek) {
    return absl::OkStatus();  // every minute of the week: always covered
  }
  c.always_covered = false;
  c.coverage = std::move(merged);
  return absl::OkStatus();
}

absl::StatusOr<Compiled> CompileRotation(const RotationSpec& spec) {
  if (spec.name.empty()) {
    return absl::InvalidArgumentError("rotation name is empty");
  }
  Compiled c;
  c.name = spec.name;
  if (spec.contacts.empty()) {
    return Invalid(spec.name,
                   "contacts is empty; a rotation needs at least "
                   "one contact");
  }
  RETURN_IF_ERROR(ValidateContacts(absl::StrCat("rotation \"", spec.name, "\""),
                                   spec.contacts));
  c.contacts = spec.contacts;
  if (spec.start_time == absl::InfinitePast() ||
      spec.start_time == absl::InfiniteFuture()) {
    return Invalid(spec.name, "startTime is not a finite instant");
  }
  c.start = spec.start_time;
  absl::StatusOr<absl::TimeZone> tz = LoadRotationTimeZone(spec.time_zone_id);
  if (!tz.ok()) return Invalid(spec.name, tz.status().message());
  c.tz = *tz;
  c.zone_name = spec.time_zone_id;
  RETURN_IF_ERROR(CompileRecurrence(spec, c));
  const Recurrence& r = spec.recurrence;
  if (r.number_of_on_calls < 1 ||
      r.number_of_on_calls > static_cast<int>(spec.contacts.size())) {
    return Invalid(spec.name,
                   absl::StrCat("numberOfOnCalls ", r.number_of_on_calls,
                                " is not between 1 and the rotation's ",
                                spec.contacts.size(), " contacts"));
  }
  c.n = r.number_of_on_calls;
  if (r.recurrence_multiplier < 1 ||
      r.recurrence_multiplier > kMaxRecurrenceMultiplier) {
    return Invalid(
        spec.name,
        absl::StrCat("recurrenceMultiplier ", r.recurrence_multiplier,
                     " is not between 1 and ", kMaxRecurrenceMultiplier));
  }
  c.m = r.recurrence_multiplier;
  RETURN_IF_ERROR(CompileCoverage(spec, c));
  c.start_ordinal = OrdinalAt(c, c.start);
  return c;
}

absl::StatusOr<Compiled> Compile(const RotationSpec& spec,
                                 absl::Span<const Override> overrides) {
  ASSIGN_OR_RETURN(Compiled c, CompileRotation(spec));
  absl::Status status = ValidateOverrides(overrides);
  if (!status.ok()) return Invalid(spec.name, status.message());
  c.overrides.assign(overrides.begin(), overrides.end());
  std::sort(
      c.overrides.begin(), c.overrides.end(),
      [](const Override& a, const Override& b) { return a.start < b.start; });
  return c;
}

absl::Status CheckRange(absl::Time from, absl::Time to) {
  if (from == absl::InfinitePast() || from == absl::InfiniteFuture() ||
      to == absl::InfinitePast() || to == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("from and to must be finite instants");
  }
  if (to < from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to ", FormatInstant(to, absl::UTCTimeZone()), " is before from ",
        FormatInstant(from, absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

absl::Status CheckInstant(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("the instant must be finite");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Compiled>> CompileSchedule(
    absl::Span<const ScheduleRotation> rotations) {
  if (rotations.empty()) {
    return absl::InvalidArgumentError(
        "an on-call schedule needs at least one rotation");
  }
  std::vector<Compiled> out;
  out.reserve(rotations.size());
  for (const ScheduleRotation& r : rotations) {
    ASSIGN_OR_RETURN(Compiled c, Compile(r.spec, r.overrides));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

absl::StatusOr<HandOffTime> ParseHandOffTime(absl::string_view text) {
  const auto digit = [&](size_t i) {
    return absl::ascii_isdigit(static_cast<unsigned char>(text[i]));
  };
  if (text.size() == 5 && digit(0) && digit(1) && text[2] == ':' && digit(3) &&
      digit(4)) {
    const HandOffTime t{(text[0] - '0') * 10 + (text[1] - '0'),
                        (text[3] - '0') * 10 + (text[4] - '0')};
    if (IsValidTime(t)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("hand-off time \"", text,
                   "\" is not a time of day HH:MM from 00:00 to 23:59"));
}

std::string FormatHandOffTime(HandOffTime time) {
  return absl::StrCat(time.hour < 10 ? "0" : "", time.hour, ":",
                      time.minute < 10 ? "0" : "", time.minute);
}

absl::StatusOr<Weekday> ParseWeekday(absl::string_view text) {
  for (int i = 0; i < 7; ++i) {
    if (text == kWeekdayNames[i]) return static_cast<Weekday>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("day of week \"", text,
                   "\" is not one of MON, TUE, WED, THU, FRI, SAT, SUN"));
}

absl::string_view WeekdayName(Weekday day) {
  if (!IsValidWeekday(day)) return "?";
  return kWeekdayNames[static_cast<int>(day)];
}

absl::string_view ShiftTypeName(ShiftType type) {
  return type == ShiftType::kOverridden ? "OVERRIDDEN" : "REGULAR";
}

absl::StatusOr<absl::TimeZone> LoadRotationTimeZone(
    absl::string_view time_zone_id) {
  absl::TimeZone tz;
  if (time_zone_id == "UTC" || time_zone_id == "Etc/UTC") {
    if (!absl::LoadTimeZone("UTC", &tz)) tz = absl::UTCTimeZone();
    return tz;
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(time_zone_id, '/');
  bool region = parts.size() >= 2 &&
                std::find(std::begin(kAreas), std::end(kAreas), parts[0]) !=
                    std::end(kAreas);
  for (absl::string_view part : parts) region = region && IsZoneComponent(part);
  if (!region) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone \"", time_zone_id,
        "\" is refused: give \"UTC\" or an IANA region name Area/Location "
        "such as \"America/New_York\" (Area one of Africa, America, "
        "Antarctica, Arctic, Asia, Atlantic, Australia, Europe, Indian, "
        "Pacific); abbreviations, fixed offsets and legacy aliases such as "
        "\"PST\", \"EST5EDT\", \"Etc/GMT+9\" or \"US/Eastern\" have no "
        "daylight-saving rules of a region"));
  }
  if (!absl::LoadTimeZone(time_zone_id, &tz)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone \"", time_zone_id,
        "\" is not in the system tzdata (/usr/share/zoneinfo, Debian "
        "package tzdata)"));
  }
  return tz;
}

absl::Status ValidateRotation(const RotationSpec& spec) {
  return CompileRotation(spec).status();
}

absl::Status ValidateOverrides(absl::Span<const Override> overrides) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  std::vector<const Override*> sorted;
  for (size_t i = 0; i < overrides.size(); ++i) {
    const Override& o = overrides[i];
    if (o.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("override #", i + 1, " has no name"));
    }
    const std::string what = absl::StrCat("override \"", o.name, "\"");
    if (o.start == absl::InfinitePast() || o.start == absl::InfiniteFuture() ||
        o.end == absl::InfinitePast() || o.end == absl::InfiniteFuture()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": start and end must be finite instants"));
    }
    if (o.end <= o.start) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": end ", FormatInstant(o.end, utc),
                       " is not after start ", FormatInstant(o.start, utc)));
    }
    RETURN_IF_ERROR(ValidateContacts(what, o.contacts));
    sorted.push_back(&o);
  }
  std::sort(
      sorted.begin(), sorted.end(),
      [](const Override* a, const Override* b) { return a->start < b->start; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const Override& a = *sorted[i - 1];
    const Override& b = *sorted[i];
    if (b.start < a.end) {
      return absl::InvalidArgumentError(absl::StrCat(
          "overrides \"", a.name, "\" (", FormatInstant(a.start, utc), " to ",
          FormatInstant(a.end, utc), ") and \"", b.name, "\" (",
          FormatInstant(b.start, utc), " to ", FormatInstant(b.end, utc),
          ") overlap; overrides of one rotation may not"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Shift>> Shifts(const RotationSpec& spec,
                                          absl::Span<const Override> overrides,
                                          absl::Time from, absl::Time to) {
  RETURN_IF_ERROR(CheckRange(from, to));
  ASSIGN_OR_RETURN(const Compiled c, Compile(spec, overrides));
  return ComputeShifts(c, from, to);
}

absl::StatusOr<OnCall> OnCallAt(const RotationSpec& spec,
                                absl::Span<const Override> overrides,
                                absl::Time t) {
  RETURN_IF_ERROR(CheckInstant(t));
  ASSIGN_OR_RETURN(const Compiled c, Compile(spec, overrides));
  return ComputeOnCallAt(c, t);
}

absl::StatusOr<std::vector<TimeRange>> Gaps(
    const RotationSpec& spec, absl::Span<const Override> overrides,
    absl::Time from, absl::Time to) {
  RETURN_IF_ERROR(CheckRange(from, to));
  ASSIGN_OR_RETURN(const Compiled c, Compile(spec, overrides));
  ASSIGN_OR_RETURN(std::vector<TimeRange> on, OnCallStretches(c, from, to));
  std::vector<TimeRange> gaps = Complement(std::move(on), from, to);
  if (gaps.size() > static_cast<size_t>(kMaxShifts)) {
    return TooMany("gaps", c, from, to);
  }
  return gaps;
}

absl::StatusOr<ScheduleOnCall> ScheduleOnCallAt(
    absl::Span<const ScheduleRotation> rotations, absl::Time t) {
  RETURN_IF_ERROR(CheckInstant(t));
  ASSIGN_OR_RETURN(const std::vector<Compiled> compiled,
                   CompileSchedule(rotations));
  ScheduleOnCall out;
  out.unchanged = {absl::InfinitePast(), absl::InfiniteFuture()};
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> reasons;
  for (const Compiled& c : compiled) {
    ASSIGN_OR_RETURN(OnCall on, ComputeOnCallAt(c, t));
    const TimeRange around = on.shift.has_value()
                                 ? TimeRange{on.shift->start, on.shift->end}
                                 : on.nobody->gap;
    out.unchanged.start = std::max(out.unchanged.start, around.start);
    out.unchanged.end = std::min(out.unchanged.end, around.end);
    for (const std::string& contact : on.contacts) {
      if (seen.insert(contact).second) out.contacts.push_back(contact);
    }
    if (on.nobody.has_value()) reasons.push_back(on.nobody->explanation);
    out.rotations.push_back(std::move(on));
  }
  if (out.contacts.empty()) {
    out.explanation =
        absl::StrCat("nobody on call: ", absl::StrJoin(reasons, "; "));
  }
  return out;
}

absl::StatusOr<std::vector<TimeRange>> ScheduleGaps(
    absl::Span<const ScheduleRotation> rotations, absl::Time from,
    absl::Time to) {
  RETURN_IF_ERROR(CheckRange(from, to));
  ASSIGN_OR_RETURN(const std::vector<Compiled> compiled,
                   CompileSchedule(rotations));
  std::vector<TimeRange> on;
  for (const Compiled& c : compiled) {
    ASSIGN_OR_RETURN(std::vector<TimeRange> stretches,
                     OnCallStretches(c, from, to));
    on.insert(on.end(), stretches.begin(), stretches.end());
  }
  std::vector<TimeRange> gaps = Complement(std::move(on), from, to);
  if (gaps.size() > static_cast<size_t>(kMaxShifts)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the schedule has more than ", kMaxShifts, " gaps between ",
        FormatInstant(from, absl::UTCTimeZone()), " and ",
        FormatInstant(to, absl::UTCTimeZone()), "; ask for a shorter range"));
  }
  return gaps;
}

}  // namespace tocsin::oncall
