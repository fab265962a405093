#include "services/gateway/api_keys.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::gateway {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::tocsin::testing::StatusIs;

constexpr char kKey[] = "tsk_correct-horse-battery-staple";
constexpr char kOtherKey[] = "tsk_another-key-for-the-pager-team";

TEST(HashApiKey, IsSha256InLowercaseHex) {
  // SHA-256("abc") from FIPS 180-2.
  EXPECT_EQ(HashApiKey("abc"),
            "sha256:"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string hash = HashApiKey(kKey);
  EXPECT_THAT(hash, StartsWith("sha256:"));
  EXPECT_EQ(hash.size(), 7u + 64u);
  EXPECT_EQ(hash, absl::AsciiStrToLower(hash));
}

TEST(ApiKeyStore, AuthenticatesAStoredKeyByName) {
  ASSERT_OK_AND_ASSIGN(
      ApiKeyStore store,
      ApiKeyStore::FromLines(absl::StrCat(
          "# senders\n", "\n", "eventbridge-prod ", HashApiKey(kKey), "\n",
          "  pager.team@example\t", HashApiKey(kOtherKey), "  \r\n")));
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.Authenticate(kKey), "eventbridge-prod");
  EXPECT_EQ(store.Authenticate(kOtherKey), "pager.team@example");
}

TEST(ApiKeyStore, RejectsWrongKeys) {
  ASSERT_OK_AND_ASSIGN(
      ApiKeyStore store,
      ApiKeyStore::FromLines(absl::StrCat("prod ", HashApiKey(kKey), "\n")));
  EXPECT_EQ(store.Authenticate("tsk_correct-horse-battery-stapl"),
            std::nullopt);
  EXPECT_EQ(store.Authenticate(absl::StrCat(kKey, " ")), std::nullopt);
  EXPECT_EQ(store.Authenticate(""), std::nullopt);
  // The stored hash itself is not a key.
  EXPECT_EQ(store.Authenticate(HashApiKey(kKey)), std::nullopt);
}

TEST(ApiKeyStore, ShortKeysNeverAuthenticateEvenWhenStored) {
  const std::string short_key(kMinApiKeyLength - 1, 'k');
  const std::string just_long_enough(kMinApiKeyLength, 'k');
  ASSERT_OK_AND_ASSIGN(ApiKeyStore store,
                       ApiKeyStore::FromLines(
                           absl::StrCat("short ", HashApiKey(short_key), "\n",
                                        "ok ", HashApiKey(just_long_enough))));
  EXPECT_EQ(store.Authenticate(short_key), std::nullopt);
  EXPECT_EQ(store.Authenticate(just_long_enough), "ok");
}

TEST(ApiKeyStore, SameNameMayHoldTwoKeysWhileRotating) {
  ASSERT_OK_AND_ASSIGN(ApiKeyStore store, ApiKeyStore::FromLines(absl::StrCat(
                                              "ci ", HashApiKey(kKey), "\nci ",
                                              HashApiKey(kOtherKey), "\n")));
  EXPECT_EQ(store.Authenticate(kKey), "ci");
  EXPECT_EQ(store.Authenticate(kOtherKey), "ci");
}

TEST(ApiKeyStore, EmptyContentsGiveAnEmptyStore) {
  ASSERT_OK_AND_ASSIGN(ApiKeyStore store,
                       ApiKeyStore::FromLines("# no keys yet\n\n"));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.Authenticate(kKey), std::nullopt);
}

TEST(ApiKeyStore, MalformedLinesNameTheLineAndNeverTheSecret) {
  const std::string hash = HashApiKey(kKey);
  const std::string hex = hash.substr(7);
  struct Case {
    std::string bad_line;
    std::string message;
  };
  const Case cases[] = {
      // A raw key pasted instead of a line.
      {kKey,
       "line 3: expected \"<name> sha256:<64 lowercase hex digits>\", "
       "found 1 field(s)"},
      // A raw key where the hash belongs.
      {absl::StrCat("prod ", kKey), "line 3: expected"},
      {absl::StrCat("prod ", hex), "not the key itself"},
      {absl::StrCat("prod sha256:", absl::AsciiStrToUpper(hex)),
       "line 3: expected"},
      {absl::StrCat("prod ", hash.substr(0, hash.size() - 1)), "line 3"},
      {absl::StrCat("prod ", hash, "zz"), "line 3"},
      {absl::StrCat("prod ", hash, " extra-field-", kKey), "found 3 field(s)"},
      {absl::StrCat("prod/", kKey, " ", HashApiKey(kOtherKey)),
       "line 3: the name must be"},
      {absl::StrCat("again ", hash),
       "line 3: the same key hash is already on "
       "line 2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bad_line);
    const std::string contents =
        absl::StrCat("# keys\n", "prod ", hash, "\n", c.bad_line, "\n");
    absl::StatusOr<ApiKeyStore> store = ApiKeyStore::FromLines(contents);
    EXPECT_THAT(store,
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(c.message), Not(HasSubstr(kKey)),
                               Not(HasSubstr(hex.substr(0, 16))))));
  }
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name);
}

TEST(ApiKeyStore, LoadsFromFile) {
  const std::string path = TempPath("keys.txt");
  std::ofstream(path) << "prod " << HashApiKey(kKey) << "\n";
  ASSERT_OK_AND_ASSIGN(ApiKeyStore store, ApiKeyStore::LoadFromFile(path));
  EXPECT_EQ(store.Authenticate(kKey), "prod");
}

TEST(ApiKeyStore, FileErrorsNameThePath) {
  const std::string path = TempPath("bad-keys.txt");
  std::ofstream(path) << "\n" << kKey << "\n";
  EXPECT_THAT(ApiKeyStore::LoadFromFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(absl::StrCat(path, ": line 2:")),
                             Not(HasSubstr(kKey)))));
  EXPECT_THAT(ApiKeyStore::LoadFromFile(TempPath("no-such-file")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-file")));
}

TEST(GenerateApiKey, KeysAreDistinctAndAuthenticateOnceHashed) {
  constexpr int kCount = 20;
  std::vector<std::string> keys;
  std::string lines;
  for (int i = 0; i < kCount; ++i) {
    const std::string key = GenerateApiKey();
    EXPECT_THAT(key, StartsWith("tsk_"));
    EXPECT_EQ(key.size(), 47u);
    for (const char c : key.substr(4)) {
      EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                  c == '-' || c == '_')
          << key;
    }
    keys.push_back(key);
    absl::StrAppend(&lines, "sender-", i, " ", HashApiKey(key), "\n");
  }
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(),
            keys.size());
  ASSERT_OK_AND_ASSIGN(ApiKeyStore store, ApiKeyStore::FromLines(lines));
  EXPECT_EQ(store.size(), keys.size());
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(store.Authenticate(keys[i]), absl::StrCat("sender-", i));
  }
}

}  // namespace
}  // namespace tocsin::gateway
