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

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/http/http_server.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

// The UID of a shift's event: "<rotation>-<unix start seconds>@tocsin".
std::string ShiftUid(const v1::Shift& shift);

// A VCALENDAR named `title` with one VEVENT per shift (DTSTAMP now).
// for_contact empty: a rotation's feed ("tokyo: alice, bob"; "tokyo: nobody
// on call" for an override without contacts); otherwise that person's feed
// ("On call: tokyo (with bob)"). Internal if libical fails.
absl::StatusOr<std::string> RenderShiftsCalendar(absl::string_view title,
                                                 absl::Span<const v1::Shift> shifts, absl::Time now,
                                                 absl::string_view for_contact);

// The HTTP route of feeds: GET kCalendarPathPrefix + "<token>.ics".
inline constexpr char kCalendarPathPrefix[] = "/v1/calendars/";

// Answers a feed request with render(token): 200 text/calendar, or 404
// saying nothing more than "not found" for a path that is not
// "<prefix><token>.ics" or a token render answers NotFound; 500 for other
// errors (logged by the caller's render, not told to the client).
http::HttpResponse ServeCalendar(
    const http::HttpRequest& request,
    const std::function<absl::StatusOr<std::string>(const std::string& token)>& render);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CALENDAR_H_
