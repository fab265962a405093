#include "libs/config/config.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

TEST(Config, EnvOrFallsBackWhenUnsetOrEmpty) {
  setenv("TOCSIN_TEST_X", "value", 1);
  EXPECT_EQ(EnvOr("TOCSIN_TEST_X", "d"), "value");
  setenv("TOCSIN_TEST_X", "", 1);
  EXPECT_EQ(EnvOr("TOCSIN_TEST_X", "d"), "d");
  setenv("TOCSIN_TEST_N", "42", 1);
  EXPECT_EQ(EnvOrInt("TOCSIN_TEST_N", 7), 42);
}

TEST(Config, MalformedIntegerFailsTheEnvironmentCheckNamingTheVariable) {
  EXPECT_OK(CheckEnvironment());
  setenv("TOCSIN_TEST_MAX_ATTEMPTS", "six", 1);
  EXPECT_EQ(EnvOrInt("TOCSIN_TEST_MAX_ATTEMPTS", 7), 7);
  EXPECT_THAT(CheckEnvironment(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TOCSIN_TEST_MAX_ATTEMPTS=six is not an integer")));
}

TEST(Config, SecretPrefersFileAndNeverEchoesContent) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/token";
  std::ofstream(path) << "s3cret\n";
  setenv("TOCSIN_TEST_TOKEN_FILE", path.c_str(), 1);
  setenv("TOCSIN_TEST_TOKEN", "from-env", 1);
  ASSERT_OK_AND_ASSIGN(std::string v, Secret("TOCSIN_TEST_TOKEN"));
  EXPECT_EQ(v, "s3cret");
  unsetenv("TOCSIN_TEST_TOKEN_FILE");
  ASSERT_OK_AND_ASSIGN(v, Secret("TOCSIN_TEST_TOKEN"));
  EXPECT_EQ(v, "from-env");
  unsetenv("TOCSIN_TEST_TOKEN");
  EXPECT_THAT(Secret("TOCSIN_TEST_TOKEN"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("TOCSIN_TEST_TOKEN_FILE")));
  EXPECT_THAT(ReadSecretFile("/nonexistent/x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/x")));
}

}  // namespace
}  // namespace tocsin::config
