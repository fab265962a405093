#include "services/runbook/http_action.h"

#include <fstream>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/faulty_http_server.h"
#include "libs/testing/temp_dir.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::tocsin::testing::FaultyAnswer;
using ::tocsin::testing::FaultyHttpServer;
using ::tocsin::testing::FaultyRequest;
using ::tocsin::testing::StatusIs;

class HttpActionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(peer_, FaultyHttpServer::Start());
    secrets_ = testing::MakeTempDir("secrets");
    std::ofstream(secrets_ + "/pager-token") << "tok-SECRET-123\n";
    options_.timeout = absl::Seconds(10);
    options_.secrets_dir = secrets_;
    values_ = {{"Service", "checkout"},
               {"incident.id", "inc-7"},
               {"incident.title", "say \"hi\"\nthen {{ Service }} \\ done"},
               {"check.Count", 3},
               {"alarm.resources", Json::array({"arn:a", "arn:b"})}};
  }

  FaultyRequest Last() { return peer_->Requests().back(); }

  std::unique_ptr<FaultyHttpServer> peer_;
  std::string secrets_;
  HttpActionOptions options_;
  ValueMap values_;
};

TEST_F(HttpActionTest, SendsTheExactRequestAndParsesJson) {
  peer_->SetAnswer("/svc/checkout",
                   FaultyAnswer::Status(200, R"({"verdict":"down","n":[1,2]})",
                                        "application/json"));
  const Json inputs = {
      {"Method", "POST"},
      {"Url", peer_->url("/svc/{{ Service }}") + "?incident={{ incident.id }}"},
      {"Headers", {{"Authorization", "Bearer {{ secret.pager-token }}"},
                   {"X-Incident", "{{ incident.id }}"}}},
      {"Body", {{"title", "{{ incident.title }}"},
                {"count", "{{ check.Count }}"},
                {"resources", "{{ alarm.resources }}"}}}};
  ASSERT_OK_AND_ASSIGN(Json result, RunHttpAction(inputs, values_, options_));
  EXPECT_EQ(result, (Json{{"status", 200},
                          {"body", {{"verdict", "down"}, {"n", {1, 2}}}},
                          {"truncated", false}}));
  ASSERT_EQ(peer_->Requests().size(), 1u);
  const FaultyRequest request = Last();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/svc/checkout");
  EXPECT_EQ(request.Header("authorization"), "Bearer tok-SECRET-123");
  EXPECT_EQ(request.Header("x-incident"), "inc-7");
  EXPECT_EQ(request.Header("content-type"), "application/json");
  // Quotes, newlines, backslashes and braces of values are JSON-escaped, never substituted again.
  EXPECT_EQ(request.body,
            R"({"count":3,"resources":["arn:a","arn:b"],)"
            R"("title":"say \"hi\"\nthen {{ Service }} \\ done"})");
}

TEST_F(HttpActionTest, JsonStringBodyIsEscapedAndTextBodyIsNot) {
  const Json json_inputs = {{"Method", "PUT"},
                            {"Url", peer_->url("/a")},
                            {"Body", R"({"text": "{{ incident.title }}"})"}};
  ASSERT_OK(RunHttpAction(json_inputs, values_, options_).status());
  EXPECT_EQ(Json::parse(Last().body), (Json{{"text", values_["incident.title"]}}));
  EXPECT_EQ(Last().Header("content-type"), "application/json");

  const Json text_inputs = {{"Method", "POST"},
                            {"Url", peer_->url("/a")},
                            {"Headers", {{"content-type", "text/plain"}}},
                            {"Body", "service={{ Service }}"}};
  ASSERT_OK_AND_ASSIGN(Json result, RunHttpAction(text_inputs, values_, options_));
  EXPECT_EQ(Last().body, "service=checkout");
  EXPECT_EQ(Last().Header("content-type"), "text/plain");
  EXPECT_EQ(result["body"], "ok");  // not JSON: the text
  // A header's own Content-Type wins over the JSON default.
  const Json typed = {{"Method", "POST"},
                      {"Url", peer_->url("/a")},
                      {"Headers", {{"Content-Type", "application/vnd.api+json"}}},
                      {"Body", {{"a", 1}}}};
  ASSERT_OK(RunHttpAction(typed, values_, options_).status());
  EXPECT_EQ(Last().Header("content-type"), "application/vnd.api+json");
}

