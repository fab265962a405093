// End to end, with the real gateway and incidents binaries and a real
// nats-server: EventBridge events in, incidents and bus events out.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::HasSubstr;
using incidents::v1::ResponsePlan;

ResponsePlan Plan(const std::string& name, const std::string& pattern, int impact) {
  ResponsePlan p;
  p.set_name(name);
  p.mutable_match()->set_alarm_name_pattern(pattern);
  p.mutable_match()->add_sources("aws.cloudwatch");
  p.mutable_incident_template()->set_title("{alarm_name} is {state} in {region}");
  p.mutable_incident_template()->set_impact(impact);
  p.set_resolve_on_ok(true);
  return p;
}

// An alarm event built from the single-metric fixture with its own id and alarm.
std::string AlarmEvent(const std::string& id, const std::string& alarm_name,
                       const std::string& state = "ALARM") {
  auto j = nlohmann::json::parse(ReadFixture("eventbridge/single-metric-alarm.json"));
  j["id"] = id;
  j["detail"]["alarmName"] = alarm_name;
  j["detail"]["state"]["value"] = state;
  j["resources"][0] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + alarm_name;
  return j.dump();
}

class EventBridgeE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start());
    ASSERT_OK(suite_->CreatePlan(Plan("cpu", "ServerCpu*", 2)));
    ASSERT_OK(suite_->CreatePlan(Plan("network", "*Network*", 3)));
    ASSERT_OK(suite_->CreatePlan(Plan("marker", "Marker*", 5)));
    ASSERT_OK_AND_ASSIGN(observer_,
                         BusObserver::Start(suite_->nats_url(), "opened", {"incident.opened"}));
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }

  // The outbox publishes in commit order: once a marker incident's event has
  // arrived, every event committed before it has arrived too. So counts read
  // after Flush() are final, without sleeping.
  void Flush() {
    const std::string id = absl::StrCat("marker-", ++markers_);
    ASSERT_OK_AND_ASSIGN(auto r, suite_->PostEventBridge(AlarmEvent(id, "Marker" + id)));
    ASSERT_EQ(r.status, 200) << r.body;
    std::string incident = nlohmann::json::parse(r.body)["results"][0]["incidentId"];
    ASSERT_OK(testing::WaitFor(
        [&] {
          for (const auto& e : observer_->Received()) {
            if (e.incident_id() == incident) return true;
          }
          return false;
        },
        absl::Seconds(30)));
  }

  // incident.opened events per incident id, markers excluded.
  std::map<std::string, int> OpenedPerIncident() {
    std::map<std::string, int> n;
    for (const auto& e : observer_->Received()) {
      incidents::v1::IncidentOpened opened;
      EXPECT_TRUE(e.payload().UnpackTo(&opened));
      if (opened.incident().response_plan() == "marker") continue;
      ++n[e.incident_id()];
    }
    return n;
  }

  std::vector<incidents::v1::Incident> NonMarkerIncidents() {
    auto all = suite_->ListIncidents();
    EXPECT_OK(all);
    std::vector<incidents::v1::Incident> out;
    for (const auto& i : *all) {
      if (i.response_plan() != "marker") out.push_back(i);
    }
    return out;
  }

  std::unique_ptr<Suite> suite_;
  std::unique_ptr<BusObserver> observer_;
  int markers_ = 0;
};

