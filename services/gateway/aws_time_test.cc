#include "services/gateway/aws_time.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::gateway {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

TEST(ParseAwsTimestamp, EventTimeWithZulu) {
  ASSERT_OK_AND_ASSIGN(absl::Time t, ParseAwsTimestamp("2019-10-02T17:04:40Z"));
  EXPECT_EQ(t, Utc(2019, 10, 2, 17, 4, 40));
}

TEST(ParseAwsTimestamp, AlarmTimeWithMillisAndOffsetWithoutColon) {
  ASSERT_OK_AND_ASSIGN(absl::Time t,
                       ParseAwsTimestamp("2019-10-02T17:04:40.989+0000"));
  EXPECT_EQ(t, Utc(2019, 10, 2, 17, 4, 40) + absl::Milliseconds(989));
}

TEST(ParseAwsTimestamp, OffsetWithColon) {
  ASSERT_OK_AND_ASSIGN(absl::Time t,
                       ParseAwsTimestamp("2019-10-02T17:04:40.989+00:00"));
  EXPECT_EQ(t, Utc(2019, 10, 2, 17, 4, 40) + absl::Milliseconds(989));
}

TEST(ParseAwsTimestamp, NonZeroOffsetsMoveToUtc) {
  ASSERT_OK_AND_ASSIGN(absl::Time east,
                       ParseAwsTimestamp("2019-10-02T17:04:40+0530"));
  EXPECT_EQ(east, Utc(2019, 10, 2, 11, 34, 40));
  ASSERT_OK_AND_ASSIGN(absl::Time west,
                       ParseAwsTimestamp("2019-10-02T17:04:40-05:00"));
  EXPECT_EQ(west, Utc(2019, 10, 2, 22, 4, 40));
}

TEST(ParseAwsTimestamp, FractionsOfAnyLength) {
  const absl::Time base = Utc(2019, 10, 2, 17, 4, 40);
  ASSERT_OK_AND_ASSIGN(absl::Time one,
                       ParseAwsTimestamp("2019-10-02T17:04:40.5Z"));
  EXPECT_EQ(one, base + absl::Milliseconds(500));
  ASSERT_OK_AND_ASSIGN(absl::Time micros,
                       ParseAwsTimestamp("2019-10-02T17:04:40.123456+0000"));
  EXPECT_EQ(micros, base + absl::Microseconds(123456));
  ASSERT_OK_AND_ASSIGN(absl::Time nanos,
                       ParseAwsTimestamp("2019-10-02T17:04:40.123456789Z"));
  EXPECT_EQ(nanos, base + absl::Nanoseconds(123456789));
  ASSERT_OK_AND_ASSIGN(absl::Time beyond,
                       ParseAwsTimestamp("2019-10-02T17:04:40.123456789999Z"));
  EXPECT_GE(beyond, base + absl::Nanoseconds(123456789));
  EXPECT_LT(beyond, base + absl::Nanoseconds(123456790));
}

TEST(ParseAwsTimestamp, RejectsMalformedInputAndQuotesIt) {
  for (const char* bad : {
           "", "yesterday", "2019-10-02",
           "2019-10-02T17:04:40",            // no zone
           "2019-10-02 17:04:40Z",           // space instead of T
           "2019-10-02T17:04:40.Z",          // dot without digits
           "2019-10-02T17:04:40.989+000",    // three-digit offset
           "2019-10-02T17:04:40+24:00",      // offset out of range
           "2019-02-30T17:04:40Z",           // no such day
           "2019-13-02T17:04:40Z",           // no such month
           "2019-10-02T17:04:40Z trailing",  // trailing data
           "1570035880",                     // epoch seconds
       }) {
    EXPECT_THAT(ParseAwsTimestamp(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(absl::StrCat("\"", bad, "\"")),
                               HasSubstr("2019-10-02T17:04:40Z"))))
        << bad;
  }
}

TEST(ParseAwsTimestamp, RejectsTimesOutsideProtobufRange) {
  EXPECT_THAT(ParseAwsTimestamp("infinite-future"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("outside the years 0001 to 9999")));
  EXPECT_THAT(ParseAwsTimestamp("infinite-past"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("outside the years 0001 to 9999")));
  EXPECT_THAT(ParseAwsTimestamp("9999-12-31T23:00:00-05:00"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("outside the years 0001 to 9999")));
  EXPECT_THAT(ParseAwsTimestamp("0000-06-01T00:00:00Z"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("outside the years 0001 to 9999")));
}

TEST(ParseAwsTimestamp, LongInputIsCutInTheMessage) {
  const std::string long_input(1000, '7');
  absl::StatusOr<absl::Time> t = ParseAwsTimestamp(long_input);
  ASSERT_FALSE(t.ok());
  EXPECT_LT(t.status().message().size(), 200u);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("...\""));
}

TEST(ToProtoTimestamp, SplitsSecondsAndNanos) {
  const google::protobuf::Timestamp ts =
      ToProtoTimestamp(Utc(2019, 10, 2, 17, 4, 40) + absl::Milliseconds(989));
  EXPECT_EQ(ts.seconds(), 1570035880);
  EXPECT_EQ(ts.nanos(), 989000000);
}

TEST(ToProtoTimestamp, DropsDigitsPastNanoseconds) {
  ASSERT_OK_AND_ASSIGN(absl::Time t,
                       ParseAwsTimestamp("2019-10-02T17:04:40.123456789999Z"));
  const google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1570035880);
  EXPECT_EQ(ts.nanos(), 123456789);
}

TEST(ToProtoTimestamp, NanosStayPositiveBefore1970) {
  const google::protobuf::Timestamp ts =
      ToProtoTimestamp(absl::UnixEpoch() - absl::Milliseconds(1500));
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500000000);
}

}  // namespace
}  // namespace tocsin::gateway
