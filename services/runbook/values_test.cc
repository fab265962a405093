#include "services/runbook/values.h"

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::tocsin::testing::IsOkAndHolds;
using ::tocsin::testing::StatusIs;

ValueMap Values() {
  return {{"Service", "checkout"},
          {"check.Count", 3},
          {"check.Ratio", 0.5},
          {"check.Up", false},
          {"alarm.resources", Json::array({"arn:a", "arn:b"})},
          {"Tags", Json{{"team", "pay"}}},
          {"Mixed", Json::array({1, "x"})},
          {"Nothing", nullptr},
          {"Tricky", "say \"hi\"\nthen {{ Service }}"}};
}

TEST(SubstituteTextTest, RendersEachKind) {
  EXPECT_THAT(SubstituteText("restart {{ Service }} ({{check.Count}}, {{ check.Ratio }}, "
                             "{{check.Up}})",
                             Values()),
              IsOkAndHolds("restart checkout (3, 0.5, false)"));
  EXPECT_THAT(SubstituteText("on {{ alarm.resources }}", Values()),
              IsOkAndHolds("on arn:a, arn:b"));
  EXPECT_THAT(SubstituteText("{{Tags}} {{ Mixed }} [{{ Nothing }}]", Values()),
              IsOkAndHolds("{\"team\":\"pay\"} [1,\"x\"] []"));
}

TEST(SubstituteTextTest, OnePassOnly) {
  EXPECT_THAT(SubstituteText("{{ Tricky }}", Values()),
              IsOkAndHolds("say \"hi\"\nthen {{ Service }}"));
}

TEST(SubstituteTextTest, UnclosedBracesAreLiteral) {
  EXPECT_THAT(SubstituteText("a {{ Service }} b {{ c", Values()),
              IsOkAndHolds("a checkout b {{ c"));
  EXPECT_THAT(SubstituteText("no references", Values()), IsOkAndHolds("no references"));
  EXPECT_THAT(SubstituteText("", Values()), IsOkAndHolds(""));
}

TEST(SubstituteTextTest, MissingValueIsNamed) {
  EXPECT_THAT(SubstituteText("x {{ check.Verdict }}", Values()),
              StatusIs(absl::StatusCode::kFailedPrecondition, "{{ check.Verdict }} has no value"));
}

TEST(SubstituteTextTest, SecretsAreRefusedOutsideHeaders) {
  ValueMap values = Values();
  values["secret.token"] = "leaked";  // even a value under that name is never used
  EXPECT_THAT(SubstituteText("Bearer {{ secret.token }}", values),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("secret references are allowed in Headers only")));
  EXPECT_THAT(SubstituteJson(Json{{"a", "{{ secret.token }}"}}, values),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("secret references are allowed in Headers only")));
}

TEST(SubstituteJsonTest, SingleReferenceKeepsItsType) {
  const Json input = {{"Count", "{{ check.Count }}"},
                      {"Resources", " {{alarm.resources}} "},
                      {"Up", "{{ check.Up }}"},
                      {"Text", "n={{ check.Count }}"},
                      {"{{ Service }}", "key not substituted"},
                      {"List", Json::array({"{{ Service }}", 7, true})}};
  ASSERT_OK_AND_ASSIGN(Json out, SubstituteJson(input, Values()));
  EXPECT_EQ(out, (Json{{"Count", 3},
                       {"Resources", Json::array({"arn:a", "arn:b"})},
                       {"Up", false},
                       {"Text", "n=3"},
                       {"{{ Service }}", "key not substituted"},
                       {"List", Json::array({"checkout", 7, true})}}));
  // Two references in one string, or trailing text: text substitution.
  EXPECT_THAT(SubstituteJson("{{ check.Count }}{{ check.Up }}", Values()),
              IsOkAndHolds(Json("3false")));
  EXPECT_THAT(SubstituteJson("{{ check.Count }} }}", Values()), IsOkAndHolds(Json("3 }}")));
  EXPECT_THAT(SubstituteJson(Json{{"x", "{{ nope }}"}}, Values()),
              StatusIs(absl::StatusCode::kFailedPrecondition, "{{ nope }} has no value"));
}

TEST(SubstituteBodyTest, MappingIsJsonWithEscapedValues) {
  bool is_json = false;
  ASSERT_OK_AND_ASSIGN(
      std::string body,
      SubstituteBody(Json{{"text", "note: {{ Tricky }}"}, {"n", "{{ check.Count }}"}}, Values(),
                     &is_json));
  EXPECT_TRUE(is_json);
  EXPECT_EQ(body, R"({"n":3,"text":"note: say \"hi\"\nthen {{ Service }}"})");
  EXPECT_EQ(Json::parse(body)["text"], "note: say \"hi\"\nthen {{ Service }}");
}