TEST_F(EventBridgeE2E, EachFixtureBecomesWhatThePlanSays) {
  ASSERT_OK_AND_ASSIGN(auto r, suite_->PostEventBridge(
                                   ReadFixture("eventbridge/single-metric-alarm.json")));
  ASSERT_EQ(r.status, 200) << r.body;
  auto cpu = nlohmann::json::parse(r.body)["results"][0];
  EXPECT_EQ(cpu["eventId"], "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92");
  EXPECT_EQ(cpu["outcome"], "opened");
  EXPECT_EQ(cpu["responsePlan"], "cpu");

  ASSERT_OK_AND_ASSIGN(r, suite_->PostEventBridge(ReadFixture("eventbridge/metric-math-alarm.json")));
  ASSERT_EQ(r.status, 200) << r.body;
  auto net = nlohmann::json::parse(r.body)["results"][0];
  EXPECT_EQ(net["outcome"], "opened");
  EXPECT_EQ(net["responsePlan"], "network");

  ASSERT_OK_AND_ASSIGN(
      r, suite_->PostEventBridge(ReadFixture("eventbridge/config-change-metric-alarm.json")));
  ASSERT_EQ(r.status, 200) << r.body;
  auto change = nlohmann::json::parse(r.body)["results"][0];
  EXPECT_EQ(change["outcome"], "ignored");
  EXPECT_FALSE(change.contains("incidentId"));

  Flush();
  auto incidents = NonMarkerIncidents();
  ASSERT_EQ(incidents.size(), 2u);
  std::map<std::string, incidents::v1::Incident> by_plan;
  for (const auto& i : incidents) by_plan[i.response_plan()] = i;
  EXPECT_EQ(by_plan["cpu"].title(), "ServerCpuTooHigh is ALARM in us-east-1");
  EXPECT_EQ(by_plan["cpu"].impact(), 2);
  EXPECT_EQ(by_plan["cpu"].dedupe_string(),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh");
  EXPECT_EQ(by_plan["cpu"].id(), cpu["incidentId"]);
  ASSERT_EQ(by_plan["cpu"].related_items_size(), 2);
  EXPECT_EQ(by_plan["cpu"].related_items(1).value(),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
            "#alarmsV2:alarm/ServerCpuTooHigh");
  EXPECT_EQ(by_plan["network"].title(), "TotalNetworkTrafficTooHigh is ALARM in us-east-1");
  EXPECT_EQ(by_plan["network"].impact(), 3);

  auto opened = OpenedPerIncident();
  EXPECT_EQ(opened.size(), 2u);
  for (const auto& [id, n] : opened) EXPECT_EQ(n, 1) << id;

  // OK resolves where the plan says so.
  auto ok = nlohmann::json::parse(ReadFixture("eventbridge/single-metric-alarm.json"));
  ok["id"] = "ok-1";
  ok["detail"]["state"]["value"] = "OK";
  ASSERT_OK_AND_ASSIGN(r, suite_->PostEventBridge(ok.dump()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["results"][0]["outcome"], "resolved");
  ASSERT_OK_AND_ASSIGN(auto timeline, suite_->Timeline(cpu["incidentId"]));
  std::vector<std::string> types;
  for (const auto& e : timeline) types.push_back(e.type());
  EXPECT_THAT(types, ::testing::ElementsAre("incident.opened", "incident.resolved"));
}

TEST_F(EventBridgeE2E, BatchOfEventsAnswersEachInOrder) {
  std::string batch = absl::StrCat("[", AlarmEvent("b1", "ServerCpuA"), ",",
                                   AlarmEvent("b2", "ServerCpuA"), ",",
                                   AlarmEvent("b3", "DiskFull"), "]");
  ASSERT_OK_AND_ASSIGN(auto r, suite_->PostEventBridge(batch));
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = nlohmann::json::parse(r.body)["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["outcome"], "opened");
  EXPECT_EQ(results[1]["outcome"], "joined");
  EXPECT_EQ(results[1]["incidentId"], results[0]["incidentId"]);
  EXPECT_EQ(results[2]["outcome"], "unmatched");
  incidents::v1::ListUnmatchedAlarmsRequest req;
  incidents::v1::ListUnmatchedAlarmsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(suite_->incidents().ListUnmatchedAlarms(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.alarms_size(), 1);
  EXPECT_EQ(resp.alarms(0).alarm().alarm_name(), "DiskFull");
}

TEST_F(EventBridgeE2E, SameEventPostedHundredTimesOpensOneIncident) {
  const std::string body = ReadFixture("eventbridge/single-metric-alarm.json");
  std::string incident_id;
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK_AND_ASSIGN(auto r, suite_->PostEventBridge(body));
    ASSERT_EQ(r.status, 200) << r.body;
    auto result = nlohmann::json::parse(r.body)["results"][0];
    EXPECT_EQ(result["outcome"], "opened");
    EXPECT_EQ(result["duplicate"], i > 0);
    if (i == 0) incident_id = result["incidentId"];
    EXPECT_EQ(result["incidentId"], incident_id);
  }
  Flush();
  EXPECT_EQ(NonMarkerIncidents().size(), 1u);
  auto opened = OpenedPerIncident();
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[incident_id], 1);
  ASSERT_OK_AND_ASSIGN(auto timeline, suite_->Timeline(incident_id));
  EXPECT_EQ(timeline.size(), 1u);
}

TEST_F(EventBridgeE2E, BatchWithABadEventStoresNothingAndTheCorrectedOneOpensEachOnce) {
  // The middle event parses, but has no source: the incidents service's
  // rules refuse it, so the whole request is refused before anything is kept.
  auto bad = nlohmann::json::parse(AlarmEvent("b-2", "ServerCpuB2"));
  bad["source"] = "";
  const std::string first = AlarmEvent("b-1", "ServerCpuB1");
  const std::string third = AlarmEvent("b-3", "ServerCpuB3");
  ASSERT_OK_AND_ASSIGN(auto r,
                       suite_->PostEventBridge(absl::StrCat("[", first, ",", bad.dump(), ",",
                                                            third, "]")));
  EXPECT_EQ(r.status, 400) << r.body;
  auto error = nlohmann::json::parse(r.body)["error"];
  EXPECT_EQ(error["code"], "invalid_event");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("event[1] (id \"b-2\")"));
  EXPECT_TRUE(NonMarkerIncidents().empty());

  // Corrected, the same batch is answered per event, and nothing of the
  // first try shows as a duplicate.
  bad["source"] = "aws.cloudwatch";
  ASSERT_OK_AND_ASSIGN(r, suite_->PostEventBridge(
                              absl::StrCat("[", first, ",", bad.dump(), ",", third, "]")));
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = nlohmann::json::parse(r.body)["results"];
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    EXPECT_EQ(result["outcome"], "opened") << result;
    EXPECT_EQ(result["duplicate"], false) << result;
  }
  Flush();
  auto opened = OpenedPerIncident();
  EXPECT_EQ(opened.size(), 3u);
  EXPECT_EQ(opened[results[0]["incidentId"]], 1);
  EXPECT_EQ(opened[results[2]["incidentId"]], 1);
}

