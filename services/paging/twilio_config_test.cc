#include "services/paging/twilio_config.h"

#include <fstream>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::paging {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

class TwilioConfigTest : public ::testing::Test {
 protected:
  std::string TokenFile(const std::string& content) {
    std::string path = dir_ + "/token";
    std::ofstream(path) << content;
    return path;
  }
  const std::string dir_ = tocsin::testing::MakeTempDir("twilio");
};

TEST_F(TwilioConfigTest, NothingSetMeansNoTwilio) {
  ASSERT_OK_AND_ASSIGN(std::optional<TwilioOptions> options, LoadTwilioOptions({}));
  EXPECT_FALSE(options.has_value());
}

TEST_F(TwilioConfigTest, AllSetReadsAndTrimsTheToken) {
  ASSERT_OK_AND_ASSIGN(std::optional<TwilioOptions> options,
                       LoadTwilioOptions({.base_url = "http://127.0.0.1:9/",
                                          .account_sid = "AC123",
                                          .auth_token_file = TokenFile("s3cret \n"),
                                          .from = "+15005550006"}));
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->base_url, "http://127.0.0.1:9");
  EXPECT_EQ(options->account_sid, "AC123");
  EXPECT_EQ(options->auth_token, "s3cret");
  EXPECT_EQ(options->from, "+15005550006");
}

TEST_F(TwilioConfigTest, DefaultBaseUrlIsTwilios) {
  ASSERT_OK_AND_ASSIGN(
      std::optional<TwilioOptions> options,
      LoadTwilioOptions(
          {.account_sid = "AC123", .auth_token_file = TokenFile("t"), .from = "+15005550006"}));
  EXPECT_EQ(options->base_url, "https://api.twilio.com");
}

TEST_F(TwilioConfigTest, PartialConfigurationNamesWhatIsMissing) {
  EXPECT_THAT(
      LoadTwilioOptions({.account_sid = "AC123"}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("TOCSIN_TWILIO_AUTH_TOKEN_FILE"), HasSubstr("TOCSIN_TWILIO_FROM"),
                     Not(HasSubstr("TOCSIN_TWILIO_ACCOUNT_SID")))));
  EXPECT_THAT(
      LoadTwilioOptions({.auth_token_file = TokenFile("t"), .from = "+15005550006"}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("TOCSIN_TWILIO_ACCOUNT_SID")));
}

TEST_F(TwilioConfigTest, RefusesABadSenderAndNeverShowsTheToken) {
  EXPECT_THAT(
      LoadTwilioOptions(
          {.account_sid = "AC1", .auth_token_file = TokenFile("tok"), .from = "0312345678"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("E.164")));
  absl::StatusOr<std::optional<TwilioOptions>> empty = LoadTwilioOptions(
      {.account_sid = "AC1", .auth_token_file = TokenFile(" \n"), .from = "+15005550006"});
  EXPECT_THAT(empty, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(
      LoadTwilioOptions(
          {.account_sid = "AC1", .auth_token_file = dir_ + "/absent", .from = "+15005550006"}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent")));
}

TEST(IsE164Test, Numbers) {
  EXPECT_TRUE(IsE164("+81312345678"));
  EXPECT_TRUE(IsE164("+15005550006"));
  EXPECT_FALSE(IsE164("81312345678"));
  EXPECT_FALSE(IsE164("+0312345678"));
  EXPECT_FALSE(IsE164("+1 500 555"));
  EXPECT_FALSE(IsE164("+1234567890123456"));
  EXPECT_FALSE(IsE164("+"));
}

}  // namespace
}  // namespace tocsin::paging