TEST_F(HttpActionTest, ExpectedStatus) {
  peer_->SetAnswer("/down", FaultyAnswer::Status(503, "maintenance until 10:00"));
  peer_->SetAnswer("/gone", FaultyAnswer::Status(404, std::string(500, 'z')));
  peer_->SetAnswer("/slow", FaultyAnswer::Status(429, "slow down"));
  // Default: any 2xx.
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/down")}}, values_, options_),
              StatusIs(absl::StatusCode::kUnavailable,
                       "HTTP 503 (expected 2xx): maintenance until 10:00"));
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/slow")}}, values_, options_),
              StatusIs(absl::StatusCode::kUnavailable, StartsWith("HTTP 429 (expected 2xx)")));
  const absl::StatusOr<Json> gone =
      RunHttpAction({{"Url", peer_->url("/gone")}, {"ExpectedStatus", 200}}, values_, options_);
  EXPECT_THAT(gone, StatusIs(absl::StatusCode::kFailedPrecondition,
                             StartsWith("HTTP 404 (expected 200): zzz")));
  EXPECT_LE(gone.status().message().size(), 240u);
  // A listed status is a success, whatever it is.
  ASSERT_OK_AND_ASSIGN(Json result,
                       RunHttpAction({{"Url", peer_->url("/down")},
                                      {"ExpectedStatus", Json::array({200, 503})}},
                                     values_, options_));
  EXPECT_EQ(result["status"], 503);
  EXPECT_EQ(result["body"], "maintenance until 10:00");
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/")}, {"ExpectedStatus", "{{ check.Count }}"}},
                            values_, options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ExpectedStatus 3")));
}

TEST_F(HttpActionTest, StallIsDeadlineExceeded) {
  peer_->SetAnswer("/stall", FaultyAnswer::Stall(absl::Seconds(30)));
  options_.timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/stall")}}, values_, options_),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(HttpActionTest, HugeBodyIsTruncated) {
  peer_->SetAnswer("/endless", FaultyAnswer::Endless(200));
  options_.max_response_bytes = 100 * 1024;
  ASSERT_OK_AND_ASSIGN(Json result,
                       RunHttpAction({{"Url", peer_->url("/endless")}}, values_, options_));
  EXPECT_EQ(result["status"], 200);
  EXPECT_TRUE(result["truncated"].get<bool>());
  EXPECT_LE(result["body"].get<std::string>().size(), 100u * 1024);
  EXPECT_GE(result["body"].get<std::string>().size(), 64u * 1024);
}

TEST_F(HttpActionTest, InvalidUtf8BodyIsReplaced) {
  peer_->SetAnswer("/latin1", FaultyAnswer::Status(200, "\xE9" "chec {\"a\":1}"));
  peer_->SetAnswer("/latin1-json", FaultyAnswer::Status(200, "{\"a\":\"\xE9\"}"));
  ASSERT_OK_AND_ASSIGN(Json result,
                       RunHttpAction({{"Url", peer_->url("/latin1")}}, values_, options_));
  EXPECT_EQ(result["body"], "\xEF\xBF\xBD" "chec {\"a\":1}");
  EXPECT_NO_THROW(result.dump());
  ASSERT_OK_AND_ASSIGN(result,
                       RunHttpAction({{"Url", peer_->url("/latin1-json")}}, values_, options_));
  EXPECT_TRUE(result["body"].is_string());
  EXPECT_NO_THROW(result.dump());
}

TEST_F(HttpActionTest, ErrorsNeverShowSecretsOrTheFullUrl) {
  // A 4xx whose URL carries a token: the message has neither the token nor the header.
  peer_->SetAnswer("/hook/T0/B0/url-token-XYZ", FaultyAnswer::Status(403, "denied"));
  const Json inputs = {{"Url", peer_->url("/hook/T0/B0/url-token-XYZ")},
                       {"Headers", {{"Authorization", "{{ secret.pager-token }}"}}}};
  EXPECT_THAT(RunHttpAction(inputs, values_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(Not(HasSubstr("tok-SECRET")), Not(HasSubstr("url-token")))));
  // A transport error (nothing listens) names the URL only redacted.
  const int port = peer_->port();
  peer_.reset();
  const Json refused = {{"Url", absl::StrCat("http://127.0.0.1:", port, "/hook/url-token-XYZ")},
                        {"Headers", {{"Authorization", "{{ secret.pager-token }}"}}}};
  EXPECT_THAT(RunHttpAction(refused, values_, options_),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(Not(HasSubstr("tok-SECRET")), Not(HasSubstr("url-token")))));
}

TEST_F(HttpActionTest, InputErrors) {
  EXPECT_THAT(RunHttpAction({{"Url", "{{ Service }}"}}, values_, options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://")));
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/{{ nope }}")}}, values_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, "{{ nope }} has no value"));
  options_.secrets_dir = "";
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/")},
                             {"Headers", {{"A", "{{ secret.pager-token }}"}}}},
                            values_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "secrets are not configured (--secrets_dir)"));
  EXPECT_THAT(RunHttpAction({{"Url", peer_->url("/")}, {"Body", "{{ secret.pager-token }}"}},
                            values_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("Headers only")));
  EXPECT_TRUE(peer_->Requests().empty());
}

}  // namespace
}  // namespace tocsin::runbook
