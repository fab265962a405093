#include "services/gateway/gateway.h"

#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"

namespace tocsin::gateway {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Records what is handed over, call by call, and answers what the test says;
// like the incidents service, it keeps nothing of a call that fails.
class RecordingSink : public AlarmSink {
 public:
  absl::StatusOr<std::vector<incidents::v1::IngestAlarmResponse>> IngestAll(
      const std::vector<incidents::v1::Alarm>& alarms) override {
    ++calls;
    if (!fail_with.ok()) return fail_with;
    std::vector<incidents::v1::IngestAlarmResponse> results;
    for (const auto& alarm : alarms) {
      received.push_back(alarm);
      incidents::v1::IngestAlarmResponse r;
      r.set_outcome(incidents::v1::INGEST_OUTCOME_OPENED);
      r.set_incident_id("inc-" + alarm.event_id());
      r.set_response_plan("cpu");
      results.push_back(r);
    }
    return results;
  }
  int calls = 0;
  std::vector<incidents::v1::Alarm> received;
  absl::Status fail_with = absl::OkStatus();
};

std::string Fixture() {
  std::ifstream in(std::string(getenv("TEST_SRCDIR")) +
                   "/tocsin/testdata/fixtures/eventbridge/single-metric-alarm.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fixture with its own id (and alarm, so each is a distinct alarm).
std::string Event(const std::string& id, const std::function<void(nlohmann::json&)>& edit = {}) {
  auto j = nlohmann::json::parse(Fixture());
  j["id"] = id;
  j["resources"][0] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + id;
  if (edit) edit(j);
  return j.dump();
}

std::string Batch(const std::vector<std::string>& events) {
  return "[" + absl::StrJoin(events, ",") + "]";
}

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() {
    key_ = GenerateApiKey();
    auto keys = ApiKeyStore::FromLines("test " + HashApiKey(key_) + "\n");
    gateway_ = std::make_unique<Gateway>(*std::move(keys), &sink_, registry_);
  }
  http::HttpRequest Request(std::string body) {
    http::HttpRequest r;
    r.method = "POST";
    r.path = "/v1/events/eventbridge";
    r.headers["content-type"] = "application/json; charset=utf-8";
    r.headers["x-api-key"] = key_;
    r.body = std::move(body);
    return r;
  }
  nlohmann::json Error(const http::HttpResponse& r) {
    return nlohmann::json::parse(r.body)["error"];
  }

  std::string key_;
  RecordingSink sink_;
  prometheus::Registry registry_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayTest, AcceptedEventIsHandedOverAndAnswered) {
  http::HttpResponse r = gateway_->HandleEventBridge(Request(Fixture()));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(sink_.received.size(), 1u);
  EXPECT_EQ(sink_.received[0].event_id(), "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92");
  auto result = nlohmann::json::parse(r.body)["results"][0];
  EXPECT_EQ(result["outcome"], "opened");
  EXPECT_EQ(result["incidentId"], "inc-c4c1c1c9-6542-e61b-6ef0-8c4d36933a92");
}

TEST_F(GatewayTest, ABatchIsHandedOverInOneCallAndAnsweredPerEventInOrder) {
  http::HttpResponse r =
      gateway_->HandleEventBridge(Request(Batch({Event("a"), Event("b"), Event("c")})));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(sink_.calls, 1);
  ASSERT_EQ(sink_.received.size(), 3u);
  auto results = nlohmann::json::parse(r.body)["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["eventId"], "a");
  EXPECT_EQ(results[1]["eventId"], "b");
  EXPECT_EQ(results[2]["eventId"], "c");
  EXPECT_EQ(results[2]["incidentId"], "inc-c");
}

TEST_F(GatewayTest, AnInvalidEventInTheMiddleIs400NamingItAndNothingIsHandedOver) {
  // Parsed fine, but refused by the incidents service's rules: an empty
  // source, an event id longer than an idempotency key may be.
  const std::string long_id(300, 'x');
  for (const std::string& bad :
       {Event("bad", [](auto& j) { j["source"] = ""; }), Event(long_id)}) {
    http::HttpResponse r =
        gateway_->HandleEventBridge(Request(Batch({Event("good-1"), bad, Event("good-2")})));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(Error(r)["code"], "invalid_event");
    EXPECT_THAT(Error(r)["message"].get<std::string>(), HasSubstr("event[1] (id \""));
  }
  http::HttpResponse r = gateway_->HandleEventBridge(Request(
      Batch({Event("good-1"), Event("bad", [](auto& j) { j["source"] = ""; })})));
  EXPECT_THAT(Error(r)["message"].get<std::string>(),
              HasSubstr("event[1] (id \"bad\"): alarm.source is required"));
  EXPECT_EQ(sink_.calls, 0);
  EXPECT_TRUE(sink_.received.empty());
}

TEST_F(GatewayTest, TheIncidentsServiceRefusingAnEventIs400WithItsMessage) {
  sink_.fail_with =
      absl::InvalidArgumentError("alarms[0] (event id \"x\"): alarm.kind is required");
  http::HttpResponse r = gateway_->HandleEventBridge(Request(Fixture()));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r)["code"], "invalid_event");
  EXPECT_THAT(Error(r)["message"].get<std::string>(), HasSubstr("alarms[0] (event id \"x\")"));
}

TEST_F(GatewayTest, TransientFailuresAre503WithRetryAfterForTheWholeRequest) {
  for (const absl::Status& transient :
       {absl::UnavailableError("database is locked"),
        absl::DeadlineExceededError("deadline exceeded")}) {
    SCOPED_TRACE(transient.ToString());
    sink_.fail_with = transient;
    http::HttpResponse r = gateway_->HandleEventBridge(Request(Batch({Event("a"), Event("b")})));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(Error(r)["code"], "incidents_unavailable");
    EXPECT_THAT(Error(r)["message"].get<std::string>(),
                AllOf(HasSubstr(transient.message()), HasSubstr("retry the whole request")));
    EXPECT_THAT(r.headers, ::testing::Contains(std::make_pair(std::string("Retry-After"),
                                                              std::string("1"))));
  }
  sink_.fail_with = absl::InternalError("stored incident does not parse");
  http::HttpResponse r = gateway_->HandleEventBridge(Request(Fixture()));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Error(r)["code"], "incidents_error");
  // Retried once the incidents service is back, the request is answered.
  sink_.fail_with = absl::OkStatus();
  EXPECT_EQ(gateway_->HandleEventBridge(Request(Batch({Event("a"), Event("b")}))).status, 200);
  EXPECT_EQ(sink_.received.size(), 2u);
}

