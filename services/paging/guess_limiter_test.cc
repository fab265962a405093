#include "services/paging/guess_limiter.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

TEST(GuessLimiter, LocksAPageAfterFiveWrongCodesForTheRestOfTheMinute) {
  FakeClock clock;
  GuessLimiter limiter(&clock);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(limiter.Check("pg-1"));
    limiter.RecordWrong("pg-1");
    clock.Advance(absl::Seconds(1));
  }
  EXPECT_THAT(limiter.Check("pg-1"), StatusIs(absl::StatusCode::kResourceExhausted,
                                              HasSubstr("try again in 55s")));
  EXPECT_OK(limiter.Check("pg-2"));  // other pages are not affected
  clock.Advance(absl::Seconds(55));
  EXPECT_OK(limiter.Check("pg-1"));
}

TEST(GuessLimiter, ARightCodeClearsTheCount) {
  FakeClock clock;
  GuessLimiter limiter(&clock);
  for (int i = 0; i < 4; ++i) limiter.RecordWrong("pg-1");
  limiter.RecordRight("pg-1");
  limiter.RecordWrong("pg-1");
  EXPECT_OK(limiter.Check("pg-1"));
}

}  // namespace
}  // namespace tocsin::paging
