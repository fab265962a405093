#include "libs/http/status_response.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tocsin::http {
namespace {

using ::testing::Contains;
using ::testing::Pair;

TEST(HttpStatusFor, MapsEveryCodeTheCallerCanActOn) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnknown), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kCancelled), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOk), 200);
}

TEST(StatusResponse, JsonErrorNamesTheCodeInSnakeCase) {
  HttpResponse r = StatusResponse(absl::FailedPreconditionError("page \"pg-1\" is cancelled"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/json");
  auto error = nlohmann::json::parse(r.body)["error"];
  EXPECT_EQ(error["code"], "failed_precondition");
  EXPECT_EQ(error["message"], "page \"pg-1\" is cancelled");
  EXPECT_TRUE(r.headers.empty());
}

TEST(StatusResponse, RetryAfterIsWholeSecondsRoundedUp) {
  HttpResponse r = StatusResponse(absl::ResourceExhaustedError("too many wrong codes from 10.0.0.1"),
                                  absl::Milliseconds(41001));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "resource_exhausted");
  EXPECT_THAT(r.headers, Contains(Pair("Retry-After", "42")));

  EXPECT_THAT(StatusResponse(absl::UnavailableError("x"), absl::Seconds(3)).headers,
              Contains(Pair("Retry-After", "3")));
  EXPECT_THAT(StatusResponse(absl::UnavailableError("x"), absl::Seconds(-5)).headers,
              Contains(Pair("Retry-After", "0")));
}

TEST(StatusResponse, OkIsAnEmptyObject) {
  HttpResponse r = StatusResponse(absl::OkStatus());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
}

}  // namespace
}  // namespace tocsin::http
