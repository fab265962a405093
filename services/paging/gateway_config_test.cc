#include "services/paging/gateway_config.h"

#include <fstream>

#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"
#include "gmock/gmock.h"

namespace tocsin::paging {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

class GatewayConfigTest : public ::testing::Test {
protected:
  std::string SecretFile(const std::string &content) {
    std::string path = dir_ + "/secret";
    std::ofstream(path) << content;
    return path;
  }
  const std::string dir_ = tocsin::testing::MakeTempDir("gateway");
};

TEST_F(GatewayConfigTest, NothingSetMeansNoGateway) {
  ASSERT_OK_AND_ASSIGN(std::optional<GatewayOptions> options,
                       LoadGatewayOptions({}));
  EXPECT_FALSE(options.has_value());
}

TEST_F(GatewayConfigTest, BothSetReadsAndTrimsTheSecret) {
  ASSERT_OK_AND_ASSIGN(
      std::optional<GatewayOptions> options,
      LoadGatewayOptions({.url = "http://127.0.0.1:9/send",
                          .secret_file = SecretFile("  s3cret \n")}));
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->url, "http://127.0.0.1:9/send");
  EXPECT_EQ(options->secret, "s3cret");
}

TEST_F(GatewayConfigTest, PartialConfigurationNamesWhatIsMissing) {
  EXPECT_THAT(LoadGatewayOptions({.url = "http://127.0.0.1:9/send"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("TOCSIN_SMS_GATEWAY_SECRET_FILE")));
  EXPECT_THAT(LoadGatewayOptions({.secret_file = SecretFile("s3cret")}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("TOCSIN_SMS_GATEWAY_URL")));
}

TEST_F(GatewayConfigTest, BadUrlMissingOrEmptySecretFileNeverShowTheSecret) {
  EXPECT_THAT(
      LoadGatewayOptions(
          {.url = "ftp://x", .secret_file = SecretFile("s3cret")}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://")));
  EXPECT_THAT(
      LoadGatewayOptions({.url = "http://x", .secret_file = dir_ + "/none"}),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("TOCSIN_SMS_GATEWAY_SECRET_FILE")));
  EXPECT_THAT(
      LoadGatewayOptions({.url = "http://x", .secret_file = SecretFile(" \n")}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(CheckOneSmsProviderTest, RefusesBoth) {
  EXPECT_OK(CheckOneSmsProvider(false, false));
  EXPECT_OK(CheckOneSmsProvider(true, false));
  EXPECT_OK(CheckOneSmsProvider(false, true));
  EXPECT_THAT(CheckOneSmsProvider(true, true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("configure one SMS/voice provider")));
}

} // namespace
} // namespace tocsin::paging
