#include "libs/http/redact.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tocsin::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactUrl, SlackKeepsHostAndFirstSegmentOnly) {
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T0/B0/XYZ"),
            "https://hooks.slack.com/services/…");
}

TEST(RedactUrl, TeamsWorkflowDropsIdAndSignature) {
  const std::string url =
      "https://prod-12.westus.logic.azure.com:443/workflows/0123abcd4567/triggers/manual/"
      "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S3CRET";
  const std::string redacted = RedactUrl(url);
  EXPECT_EQ(redacted, "https://prod-12.westus.logic.azure.com:443/workflows/…?…");
  EXPECT_THAT(redacted, Not(HasSubstr("S3CRET")));
  EXPECT_THAT(redacted, Not(HasSubstr("0123abcd4567")));
}

TEST(RedactUrl, BasicAuthIsDroppedAndPortKept) {
  EXPECT_EQ(RedactUrl("https://u:p@h.example:8443/a?token=1"), "https://h.example:8443/a?…");
  EXPECT_EQ(RedactUrl("http://user:pa%40ss@h.example/"), "http://h.example/");
  EXPECT_EQ(RedactUrl("smtp://mailer:hunter2@smtp.example:587"), "smtp://smtp.example:587/");
}

TEST(RedactUrl, ShortUrlsStayReadable) {
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080/hook"), "http://127.0.0.1:8080/hook");
  EXPECT_EQ(RedactUrl("https://example.com"), "https://example.com/");
  EXPECT_EQ(RedactUrl("https://example.com/hooks/"), "https://example.com/hooks/");
  EXPECT_EQ(RedactUrl("http://[::1]:9000/a/b"), "http://[::1]:9000/a/…");
}

TEST(RedactUrl, FragmentAndEmptyQueryLikeValues) {
  EXPECT_EQ(RedactUrl("https://h.example/a#token=1"), "https://h.example/a?…");
  EXPECT_EQ(RedactUrl("HTTPS://H.EXAMPLE/A/B"), "https://H.EXAMPLE/A/…");
}

TEST(RedactUrl, LongFirstSegmentIsATokenAndIsHidden) {
  // Telegram puts the bot token in the first segment.
  const std::string redacted =
      RedactUrl("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage");
  EXPECT_EQ(redacted, "https://api.telegram.org/…");
  // Mattermost: /hooks/<key>.
  EXPECT_EQ(RedactUrl("https://mm.example.com/hooks/xi4ytm8w9pnbmj4s5h8i7zeq4h"),
            "https://mm.example.com/hooks/…");
}

TEST(RedactUrl, UnparsableShowsNothingOfTheInput) {
  EXPECT_EQ(RedactUrl(""), "<unparsable URL>");
  EXPECT_EQ(RedactUrl("hooks.slack.com/services/T0/B0/XYZ"), "<unparsable URL>");
  EXPECT_EQ(RedactUrl("not a url at all"), "<unparsable URL>");
  EXPECT_EQ(RedactUrl("https://"), "<unparsable URL>");
  EXPECT_EQ(RedactUrl("https://exa mple.com/secret"), "<unparsable URL>");
  EXPECT_EQ(RedactUrl(std::string("https://h.example/\0secret", 25)), "<unparsable URL>");
}

TEST(RedactUrlsIn, RedactsEveryUrlAndKeepsTheRest) {
  EXPECT_EQ(RedactUrlsIn("POST https://hooks.slack.com/services/T0/B0/XYZ failed: "
                         "redirect to http://u:p@other.example/x/y?z=1."),
            "POST https://hooks.slack.com/services/… failed: "
            "redirect to http://other.example/x/…?….");
}

TEST(RedactUrlsIn, QuotedAndBracketedUrls) {
  EXPECT_EQ(RedactUrlsIn("url \"https://h.example/a/b\" and <HTTP://h.example/c/d> "
                         "(https://h.example/e?sig=1)"),
            "url \"https://h.example/a/…\" and <http://h.example/c/…> (https://h.example/e?…)");
}

TEST(RedactUrlsIn, TextWithoutUrlsIsUnchanged) {
  EXPECT_EQ(RedactUrlsIn(""), "");
  EXPECT_EQ(RedactUrlsIn("Could not resolve host: hooks.example"),
            "Could not resolve host: hooks.example");
  EXPECT_EQ(RedactUrlsIn("http is a protocol; https too"), "http is a protocol; https too");
}

TEST(RedactUrlsIn, BrokenUrlInTextIsHiddenWhole) {
  EXPECT_EQ(RedactUrlsIn("got https:// then http://[::1/secret/x end"),
            "got <unparsable URL> then <unparsable URL> end");
}

TEST(RedactUrlIn, RedactsTheUrlItIsAboutWhateverItsScheme) {
  EXPECT_EQ(RedactUrlIn("connecting to smtp://mail.example:2525/x/y failed: refused",
                        "smtp://mail.example:2525/x/y"),
            "connecting to smtp://mail.example:2525/x/… failed: refused");
  const std::string other = RedactUrlIn("GET https://h.example/a/SECRET?t=1 timed out", "");
  EXPECT_EQ(other.find("SECRET"), std::string::npos) << other;
  EXPECT_EQ(other.find("t=1"), std::string::npos) << other;
}

}  // namespace
}  // namespace tocsin::http
