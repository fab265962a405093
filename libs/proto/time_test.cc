#include "libs/proto/time.h"

#include "gtest/gtest.h"

namespace tocsin {
namespace {

TEST(ProtoTime, RoundTripsIncludingBeforeTheEpoch) {
  for (absl::Time t : {absl::FromUnixMillis(1570035880989), absl::UnixEpoch(),
                       absl::FromUnixNanos(-1500000000)}) {
    google::protobuf::Timestamp ts = ToProtoTime(t);
    EXPECT_GE(ts.nanos(), 0);
    EXPECT_LT(ts.nanos(), 1000000000);
    EXPECT_EQ(FromProtoTime(ts), t);
  }
  EXPECT_EQ(ToProtoTime(absl::FromUnixMillis(1570035880989)).nanos(), 989000000);
}

}  // namespace
}  // namespace tocsin
