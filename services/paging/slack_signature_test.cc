#include "services/paging/slack_signature.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

// The example request of Slack's "Verifying requests from Slack" guide; the
// signature was computed with python3's hmac when this test was written.
constexpr char kSecret[] = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr char kTimestamp[] = "1531420618";
constexpr char kBody[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
constexpr char kSignature[] =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

const absl::Time kSigned = absl::FromUnixSeconds(1531420618);

TEST(SlackSignature, MatchesAKnownVector) {
  EXPECT_EQ(SlackSignature(kSecret, kTimestamp, kBody), kSignature);
  EXPECT_OK(VerifySlackSignature(kSignature, kTimestamp, kBody, kSecret, kSigned));
}

TEST(SlackSignature, VerifiesWithinFiveMinutesEitherWay) {
  EXPECT_OK(VerifySlackSignature(kSignature, kTimestamp, kBody, kSecret,
                                 kSigned + absl::Minutes(5)));
  EXPECT_OK(VerifySlackSignature(kSignature, kTimestamp, kBody, kSecret,
                                 kSigned - absl::Minutes(5)));
}

TEST(SlackSignature, RefusesAnExpiredOrFutureTimestamp) {
  EXPECT_THAT(VerifySlackSignature(kSignature, kTimestamp, kBody, kSecret,
                                   kSigned + absl::Minutes(5) + absl::Seconds(1)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("expired")));
  EXPECT_THAT(VerifySlackSignature(kSignature, kTimestamp, kBody, kSecret,
                                   kSigned - absl::Minutes(5) - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("future")));
}

TEST(SlackSignature, RefusesForgeries) {
  // Another body, another timestamp (re-signed time, same signature), another
  // secret, a truncated or upper-case signature, another version.
  const std::string other_body = std::string(kBody) + "&text=resolve";
  for (auto [signature, timestamp, body, secret] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {kSignature, kTimestamp, other_body, kSecret},
           {kSignature, "1531420619", kBody, kSecret},
           {kSignature, kTimestamp, kBody, "another-secret"},
           {std::string(kSignature).substr(0, 40), kTimestamp, kBody, kSecret},
           {"v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503", kTimestamp,
            kBody, kSecret},
           {"v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", kTimestamp,
            kBody, kSecret},
       }) {
    absl::Status s = VerifySlackSignature(signature, timestamp, body, secret, kSigned);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_)) << signature << " " << body;
    EXPECT_THAT(s.message(), Not(HasSubstr(kSecret)));
    EXPECT_THAT(s.message(), Not(HasSubstr("a2114d57")));
  }
  EXPECT_THAT(VerifySlackSignature(kSignature, kTimestamp, other_body, kSecret, kSigned),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not match")));
}

TEST(SlackSignature, RefusesMissingOrMalformedHeadersAndAnEmptySecret) {
  EXPECT_THAT(VerifySlackSignature("", kTimestamp, kBody, kSecret, kSigned),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("X-Slack-Signature")));
  EXPECT_THAT(
      VerifySlackSignature(kSignature, "", kBody, kSecret, kSigned),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("X-Slack-Request-Timestamp")));
  for (const char* t : {"-1531420618", "1531420618.5", "+1531420618", " 1531420618", "soon",
                        "99999999999999999999999"}) {
    EXPECT_THAT(VerifySlackSignature(kSignature, t, kBody, kSecret, kSigned),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("malformed"))) << t;
  }
  EXPECT_THAT(VerifySlackSignature(SlackSignature("", kTimestamp, kBody), kTimestamp, kBody, "",
                                   kSigned),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no Slack signing secret")));
}

}  // namespace
}  // namespace tocsin::paging