TEST_F(GatewayTest, BodyThatIsNotUtf8Is400NamingTheProblem) {
  std::string body = Event("a", [](auto& j) { j["detail"]["state"]["reason"] = "@@"; });
  body.replace(body.find("@@"), 2, "\xFF\xFE");
  http::HttpResponse r = gateway_->HandleEventBridge(Request(body));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Error(r)["code"], "invalid_json");
  EXPECT_THAT(Error(r)["message"].get<std::string>(), HasSubstr("UTF-8"));
  EXPECT_EQ(sink_.calls, 0);
}

TEST_F(GatewayTest, LongFieldsAreAcceptedAndHandedOverWhole) {
  const std::string reason(900 * 1000, 'r');
  http::HttpResponse r = gateway_->HandleEventBridge(Request(Event("big", [&](auto& j) {
    j["detail"]["state"]["reason"] = reason;
    j["detail"]["alarmName"] = std::string(1000, 'n');
  })));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  ASSERT_EQ(sink_.received.size(), 1u);
  EXPECT_EQ(sink_.received[0].reason(), reason);
  EXPECT_EQ(sink_.received[0].alarm_name(), std::string(1000, 'n'));
}

TEST_F(GatewayTest, EventsTooLargeForTheIncidentsServiceAre413) {
  // Only a body limit raised far above the default gets here.
  std::vector<std::string> events;
  for (int i = 0; i < 3; ++i) {
    events.push_back(Event(absl::StrCat("e", i), [](auto& j) {
      j["detail"]["state"]["reason"] = std::string(1 << 20, 'r');
    }));
  }
  http::HttpResponse r = gateway_->HandleEventBridge(Request(Batch(events)));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Error(r)["code"], "body_too_large");
  EXPECT_THAT(Error(r)["message"].get<std::string>(), HasSubstr("fewer events"));
  EXPECT_EQ(sink_.calls, 0);
}

TEST_F(GatewayTest, RefusedRequestsNeverReachTheIncidentsService) {
  http::HttpRequest no_key = Request(Fixture());
  no_key.headers.erase("x-api-key");
  EXPECT_EQ(gateway_->HandleEventBridge(no_key).status, 401);
  http::HttpRequest bad_key = Request(Fixture());
  bad_key.headers["x-api-key"] = key_ + "x";
  EXPECT_EQ(Error(gateway_->HandleEventBridge(bad_key))["code"], "invalid_api_key");
  http::HttpRequest xml = Request(Fixture());
  xml.headers["content-type"] = "application/xml";
  EXPECT_EQ(gateway_->HandleEventBridge(xml).status, 415);
  http::HttpResponse bad = gateway_->HandleEventBridge(Request("{\"id\": 1"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Error(bad)["code"], "invalid_json");
  http::HttpResponse missing = gateway_->HandleEventBridge(Request("{\"id\": \"x\"}"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Error(missing)["code"], "invalid_event");
  EXPECT_TRUE(sink_.received.empty());
}

}  // namespace
}  // namespace tocsin::gateway
