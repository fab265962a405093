// Crash safety of the alarm path: the incidents service is killed with
// SIGKILL while senders post 200 distinct alarms and retry on any error, as
// EventBridge does. After a restart, every alarm must be accounted for, no
// incident doubled, and every incident.opened published exactly once.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

constexpr int kAlarms = 200;
constexpr int kSenders = 4;

std::string AlarmEvent(int n) {
  auto j = nlohmann::json::parse(ReadFixture("eventbridge/single-metric-alarm.json"));
  const std::string name = absl::StrCat("CrashAlarm", n);
  j["id"] = absl::StrCat("crash-event-", n);
  j["detail"]["alarmName"] = name;
  j["resources"][0] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name;
  return j.dump();
}

TEST(CrashE2E, KillingIncidentsMidStreamLosesAndDoublesNothing) {
  ASSERT_OK_AND_ASSIGN(auto suite, Suite::Start());
  incidents::v1::ResponsePlan plan;
  plan.set_name("all");
  plan.mutable_incident_template()->set_impact(3);
  ASSERT_OK(suite->CreatePlan(plan));
  ASSERT_OK_AND_ASSIGN(auto observer,
                       BusObserver::Start(suite->nats_url(), "crash", {"incident.opened"}));

  // Each sender posts its share and retries every failure (a refused
  // connection, a 5xx) until the gateway answers 200.
  std::atomic<int> committed{0};
  std::atomic<int> retries{0};
  std::vector<std::string> incident_of(kAlarms);
  std::vector<std::thread> senders;
  const absl::Time give_up = absl::Now() + absl::Minutes(3);
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      http::HttpClient client;
      for (int n = s; n < kAlarms; n += kSenders) {
        while (absl::Now() < give_up) {
          auto r = client.Send({.method = "POST",
                                .url = suite->gateway_url("/v1/events/eventbridge"),
                                .body = AlarmEvent(n),
                                .headers = {{"Content-Type", "application/json"},
                                            {"x-api-key", suite->api_key()}},
                                .timeout = absl::Seconds(15)});
          if (r.ok() && r->status == 200) {
            incident_of[n] = nlohmann::json::parse(r->body)["results"][0]["incidentId"];
            ++committed;
            break;
          }
          ++retries;
          absl::SleepFor(absl::Milliseconds(50));  // a sender's retry back-off
        }
      }
    });
  }

  // Kill the incidents service once a quarter of the alarms are in, while
  // the rest are in flight; start it again on the same database.
  ASSERT_OK(testing::WaitFor([&] { return committed >= kAlarms / 4; }, absl::Minutes(1)));
  suite->KillIncidents();
  const int at_kill = committed;
  ASSERT_OK(suite->StartIncidents());
  for (auto& t : senders) t.join();

  ASSERT_EQ(committed, kAlarms) << suite->Logs();
  EXPECT_LT(at_kill, kAlarms) << "the kill came after every alarm was in; the test proved little";
  std::cerr << "alarms committed before the kill: " << at_kill << ", retries: " << retries
            << "\n";

  // Every alarm is accounted for: 200 distinct incidents, one per alarm ARN.
  ASSERT_OK_AND_ASSIGN(auto incidents, suite->ListIncidents());
  EXPECT_EQ(incidents.size(), static_cast<size_t>(kAlarms));
  std::set<std::string> dedupe, ids;
  for (const auto& i : incidents) {
    dedupe.insert(i.dedupe_string());
    ids.insert(i.id());
  }
  EXPECT_EQ(dedupe.size(), static_cast<size_t>(kAlarms));
  for (int n = 0; n < kAlarms; ++n) EXPECT_TRUE(ids.count(incident_of[n])) << n;

  // Every incident.opened reaches the bus, exactly once.
  ASSERT_OK(observer->WaitForCount("incident.opened", kAlarms, absl::Seconds(60)));
  std::map<std::string, int> opened;
  std::set<std::string> event_ids;
  for (const auto& e : observer->Received()) {
    ++opened[e.incident_id()];
    event_ids.insert(e.event_id());
  }
  EXPECT_EQ(opened.size(), static_cast<size_t>(kAlarms));
  for (const auto& [id, count] : opened) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(event_ids.size(), observer->Received().size());
}

}  // namespace
}  // namespace tocsin::e2e
