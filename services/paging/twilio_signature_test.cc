#include "services/paging/twilio_signature.h"

#include "gtest/gtest.h"

namespace tocsin::paging {
namespace {

// Twilio's documented example (webhooks security guide): auth token 12345,
// https://mycompany.com/myapp.php?foo=1&bar=2 and these parameters sign to
// 0/KCTR6DLpKmkAf8muzZqo1nDgQ= (also checked with python3 hmac/hashlib).
constexpr char kToken[] = "12345";
constexpr char kUrl[] = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr char kSignature[] = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

std::vector<std::pair<std::string, std::string>> Params() {
  // Deliberately not sorted.
  return {{"To", "+18005551212"},
          {"CallSid", "CA1234567890ABCDE"},
          {"From", "+12349013030"},
          {"Digits", "1234"},
          {"Caller", "+12349013030"}};
}

TEST(TwilioSignatureTest, MatchesTwiliosDocumentedExample) {
  EXPECT_EQ(TwilioSignature(kToken, kUrl, Params()), kSignature);
  EXPECT_TRUE(VerifyTwilioSignature(kToken, kUrl, Params(), kSignature));
}

TEST(TwilioSignatureTest, NoParameters) {
  // python3: base64.b64encode(hmac.new(b"12345",
  // b"https://mycompany.com/myapp.php?foo=1&bar=2",
  //                                    hashlib.sha1).digest())
  EXPECT_EQ(TwilioSignature(kToken, kUrl, {}), "zYQTYrRWXE7LtzbG4PfP7/bkkGo=");
}

TEST(TwilioSignatureTest, AnyChangeFailsVerification) {
  auto changed = Params();
  changed[3].second = "1";
  EXPECT_FALSE(VerifyTwilioSignature(kToken, kUrl, changed, kSignature));
  EXPECT_FALSE(VerifyTwilioSignature("54321", kUrl, Params(), kSignature));
  EXPECT_FALSE(
      VerifyTwilioSignature(kToken, "https://mycompany.com/myapp.php?foo=1", Params(), kSignature));
  auto extra = Params();
  extra.emplace_back("Body", "hi");
  EXPECT_FALSE(VerifyTwilioSignature(kToken, kUrl, extra, kSignature));
  EXPECT_FALSE(VerifyTwilioSignature(kToken, kUrl, Params(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ"));
  EXPECT_FALSE(VerifyTwilioSignature(kToken, kUrl, Params(), ""));
  EXPECT_FALSE(VerifyTwilioSignature("", kUrl, Params(), kSignature));
}

}  // namespace
}  // namespace tocsin::paging
