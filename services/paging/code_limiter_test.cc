#include "services/paging/code_limiter.h"

#include <cstdlib>
#include <memory>

#include "gmock/gmock.h"
#include "libs/clock/clock.h"
#include "libs/status/status_matchers.h"
#include "services/paging/sqlite_store.h"

namespace tocsin::paging {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class CodeLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
  }
  absl::Status Check(const std::string& source) {
    return store_->Write(
        [&](PagingStore::Tx& tx) { return limiter_.Check(tx, source, clock_.Now()); });
  }
  void Wrong(const std::string& source) {
    ASSERT_OK(store_->Write(
        [&](PagingStore::Tx& tx) { return limiter_.RecordWrong(tx, source, clock_.Now()); }));
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  CodeLimiter limiter_{{.max_wrong = 3, .window = absl::Minutes(10)}};
  std::unique_ptr<SqlitePagingStore> store_;
};

TEST_F(CodeLimiterTest, RefusesASourceOnlyAfterItsOwnWrongCodesAndSaysWhen) {
  Wrong("a");
  clock_.Advance(absl::Minutes(2));
  Wrong("a");
  Wrong("a");
  EXPECT_OK(Check("b")) << "another source is not affected";
  absl::Status refused = Check("a");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted,
                                "too many wrong accept codes from a (3 in 10m); try again in 8m"));
  EXPECT_EQ(RetryAfter(refused), absl::Minutes(8));
  // Sliding: once the first ages out, one more try is allowed.
  clock_.Advance(absl::Minutes(8));
  EXPECT_OK(Check("a"));
  Wrong("a");
  EXPECT_THAT(Check("a"), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("2m")));
}

TEST_F(CodeLimiterTest, CountsSurviveAReopenAndOldOnesArePruned) {
  for (int i = 0; i < 3; ++i) Wrong("a");
  Reopen();
  EXPECT_THAT(Check("a"), StatusIs(absl::StatusCode::kResourceExhausted, _));
  clock_.Advance(absl::Minutes(11));
  Wrong("b");  // prunes a's expired rows
  int64_t rows = -1;
  ASSERT_OK(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto a, tx.WrongCodesSince("a", absl::InfinitePast()));
    ASSIGN_OR_RETURN(auto b, tx.WrongCodesSince("b", absl::InfinitePast()));
    rows = static_cast<int64_t>(a.size() + b.size());
    return absl::OkStatus();
  }));
  EXPECT_EQ(rows, 1);
  EXPECT_OK(Check("a"));
}

TEST(RetryAfterTest, OnlyStatusesThatSayOne) {
  EXPECT_EQ(RetryAfter(absl::ResourceExhaustedError("x")), std::nullopt);
  EXPECT_EQ(RetryAfter(absl::OkStatus()), std::nullopt);
}

}  // namespace
}  // namespace tocsin::paging
