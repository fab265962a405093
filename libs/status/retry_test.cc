#include "libs/status/retry.h"

#include "gtest/gtest.h"

namespace tocsin {
namespace {

TEST(RetryTest, WhatMaySucceedLaterIsTransient) {
  EXPECT_TRUE(IsTransient(absl::UnavailableError("database is locked")));
  EXPECT_TRUE(IsTransient(absl::DeadlineExceededError("timeout")));
  EXPECT_TRUE(IsTransient(absl::AbortedError("version conflict")));
  EXPECT_TRUE(IsTransient(absl::ResourceExhaustedError("rate limit")));
  EXPECT_TRUE(IsTransient(absl::CancelledError("shutting down")));
}

TEST(RetryTest, WhatNeverSucceedsIsPermanent) {
  EXPECT_FALSE(IsTransient(absl::InvalidArgumentError("bad payload")));
  EXPECT_FALSE(IsTransient(absl::NotFoundError("no such page")));
  EXPECT_FALSE(IsTransient(absl::FailedPreconditionError("resolved")));
  EXPECT_FALSE(IsTransient(absl::DataLossError("does not parse")));
  EXPECT_FALSE(IsTransient(absl::InternalError("bug")));
  EXPECT_FALSE(IsTransient(absl::OkStatus()));
}

}  // namespace
}  // namespace tocsin
