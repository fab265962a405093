#include "libs/service/ticker.h"

#include <atomic>

#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::service {
namespace {

TEST(Ticker, TicksOnWakeWithoutWaitingForTheInterval) {
  std::atomic<int> ticks{0};
  Ticker ticker(absl::Hours(1), [&] { ++ticks; });
  ticker.Wake();
  ASSERT_OK(testing::WaitFor([&] { return ticks >= 1; }, absl::Seconds(10)));
  ticker.Wake();
  ASSERT_OK(testing::WaitFor([&] { return ticks >= 2; }, absl::Seconds(10)));
}

TEST(Ticker, TicksEveryIntervalAndStopsOnDestruction) {
  std::atomic<int> ticks{0};
  {
    Ticker ticker(absl::Milliseconds(5), [&] { ++ticks; });
    ASSERT_OK(testing::WaitFor([&] { return ticks >= 3; }, absl::Seconds(10)));
  }
  int after = ticks;
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(ticks, after);
}

}  // namespace
}  // namespace tocsin::service
