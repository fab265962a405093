// Calendar feeds: on-call shifts as an iCalendar (RFC 5545) VCALENDAR, built
// with libical, for people to subscribe to in their calendar application.
// Pure (no I/O, no clock), thread-safe.
//
//   ASSIGN_OR_RETURN(std::string ics,
//                    RenderShiftsCalendar("Tocsin on call: rotation tokyo", shifts, now, ""));
//
// One VEVENT per shift: DTSTART/DTEND in UTC, SUMMARY saying the rotation and
// who is on call, and a UID stable per shift (rotation and start instant:
// a shift keeps its UID when its end moves), so a calendar updates events
// instead of duplicating them on each refresh.
#ifndef TOCSIN_SERVICES_ESCALATION_CALENDAR_H_
#define TOCSIN_SERVICES_ESCALATION_CALENDAR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

// The UID of a shift's event: "<rotation>-<unix start seconds>@tocsin".
std::string ShiftUid(const v1::Shift& shift);

// A VCALENDAR named `title` with one VEVENT per shift (DTSTAMP now).
// for_contact empty: a rotation's feed ("tokyo: alice, bob"; "tokyo: nobody
// on call" for an override without contacts); otherwise that person's feed
// ("On call: tokyo (with bob)"). Internal if libical fails.
absl::StatusOr<std::string> RenderShiftsCalendar(absl::string_view title,
                                                 absl::Span<const v1::Shift> shifts,
                                                 absl::Time now,
                                                 absl::string_view for_contact);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CALENDAR_H_
