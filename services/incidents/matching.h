// Response plan matching: which plan an alarm falls under, and how the plan's
// incident template expands for it. Pure functions, no I/O.
#ifndef TOCSIN_SERVICES_INCIDENTS_MATCHING_H_
#define TOCSIN_SERVICES_INCIDENTS_MATCHING_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::incidents {

using ::tocsin::incidents::v1::Alarm;
using ::tocsin::incidents::v1::AlarmMatch;
using ::tocsin::incidents::v1::ResponsePlan;

// Shell-style glob: '*' matches any run of characters (also none), '?' one
// character. Case-sensitive, like CloudWatch alarm names.
bool GlobMatch(absl::string_view pattern, absl::string_view text);

// Whether every non-empty criterion of `match` accepts the alarm.
bool Matches(const AlarmMatch& match, const Alarm& alarm);

// Why `match` refuses the alarm: one line per criterion that fails, e.g.
// "alarm name \"DiskFull\" does not match alarmNamePattern \"ServerCpu*\"",
// "account 111122223333 is not one of [444455556666]". Empty when it matches
// (Matches() is exactly "no reasons").
std::vector<std::string> MismatchReasons(const AlarmMatch& match, const Alarm& alarm);

// The plan that applies to the alarm: among matching plans the lowest
// priority, then the name. nullptr when none matches.
const ResponsePlan* SelectPlan(const std::vector<ResponsePlan>& plans,
                               const Alarm& alarm);

// Replaces {alarm_name} {alarm_arn} {account} {region} {source}
// {detail_type} {state} {reason} {description} with the alarm's values.
// Unknown placeholders are kept as written.
std::string ExpandTemplate(absl::string_view text, const Alarm& alarm);

// Longest dedupe string kept as it is.
inline constexpr size_t kMaxDedupeBytes = 1024;

// The dedupe string for an alarm under a plan: the plan's template expanded,
// or by default the alarm ARN, or for alarms without one
// "<source>/<detail_type>/<alarm_name>". Over kMaxDedupeBytes (only from
// oversized alarm fields) it is cut and ends with the SHA-256 of the whole,
// so that distinct long strings stay distinct and the same one stays equal.
std::string DedupeString(const ResponsePlan& plan, const Alarm& alarm);

// The incident title for an alarm: the template expanded, or the alarm name.
std::string IncidentTitle(const ResponsePlan& plan, const Alarm& alarm);

// Checks a plan a user submits. InvalidArgument names the field and value.
// An impact of 0 means "not given" and is accepted (see WithDefaults).
absl::Status ValidatePlan(const ResponsePlan& plan);

// The plan with defaults filled in: impact 3 (medium) when not given.
ResponsePlan WithDefaults(ResponsePlan plan);

// Checks a name (plan, contact): 1..128 of [A-Za-z0-9._-].
absl::Status ValidateName(absl::string_view what, absl::string_view name);

// "ALARM", "OK", "INSUFFICIENT_DATA" or "UNSPECIFIED".
std::string StateName(v1::AlarmState state);

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_MATCHING_H_
