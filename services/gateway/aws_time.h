// Timestamps as AWS writes them in EventBridge events and CloudWatch alarm
// details, e.g. "2019-10-02T17:04:40Z" (event time) and
// "2019-10-02T17:04:40.989+0000" (alarm state time, no colon in the offset).
//
//   ASSIGN_OR_RETURN(absl::Time t, ParseAwsTimestamp(text));
//   google::protobuf::Timestamp ts = ToProtoTimestamp(t);
#ifndef TOCSIN_SERVICES_GATEWAY_AWS_TIME_H_
#define TOCSIN_SERVICES_GATEWAY_AWS_TIME_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace tocsin::gateway {

// Parses an ISO 8601 / RFC 3339 date-time with a mandatory zone: "Z", "+hh",
// "+hhmm" or "+hh:mm", and optional fractional seconds of any length.
// Anything else, a time outside the years 0001..9999 (the range of
// google.protobuf.Timestamp), or an impossible date such as February 30 is
// InvalidArgument with a message that quotes the input.
absl::StatusOr<absl::Time> ParseAwsTimestamp(absl::string_view text);

// Converts a finite time in 0001..9999 (as ParseAwsTimestamp returns) to a
// google.protobuf.Timestamp, dropping anything finer than a nanosecond; nanos
// are always in [0, 1e9).
google::protobuf::Timestamp ToProtoTimestamp(absl::Time time);

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_AWS_TIME_H_
