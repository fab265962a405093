#include "libs/text/text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tocsin::text {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

TEST(TextTest, ValidUtf8IsKeptAsItIs) {
  const std::string s = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\xA8";
  EXPECT_TRUE(IsValidUtf8(s));
  EXPECT_EQ(MakeValidUtf8(s), s);
}

TEST(TextTest, InvalidBytesBecomeReplacementCharacters) {
  // Latin-1 "é" (a proxy's error page in another charset), a lone
  // continuation byte, an overlong '/', a UTF-16 surrogate, a cut sequence.
  for (const std::string bad :
       {"caf\xE9", "a\x80z", "\xC0\xAF", "\xED\xA0\x80", "end\xE6\x97"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
    const std::string fixed = MakeValidUtf8(bad);
    EXPECT_TRUE(IsValidUtf8(fixed)) << bad;
    EXPECT_THAT(fixed, HasSubstr("\xEF\xBF\xBD")) << bad;
  }
  EXPECT_EQ(MakeValidUtf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
}

TEST(TextTest, TruncateLeavesShortTextAlone) {
  EXPECT_EQ(Truncate("short", 5), "short");
  EXPECT_EQ(Truncate("", 0), "");
}

TEST(TextTest, TruncateMarksWhatItCutAndStaysWithinTheLimit) {
  const std::string long_text(10000, 'x');
  const std::string cut = Truncate(long_text, 100);
  EXPECT_LE(cut.size(), 100u);
  EXPECT_THAT(cut, HasSubstr("\xE2\x80\xA6[truncated "));
  EXPECT_THAT(cut, EndsWith(" bytes]"));
}

TEST(TextTest, TruncateCountsTheBytesLeftOut) {
  const std::string text(1000, 'a');
  const std::string cut = Truncate(text, 60);
  const size_t kept = cut.find("\xE2\x80\xA6");
  ASSERT_NE(kept, std::string::npos);
  EXPECT_EQ(cut, text.substr(0, kept) + TruncationMarker(1000 - kept));
}

TEST(TextTest, TruncateNeverSplitsACodePoint) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "\xE6\x97\xA5";  // 日, 3 bytes each
  for (size_t limit = 30; limit < 60; ++limit) {
    const std::string cut = Truncate(text, limit);
    EXPECT_LE(cut.size(), limit);
    EXPECT_TRUE(IsValidUtf8(cut)) << limit;
  }
}

TEST(TextTest, TruncateBelowTheMarkerSizeCutsWithoutIt) {
  const std::string cut = Truncate("\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5", 4);
  EXPECT_EQ(cut, "\xE6\x97\xA5");
}

TEST(TextTest, UntrustedIsValidAndBounded) {
  std::string hostile(300000, '\xFF');
  const std::string safe = Untrusted(hostile, kMaxDetailBytes);
  EXPECT_TRUE(IsValidUtf8(safe));
  EXPECT_LE(safe.size(), kMaxDetailBytes);
  EXPECT_THAT(safe, HasSubstr("[truncated "));
}

TEST(TextTest, UntrustedLineHasNoLineBreaksOrControls) {
  EXPECT_EQ(UntrustedLine("502 Bad\r\nGateway\tX\x01", 100), "502 Bad  Gateway X ");
  EXPECT_EQ(UntrustedLine("ok \xE9", 100), "ok \xEF\xBF\xBD");
}

}  // namespace
}  // namespace tocsin::text