TEST(SubstituteBodyTest, JsonStringIsParsedSoValuesAreEscaped) {
  bool is_json = false;
  ASSERT_OK_AND_ASSIGN(std::string body,
                       SubstituteBody(R"({"text": "{{ Tricky }}", "r": "{{ alarm.resources }}"})",
                                      Values(), &is_json));
  EXPECT_TRUE(is_json);
  EXPECT_EQ(Json::parse(body),
            (Json{{"text", "say \"hi\"\nthen {{ Service }}"}, {"r", {"arn:a", "arn:b"}}}));
}

TEST(SubstituteBodyTest, OtherStringIsText) {
  bool is_json = true;
  EXPECT_THAT(SubstituteBody("service={{ Service }}&n={{ check.Count }}", Values(), &is_json),
              IsOkAndHolds("service=checkout&n=3"));
  EXPECT_FALSE(is_json);
  EXPECT_THAT(SubstituteBody("\"just a JSON string {{ Service }}\"", Values(), &is_json),
              IsOkAndHolds("\"just a JSON string checkout\""));
  EXPECT_FALSE(is_json);
  EXPECT_THAT(SubstituteBody(nullptr, Values(), &is_json), IsOkAndHolds(""));
  EXPECT_THAT(SubstituteBody(Json(3), Values(), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

class SubstituteHeadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("secrets");
    std::ofstream(dir_ + "/pager-token.v2") << "s3cr3t-value\n";
  }
  std::string dir_;
};

TEST_F(SubstituteHeadersTest, ResolvesSecretsFromFilesAndValues) {
  const Json headers = {{"Authorization", "Bearer {{ secret.pager-token.v2 }}"},
                        {"X-Service", "{{ Service }}"}};
  EXPECT_THAT(SubstituteHeaders(headers, Values(), dir_),
              IsOkAndHolds(ElementsAre(Pair("Authorization", "Bearer s3cr3t-value"),
                                       Pair("X-Service", "checkout"))));
  // Read at each call: a rotated secret is used at once.
  std::ofstream(dir_ + "/pager-token.v2") << "rotated";
  EXPECT_THAT(SubstituteHeaders(headers, Values(), dir_),
              IsOkAndHolds(ElementsAre(Pair("Authorization", "Bearer rotated"),
                                       Pair("X-Service", "checkout"))));
  EXPECT_THAT(SubstituteHeaders(nullptr, Values(), dir_), IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(SubstituteHeadersTest, Errors) {
  EXPECT_THAT(SubstituteHeaders(Json{{"A", "{{ secret.pager-token.v2 }}"}}, Values(), ""),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "secrets are not configured (--secrets_dir)"));
  EXPECT_THAT(SubstituteHeaders(Json{{"A", "{{ secret.missing }}"}}, Values(), dir_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  EXPECT_THAT(SubstituteHeaders(Json{{"A", "{{ secret.../etc/passwd }}"}}, Values(), dir_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid secret")));
  EXPECT_THAT(SubstituteHeaders(Json{{"A", "{{ secret. }}"}}, Values(), dir_),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(SubstituteHeaders(Json{{"A", "{{ Nope }}"}}, Values(), dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition, "{{ Nope }} has no value"));
  EXPECT_THAT(SubstituteHeaders(Json{{"A", 3}}, Values(), dir_),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  // Header injection through a value: refused, naming the header and not the value.
  std::ofstream(dir_ + "/multi") << "line1\nline2";
  const absl::StatusOr<std::vector<std::pair<std::string, std::string>>> injected =
      SubstituteHeaders(Json{{"X-Note", "{{ secret.multi }}"}}, Values(), dir_);
  EXPECT_THAT(injected, StatusIs(absl::StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr("X-Note"), Not(HasSubstr("line1")))));
}

TEST(SecretNameTest, Parses) {
  EXPECT_THAT(SecretName("secret.a-b_c.1"), IsOkAndHolds(std::optional<std::string>("a-b_c.1")));
  EXPECT_THAT(SecretName("Service"), IsOkAndHolds(std::optional<std::string>()));
  EXPECT_THAT(SecretName("secret.a b"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(SecretName("secret..x"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

}  // namespace
}  // namespace tocsin::runbook