TEST_F(EventBridgeE2E, AlarmWithAHugeReasonOpensAnIncidentAndKeepsTheReasonWhole) {
  const std::string reason(900 * 1000, 'r');
  auto event = nlohmann::json::parse(AlarmEvent("huge-1", "ServerCpuHuge"));
  event["detail"]["state"]["reason"] = reason;
  ASSERT_OK_AND_ASSIGN(auto r, suite_->PostEventBridge(event.dump()));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  auto result = nlohmann::json::parse(r.body)["results"][0];
  EXPECT_EQ(result["outcome"], "opened");
  const std::string incident_id = result["incidentId"];

  // incident.opened reached the bus, small, with the reason cut visibly.
  bus::Envelope opened_event;
  ASSERT_OK(testing::WaitFor(
      [&] {
        for (const auto& e : observer_->Received()) {
          if (e.incident_id() == incident_id) {
            opened_event = e;
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30)));
  EXPECT_LT(opened_event.ByteSizeLong(), 100u * 1024);
  incidents::v1::IncidentOpened opened;
  ASSERT_TRUE(opened_event.payload().UnpackTo(&opened));
  EXPECT_THAT(opened.alarm().reason(), HasSubstr("[truncated "));

  // The full alarm is readable through the API.
  incidents::v1::ListIncidentAlarmsRequest req;
  req.set_incident_id(incident_id);
  incidents::v1::ListIncidentAlarmsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(suite_->incidents().ListIncidentAlarms(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.alarms_size(), 1);
  EXPECT_EQ(resp.alarms(0).alarm().reason(), reason);
}

struct BadRequest {
  std::string what;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // replaces the defaults
  int status;
  std::string code;
  std::string message_part;
};

TEST_F(EventBridgeE2E, MalformedRequestsGetA4xxNamingTheProblemAndStoreNothing) {
  const std::string good = ReadFixture("eventbridge/single-metric-alarm.json");
  auto json = [&] { return nlohmann::json::parse(good); };
  auto with = [&](auto mutate) {
    auto j = json();
    mutate(j);
    return j.dump();
  };
  const std::vector<std::pair<std::string, std::string>> ok_headers = {
      {"Content-Type", "application/json"}, {"x-api-key", suite_->api_key()}};
  std::vector<BadRequest> corpus = {
      {"truncated JSON", good.substr(0, good.size() / 2), ok_headers, 400, "invalid_json",
       "not valid JSON"},
      {"empty body", "", ok_headers, 400, "invalid_json", "not valid JSON"},
      {"not an object", "42", ok_headers, 400, "invalid_event", ""},
      {"empty batch", "[]", ok_headers, 400, "invalid_event", "empty"},
      {"missing detail", with([](auto& j) { j.erase("detail"); }), ok_headers, 400,
       "invalid_event", "detail"},
      {"missing id", with([](auto& j) { j.erase("id"); }), ok_headers, 400, "invalid_event",
       "\"id\""},
      {"account is a number", with([](auto& j) { j["account"] = 123; }), ok_headers, 400,
       "invalid_event", "account"},
      {"resources not an array", with([](auto& j) { j["resources"] = "arn"; }), ok_headers, 400,
       "invalid_event", "resources"},
      {"unknown state", with([](auto& j) { j["detail"]["state"]["value"] = "BROKEN"; }),
       ok_headers, 400, "invalid_event", "BROKEN"},
      {"bad timestamp", with([](auto& j) { j["detail"]["state"]["timestamp"] = "yesterday"; }),
       ok_headers, 400, "invalid_event", "timestamp"},
      {"one bad event in a batch", absl::StrCat("[", good, ",", with([](auto& j) {
                                                  j.erase("detail-type");
                                                }),
                                                "]"),
       ok_headers, 400, "invalid_event", "event[1]"},
      {"oversized", std::string((1 << 20) + 1, ' '), ok_headers, 413, "body_too_large", "limit"},
      {"wrong content type", good, {{"Content-Type", "text/plain"}, {"x-api-key", suite_->api_key()}},
       415, "unsupported_media_type", "text/plain"},
      {"no key", good, {{"Content-Type", "application/json"}}, 401, "missing_api_key",
       "x-api-key"},
      {"wrong key", good, {{"Content-Type", "application/json"}, {"x-api-key", "tsk_wrongwrongwrongwrong"}},
       401, "invalid_api_key", ""},
  };
  http::HttpClient client;
  for (const BadRequest& bad : corpus) {
    SCOPED_TRACE(bad.what);
    ASSERT_OK_AND_ASSIGN(auto r, client.Send({.method = "POST",
                                              .url = suite_->gateway_url("/v1/events/eventbridge"),
                                              .body = bad.body,
                                              .headers = bad.headers}));
    EXPECT_EQ(r.status, bad.status) << r.body;
    auto err = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(err.is_object()) << r.body;
    EXPECT_EQ(err["error"]["code"], bad.code) << r.body;
    EXPECT_THAT(err["error"]["message"].get<std::string>(), HasSubstr(bad.message_part));
  }
  // Nothing was stored, and the gateway still serves.
  EXPECT_TRUE(NonMarkerIncidents().empty());
  incidents::v1::ListUnmatchedAlarmsRequest req;
  incidents::v1::ListUnmatchedAlarmsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(suite_->incidents().ListUnmatchedAlarms(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.alarms_size(), 0);
  ASSERT_OK_AND_ASSIGN(auto health, client.Send({.url = suite_->gateway_url("/healthz")}));
  EXPECT_EQ(health.status, 200);
  ASSERT_OK_AND_ASSIGN(auto r, suite_->PostEventBridge(good));
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace tocsin::e2e
