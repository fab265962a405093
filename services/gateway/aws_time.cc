#include "services/gateway/aws_time.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tocsin::gateway {
namespace {

// "%Ez" accepts "Z", "+hh", "+hhmm" and "+hh:mm"; "%E*S" accepts seconds
// with or without a fraction of any length. Together they cover every form
// AWS uses, so one format is enough.
constexpr char kFormat[] = "%Y-%m-%dT%H:%M:%E*S%Ez";
constexpr char kExamples[] =
    "2019-10-02T17:04:40Z or 2019-10-02T17:04:40.989+0000";
constexpr size_t kMaxQuoted = 64;

std::string Quote(absl::string_view text) {
  if (text.size() <= kMaxQuoted) {
    return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuoted)),
                      "...\"");
}

// The range of google.protobuf.Timestamp.
absl::Time MinTime() {
  return absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0),
                         absl::UTCTimeZone());
}
absl::Time MaxTime() {
  return absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                         absl::UTCTimeZone()) -
         absl::Nanoseconds(1);
}

}  // namespace

absl::StatusOr<absl::Time> ParseAwsTimestamp(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(kFormat, text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(text), " is not a time such as ", kExamples, " (", error, ")"));
  }
  // ParseTime also accepts "infinite-future" and "infinite-past".
  if (time < MinTime() || time > MaxTime()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is outside the years 0001 to 9999"));
  }
  return time;
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);  // Rounds down.
  google::protobuf::Timestamp proto;
  proto.set_seconds(seconds);
  proto.set_nanos(static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) /
                                       absl::Nanoseconds(1)));
  return proto;
}

}  // namespace tocsin::gateway
