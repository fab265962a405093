#include "services/paging/gateway_signature.h"

#include "libs/status/status_matchers.h"
#include "gmock/gmock.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

constexpr char kSecret[] = "whsec_example";
constexpr char kBody[] =
    R"({"event":"reply","from":"+15551230000","text":"ack 123456"})";
// python3: hmac.new(b"whsec_example", b"1700000000." + body,
// hashlib.sha256).hexdigest()
constexpr char kHeader[] =
    "t=1700000000,v1="
    "c13a6e8cf944d328b51f7359b808e22e0681732fdccf6a934d322357c02fdbf2";
const absl::Time kSigned = absl::FromUnixSeconds(1700000000);

TEST(GatewaySignatureTest, MatchesPythonHmac) {
  EXPECT_EQ(GatewaySignature(kSecret, 1700000000, kBody), kHeader);
  EXPECT_EQ(GatewaySignature("k", 100, ""),
            "t=100,v1="
            "f1c6bbd3bed1cebe87acdb91375547c80dc830ee99e3b412feb3c243a52cd805");
}

TEST(GatewaySignatureTest, VerifiesWithinFiveMinutesEitherWay) {
  EXPECT_OK(VerifyGatewaySignature(kHeader, kBody, kSecret, kSigned));
  EXPECT_OK(VerifyGatewaySignature(kHeader, kBody, kSecret,
                                   kSigned + absl::Minutes(5)));
  EXPECT_OK(VerifyGatewaySignature(kHeader, kBody, kSecret,
                                   kSigned - absl::Minutes(5)));
  EXPECT_OK(VerifyGatewaySignature(
      " v1=c13a6e8cf944d328b51f7359b808e22e0681732fdccf6a934d322357c02fdbf2"
      ", t=1700000000",
      kBody, kSecret, kSigned));
}

TEST(GatewaySignatureTest, ReplayedOrFutureIsRefused) {
  EXPECT_THAT(
      VerifyGatewaySignature(kHeader, kBody, kSecret,
                             kSigned + absl::Minutes(5) + absl::Seconds(1)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("expired")));
  EXPECT_THAT(
      VerifyGatewaySignature(kHeader, kBody, kSecret,
                             kSigned - absl::Minutes(5) - absl::Seconds(1)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("future")));
}

TEST(GatewaySignatureTest, AnyChangeIsRefused) {
  const auto refused = StatusIs(absl::StatusCode::kPermissionDenied,
                                HasSubstr("does not match"));
  EXPECT_THAT(VerifyGatewaySignature(kHeader, std::string(kBody) + " ", kSecret,
                                     kSigned),
              refused);
  EXPECT_THAT(VerifyGatewaySignature(kHeader, kBody, "other", kSigned),
              refused);
  // A fresh t= with the old v1= (moving a captured signature forward in time).
  EXPECT_THAT(
      VerifyGatewaySignature(
          "t=1700000100,v1="
          "c13a6e8cf944d328b51f7359b808e22e0681732fdccf6a934d322357c02fdbf2",
          kBody, kSecret, kSigned),
      refused);
  EXPECT_THAT(VerifyGatewaySignature(
                  "t=1700000000,v1=C13A6E8CF944D328B51F7359B808E22E0681732FDCC"
                  "F6A934D322357C02FDBF2",
                  kBody, kSecret, kSigned),
              refused);
  EXPECT_THAT(
      VerifyGatewaySignature("t=1700000000,v1=", kBody, kSecret, kSigned),
      refused);
}

TEST(GatewaySignatureTest, MalformedHeadersSayWhy) {
  EXPECT_THAT(
      VerifyGatewaySignature("", kBody, kSecret, kSigned),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("missing")));
  for (const char *header :
       {"garbage", "t=1700000000", "v1=abc", "sha256=abc"}) {
    EXPECT_THAT(
        VerifyGatewaySignature(header, kBody, kSecret, kSigned),
        StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("malformed")))
        << header;
  }
  for (const char *header :
       {"t=,v1=abc", "t=soon,v1=abc", "t=-5,v1=abc", "t=+5,v1=abc"}) {
    EXPECT_THAT(VerifyGatewaySignature(header, kBody, kSecret, kSigned),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("Unix seconds")))
        << header;
  }
}

TEST(GatewaySignatureTest, EmptySecretNeverVerifies) {
  EXPECT_FALSE(VerifyGatewaySignature(GatewaySignature("", 1700000000, kBody),
                                      kBody, "", kSigned)
                   .ok());
}

TEST(GatewaySignatureTest, ReasonNeverContainsTheExpectedSignature) {
  absl::Status status =
      VerifyGatewaySignature("t=1700000000,v1=00", kBody, kSecret, kSigned);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("c13a6e8c")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kSecret)));
}

} // namespace
} // namespace tocsin::paging
