#include "libs/grpc/status.h"

#include "gtest/gtest.h"

namespace tocsin {
namespace {

TEST(GrpcStatus, CodesAndMessagesRoundTrip) {
  for (auto code : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
                    absl::StatusCode::kAlreadyExists, absl::StatusCode::kFailedPrecondition,
                    absl::StatusCode::kAborted, absl::StatusCode::kUnavailable,
                    absl::StatusCode::kResourceExhausted}) {
    absl::Status s(code, "why");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(code));
    EXPECT_EQ(g.error_message(), "why");
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace tocsin
