#include "libs/ids/ids.h"

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace tocsin {
namespace {

TEST(RandomIdGenerator, IdsAreUniqueAndSortByTime) {
  FakeClock clock;
  RandomIdGenerator ids(&clock);
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(seen.insert(ids.Next("inc")).second);
  std::string earlier = ids.Next("inc");
  clock.Advance(absl::Milliseconds(1));
  std::string later = ids.Next("inc");
  EXPECT_LT(earlier, later);
  EXPECT_EQ(earlier.substr(0, 4), "inc-");
  EXPECT_EQ(earlier.size(), 4u + 12 + 16);
}

TEST(SequentialIdGenerator, Counts) {
  SequentialIdGenerator ids;
  EXPECT_EQ(ids.Next("inc"), "inc-1");
  EXPECT_EQ(ids.Next("tl"), "tl-2");
}

}  // namespace
}  // namespace tocsin
