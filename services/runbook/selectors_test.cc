#include "services/runbook/selectors.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "services/runbook/jsonpath.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::tocsin::testing::IsOk;
using ::tocsin::testing::IsOkAndHolds;
using ::tocsin::testing::StatusIs;

const Json& Result() {
  static const Json* const kResult = new Json(Json::parse(R"({
    "status": 200,
    "body": {"verdict": "down", "count": 3, "countText": "42", "ok": true, "okText": "false",
             "hosts": ["a", "b"], "mixed": ["a", 1, true], "nested": [["x"]],
             "tags": {"team": "pay", "tier": 1}, "odd key": "spaced", "it's": "quoted",
             "items": [{"id": 7}, {"id": 8}], "none": null, "big": 18446744073709551615}
  })"));
  return *kResult;
}

TEST(SelectTest, Paths) {
  EXPECT_THAT(Select(Result(), "$"), IsOkAndHolds(Result()));
  EXPECT_THAT(Select(Result(), "$.body.verdict"), IsOkAndHolds(Json("down")));
  EXPECT_THAT(Select(Result(), "$['body'][\"odd key\"]"), IsOkAndHolds(Json("spaced")));
  EXPECT_THAT(Select(Result(), "$.body[\"it's\"]"), IsOkAndHolds(Json("quoted")));
  EXPECT_THAT(Select(Result(), "$.body.items[1].id"), IsOkAndHolds(Json(8)));
  EXPECT_THAT(Select(Result(), "$.body.items[0]['id']"), IsOkAndHolds(Json(7)));
  EXPECT_THAT(Select(Result(), "$.status"), IsOkAndHolds(Json(200)));
}

TEST(SelectTest, NotFoundNamesThePath) {
  EXPECT_THAT(Select(Result(), "$.body.verdicts"),
              StatusIs(absl::StatusCode::kNotFound, "$.body.verdicts: no key \"verdicts\""));
  EXPECT_THAT(Select(Result(), "$.body.items[5].id"),
              StatusIs(absl::StatusCode::kNotFound,
                       "$.body.items[5]: index 5 is out of range (2 items)"));
  EXPECT_THAT(Select(Result(), "$.body.verdict.x"),
              StatusIs(absl::StatusCode::kNotFound,
                       "$.body.verdict.x: $.body.verdict is a string, not a mapping"));
  EXPECT_THAT(Select(Result(), "$.body[0]"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("is a mapping, not a list")));
}

TEST(SelectTest, MalformedPaths) {
  for (const char* path : {"", "body", "$.", "$..x", "$[", "$[-1]", "$['x'", "$['x']x",
                           "$[1", "$.a b", "$[*]", "$.a[?(@.x)]", "$[1234567890]"}) {
    EXPECT_THAT(CheckSelector(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("selector")))
        << path;
    EXPECT_THAT(Select(Result(), path),
                StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_))
        << path;
  }
  EXPECT_THAT(CheckSelector("$.body.items[0]['odd key'].x-y_z"), IsOk());
}

Output Out(const char* selector, ValueType type) {
  Output output;
  output.name = "Value";
  output.selector = selector;
  output.type = type;
  return output;
}

TEST(SelectOutputTest, String) {
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.verdict", ValueType::kString)),
              IsOkAndHolds(Json("down")));
  EXPECT_THAT(SelectOutput(Result(), Out("$.status", ValueType::kString)),
              IsOkAndHolds(Json("200")));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.ok", ValueType::kString)),
              IsOkAndHolds(Json("true")));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.tags", ValueType::kString)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "output \"Value\" ($.body.tags): expected String, found a mapping "
                       "{\"team\":\"pay\",\"tier\":1}"));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.none", ValueType::kString)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("found null")));
}

TEST(SelectOutputTest, Integer) {
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.count", ValueType::kInteger)),
              IsOkAndHolds(Json(3)));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.countText", ValueType::kInteger)),
              IsOkAndHolds(Json(42)));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.verdict", ValueType::kInteger)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected Integer, found a string \"down\"")));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.big", ValueType::kInteger)),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(SelectOutputTest, Boolean) {
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.ok", ValueType::kBoolean)),
              IsOkAndHolds(Json(true)));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.okText", ValueType::kBoolean)),
              IsOkAndHolds(Json(false)));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.count", ValueType::kBoolean)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected Boolean")));
}

TEST(SelectOutputTest, ListsAndMaps) {
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.hosts", ValueType::kStringList)),
              IsOkAndHolds(Json::array({"a", "b"})));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.mixed", ValueType::kStringList)),
              IsOkAndHolds(Json::array({"a", "1", "true"})));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.nested", ValueType::kStringList)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected StringList")));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.tags", ValueType::kStringMap)),
              IsOkAndHolds(Json{{"team", "pay"}, {"tier", "1"}}));
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.hosts", ValueType::kStringMap)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected StringMap")));
}

TEST(SelectOutputTest, MissingIsNotFoundNamingTheOutput) {
  EXPECT_THAT(SelectOutput(Result(), Out("$.body.verdicts", ValueType::kString)),
              StatusIs(absl::StatusCode::kNotFound,
                       "output \"Value\": $.body.verdicts: no key \"verdicts\""));
}

}  // namespace
}  // namespace tocsin::runbook
