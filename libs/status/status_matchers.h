// gtest helpers for absl::Status / absl::StatusOr (testonly).
//
//   ASSERT_OK(status);  EXPECT_OK(status);
//   ASSERT_OK_AND_ASSIGN(auto value, FunctionReturningStatusOr());
//   EXPECT_THAT(FunctionReturningStatusOr(), IsOkAndHolds(3));
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("inc-1")));
#ifndef TOCSIN_LIBS_STATUS_STATUS_MATCHERS_H_
#define TOCSIN_LIBS_STATUS_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_macros.h"

namespace tocsin::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::tocsin::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code)) {
  const absl::Status& s = ::tocsin::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace tocsin::testing

#define EXPECT_OK(expr) EXPECT_THAT((expr), ::tocsin::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::tocsin::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                      \
  TOCSIN_ASSERT_OK_AND_ASSIGN_IMPL_(TOCSIN_CONCAT_(tocsin_statusor_, __LINE__), \
                                    lhs, expr)
#define TOCSIN_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                      \
  ASSERT_TRUE(statusor.ok()) << statusor.status();             \
  lhs = std::move(statusor).value()

#endif  // TOCSIN_LIBS_STATUS_STATUS_MATCHERS_H_
