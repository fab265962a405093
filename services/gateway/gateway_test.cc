#include "services/gateway/gateway.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"

namespace tocsin::gateway {
namespace {

using ::testing::HasSubstr;

// Records alarms and answers what the test says.
class RecordingSink : public AlarmSink {
 public:
  absl::StatusOr<incidents::v1::IngestAlarmResponse> Ingest(
      const incidents::v1::Alarm& alarm) override {
    received.push_back(alarm);
    if (!fail_with.ok()) return fail_with;
    incidents::v1::IngestAlarmResponse r;
    r.set_outcome(incidents::v1::INGEST_OUTCOME_OPENED);
    r.set_incident_id("inc-" + alarm.event_id());
    r.set_response_plan("cpu");
    return r;
  }
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

TEST_F(GatewayTest, UnavailableIncidentsServiceIs503WithRetryAfter) {
  sink_.fail_with = absl::UnavailableError("connection refused");
  http::HttpResponse r = gateway_->HandleEventBridge(Request(Fixture()));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Error(r)["code"], "incidents_unavailable");
  EXPECT_THAT(Error(r)["message"].get<std::string>(), HasSubstr("connection refused"));
  EXPECT_THAT(r.headers, ::testing::Contains(std::make_pair(std::string("Retry-After"),
                                                            std::string("1"))));
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
