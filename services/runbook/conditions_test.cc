#include "services/runbook/conditions.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "services/runbook/jsonpath.h"
#include "services/runbook/values.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::tocsin::testing::IsOkAndHolds;
using ::tocsin::testing::StatusIs;

const ValueMap& Values() {
  static const ValueMap* const kValues = new ValueMap{
      {"v.Text", "Checkout-Down"}, {"v.Count", 3},          {"v.CountText", " 42 "},
      {"v.Ratio", 0.25},           {"v.Up", true},          {"v.UpText", "false"},
      {"v.Hosts", Json::array({"a", "b"})}, {"v.Map", Json{{"a", 1}}},
      {"v.Big", 9007199254740993}};
  return *kValues;
}

// aws:branch style: variables are references substituted from the values.
absl::StatusOr<bool> Eval(const Condition& c) {
  return Evaluate(c, [](const std::string& variable) {
    return SubstituteJson(variable, Values());
  });
}

Condition Leaf(const char* op, const char* variable, Json operand) {
  Condition c;
  c.op = op;
  c.variable = variable;
  c.operand = std::move(operand);
  return c;
}

Condition Node(const char* op, std::vector<Condition> children) {
  Condition c;
  c.op = op;
  c.children = std::move(children);
  return c;
}

TEST(EvaluateTest, StringOperators) {
  EXPECT_THAT(Eval(Leaf("StringEquals", "{{ v.Text }}", "Checkout-Down")), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("StringEquals", "{{ v.Text }}", "checkout-down")), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Leaf("EqualsIgnoreCase", "{{ v.Text }}", "checkout-DOWN")),
              IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("StartsWith", "{{ v.Text }}", "Check")), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("StartsWith", "{{ v.Text }}", "Down")), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Leaf("EndsWith", "{{ v.Text }}", "Down")), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("Contains", "{{ v.Text }}", "out-D")), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("Contains", "{{ v.Hosts }}", "b")), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("Contains", "{{ v.Hosts }}", "c")), IsOkAndHolds(false));
  // A number compared as text.
  EXPECT_THAT(Eval(Leaf("StringEquals", "{{ v.Count }}", "3")), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("StringEquals", "{{ v.Map }}", "x")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "{{ v.Map }} is a mapping {\"a\":1}, not a string (StringEquals)"));
  EXPECT_THAT(Eval(Leaf("StringEquals", "{{ v.Text }}", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("operand")));
}

TEST(EvaluateTest, NumericOperators) {
  EXPECT_THAT(Eval(Leaf("NumericEquals", "{{ v.Count }}", 3)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("NumericGreater", "{{ v.Count }}", 2)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("NumericGreater", "{{ v.Count }}", 3)), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Leaf("NumericGreaterOrEquals", "{{ v.Count }}", 3)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("NumericLesser", "{{ v.Ratio }}", 0.5)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("NumericLesserOrEquals", "{{ v.Ratio }}", 0.2)), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Leaf("NumericEquals", "{{ v.CountText }}", 42)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("NumericGreater", "{{ v.Count }}", "2.5")), IsOkAndHolds(true));
  // Integers compare exactly (a double would make these equal).
  EXPECT_THAT(Eval(Leaf("NumericEquals", "{{ v.Big }}", 9007199254740992)), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Leaf("NumericGreater", "{{ v.Text }}", 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "{{ v.Text }} is a string \"Checkout-Down\", not a number "
                       "(NumericGreater)"));
  EXPECT_THAT(Eval(Leaf("NumericGreater", "{{ v.Hosts }}", 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("{{ v.Hosts }} is a list")));
  EXPECT_THAT(Eval(Leaf("NumericGreater", "{{ v.Count }}", "nan")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("operand")));
}

TEST(EvaluateTest, BooleanEquals) {
  EXPECT_THAT(Eval(Leaf("BooleanEquals", "{{ v.Up }}", true)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("BooleanEquals", "{{ v.UpText }}", false)), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Leaf("BooleanEquals", "{{ v.Up }}", "false")), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Leaf("BooleanEquals", "{{ v.Count }}", true)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("{{ v.Count }} is a number 3, not a boolean")));
}

TEST(EvaluateTest, Combinators) {
  const Condition yes = Leaf("NumericEquals", "{{ v.Count }}", 3);
  const Condition no = Leaf("NumericEquals", "{{ v.Count }}", 4);
  const Condition broken = Leaf("NumericEquals", "{{ v.Missing }}", 4);
  EXPECT_THAT(Eval(Node("And", {yes, yes})), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Node("And", {yes, no})), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Node("Or", {no, yes})), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Node("Or", {no, no})), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Node("Not", {no})), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Node("Not", {Node("Or", {no, Node("And", {yes, yes})})})),
              IsOkAndHolds(false));
  // Evaluation stops at the first deciding child; a later broken one is not looked up.
  EXPECT_THAT(Eval(Node("And", {no, broken})), IsOkAndHolds(false));
  EXPECT_THAT(Eval(Node("Or", {yes, broken})), IsOkAndHolds(true));
  EXPECT_THAT(Eval(Node("And", {yes, broken})),
              StatusIs(absl::StatusCode::kFailedPrecondition, "{{ v.Missing }} has no value"));
  EXPECT_THAT(Eval(Node("Not", {yes, yes})),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(Eval(Node("And", {})), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(Eval(Leaf("Matches", "{{ v.Text }}", "x")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Matches")));
}

TEST(EvaluateTest, WaitForSelectors) {
  const Json result = Json::parse(R"({"status": 200, "body": {"state": "ready", "n": "7"}})");
  auto lookup = [&](const std::string& selector) { return Select(result, selector); };
  EXPECT_THAT(Evaluate(Node("And", {Leaf("StringEquals", "$.body.state", "ready"),
                                    Leaf("NumericGreaterOrEquals", "$.body.n", 7)}),
                       lookup),
              IsOkAndHolds(true));
  EXPECT_THAT(Evaluate(Leaf("StringEquals", "$.body.missing", "x"), lookup),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no key \"missing\"")));
}

}  // namespace
}  // namespace tocsin::runbook
