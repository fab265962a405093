#include "libs/http/url_encoded.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tocsin::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(UrlEncodedTest, DecodesNamesAndValues) {
  EXPECT_THAT(ParseUrlEncoded("page=pg-1&code=12345678&Body=Hello+there%21&To=%2B81312345678"),
              ElementsAre(Pair("page", "pg-1"), Pair("code", "12345678"),
                          Pair("Body", "Hello there!"), Pair("To", "+81312345678")));
}

TEST(UrlEncodedTest, KeepsOrderRepeatsAndEmptyValues) {
  EXPECT_THAT(ParseUrlEncoded("a=1&&b&a=2&c="),
              ElementsAre(Pair("a", "1"), Pair("b", ""), Pair("a", "2"), Pair("c", "")));
  EXPECT_THAT(ParseUrlEncoded(""), ElementsAre());
}

TEST(UrlEncodedTest, FirstValueOfAName) {
  EXPECT_EQ(UrlEncodedValue("a=1&token=x%3Dy&a=2", "a"), "1");
  EXPECT_EQ(UrlEncodedValue("a=1&token=x%3Dy", "token"), "x=y");
  EXPECT_EQ(UrlEncodedValue("a=1", "missing"), std::nullopt);
}

TEST(UrlEncodedTest, ValueMayHoldAnEqualsSignAndRawBytes) {
  EXPECT_EQ(UrlEncodedValue("k=a=b", "k"), "a=b");
  EXPECT_EQ(UrlEncodedValue("k=%E9%00z", "k"), std::string("\xE9\0z", 3));
}

}  // namespace
}  // namespace tocsin::http
