// Conversions between the escalation API's rotation messages
// (tocsin.escalation.v1.Rotation, RotationOverride, Shift) and libs/oncall,
// the pure rotation engine. Everything that computes who is on call (the
// engagements that page, previews, the CLI's answers, calendar feeds) goes
// through these, so all of them compute the same shifts.
//
// Pure functions, thread-safe. InvalidArgument names the rotation and the
// field for a value the engine cannot take (a day of week unset, a time of
// day out of range); the engine's own validation (ValidateRotation) is left
// to the engine's functions, which run it first.
#ifndef TOCSIN_SERVICES_ESCALATION_ONCALL_CONVERT_H_
#define TOCSIN_SERVICES_ESCALATION_ONCALL_CONVERT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "libs/oncall/rotation.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

// The engine's spec for a stored or submitted rotation.
absl::StatusOr<oncall::RotationSpec> ToRotationSpec(const v1::Rotation& rotation);

// The engine's override for a stored or submitted override.
oncall::Override ToOncallOverride(const v1::RotationOverride& override_);
std::vector<oncall::Override> ToOncallOverrides(
    const std::vector<v1::RotationOverride>& overrides);

// A shift of `rotation` as the API returns it.
v1::Shift ToProtoShift(const oncall::Shift& shift, const std::string& rotation);

// oncall::Weekday <-> the API's DayOfWeek (InvalidArgument for UNSPECIFIED).
absl::StatusOr<oncall::Weekday> ToWeekday(v1::DayOfWeek day);
v1::DayOfWeek ToDayOfWeek(oncall::Weekday day);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_ONCALL_CONVERT_H_
