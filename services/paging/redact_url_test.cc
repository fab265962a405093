#include "services/paging/redact_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactUrlTest, KeepsSchemeHostAndPortOnly) {
  EXPECT_EQ(RedactUrl("https://user:s3cret@hooks.example.com:8443/services/T1/B2/xyz?k=v#f"),
            "https://<redacted>@hooks.example.com:8443/<redacted>?<redacted>#<redacted>");
  EXPECT_EQ(RedactUrl("http://hooks.example.com/"), "http://hooks.example.com/");
  EXPECT_EQ(RedactUrl("http://hooks.example.com"), "http://hooks.example.com/");
  EXPECT_EQ(RedactUrl("smtp://tocsin:pw@mail.example.com:587"),
            "smtp://<redacted>@mail.example.com:587/");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:9/hook?token=abc"),
            "http://127.0.0.1:9/<redacted>?<redacted>");
}

TEST(RedactUrlTest, TextThatIsNoUrlIsNotRepeated) {
  EXPECT_EQ(RedactUrl("not a url with secret"), "<unparseable URL>");
  EXPECT_EQ(RedactUrl(""), "<unparseable URL>");
}

TEST(RedactUrlTest, RedactsTheUrlWhereAMessageQuotesIt) {
  const std::string url = "https://hooks.example.com/services/SECRET?token=TOKEN";
  const std::string message = "POST " + url + " failed: Couldn't connect to server";
  const std::string redacted = RedactUrlIn(message, url);
  EXPECT_THAT(redacted, Not(HasSubstr("SECRET")));
  EXPECT_THAT(redacted, Not(HasSubstr("TOKEN")));
  EXPECT_EQ(redacted,
            "POST https://hooks.example.com/<redacted>?<redacted> failed: Couldn't connect to "
            "server");
}

}  // namespace
}  // namespace tocsin::paging
