// Faults in what senders post: alarms whose fields are at and above every
// size limit (up to a 900 kB reason in a 1 MiB body), and a batch with a bad
// event in the middle. Long fields are never a reason to refuse an alarm
// (EventBridge does not retry a 4xx) nor to stop anything after it; a bad
// event refuses its whole batch, naming it, and stores nothing. Every other
// page is still delivered exactly once.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "libs/text/text.h"
#include "tests/fault_helpers.h"

namespace tocsin::e2e::faults {
namespace {

using ::testing::HasSubstr;

// The gateway's default limit on a request body.
constexpr size_t kMaxBodyBytes = 1 << 20;
// Incidents' limits on the copies of alarm fields (services/incidents/alarms.h).
constexpr size_t kMaxAlarmNameBytes = 256;
constexpr size_t kMaxEventIdBytes = 256;
constexpr size_t kMaxAlarmTextBytes = 16 * 1024;
constexpr size_t kMaxTitleBytes = 1024;
// Room for the visible "…[truncated N bytes]" marker after a cut.
constexpr size_t kMarkerRoom = 64;

// n bytes of text with two- and three-byte characters, so a cut at a byte
// limit falls inside a character more often than not.
std::string Text(size_t n) {
  std::string s;
  const std::string pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "b"};
  for (size_t i = 0; s.size() < n; ++i) {
    const std::string& p = pieces[i % 4];
    if (s.size() + p.size() > n) {
      s.append(n - s.size(), 'z');
    } else {
      s += p;
    }
  }
  return s;
}

// Alarm n with its name padded to name_bytes ("Fault<n>-…").
nlohmann::json NamedAlarm(int n, size_t name_bytes) {
  nlohmann::json j = FaultHarness::AlarmEvent(n);
  std::string name = absl::StrCat("Fault", n, "-");
  name += std::string(name_bytes > name.size() ? name_bytes - name.size() : 0, 'n');
  j["detail"]["alarmName"] = name;
  j["resources"][0] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name;
  return j;
}

// Pads the alarm's state reason with ASCII (never escaped in JSON) until
// the event's JSON is exactly `bytes` long.
void PadTo(nlohmann::json& event, size_t bytes) {
  const size_t now = event.dump().size();
  ASSERT_LE(now, bytes);
  event["detail"]["state"]["reason"] =
      event["detail"]["state"]["reason"].get<std::string>() + std::string(bytes - now, 'p');
  ASSERT_EQ(event.dump().size(), bytes);
}

class AlarmInputFaults : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(h_, FaultHarness::Start()); }
  void TearDown() override {
    if (HasFailure() && h_ != nullptr) std::cerr << h_->Logs();
  }

  // POSTs body once; the incident id of each result when answered 200.
  std::vector<std::string> Accepted(const std::string& body) {
    absl::StatusOr<http::HttpClientResponse> r = h_->PostBody(body);
    EXPECT_OK(r);
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, 200) << r->body.substr(0, 2000);
    std::vector<std::string> ids;
    auto j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (r->status != 200 || !j.is_object() || !j["results"].is_array()) return ids;
    for (const auto& result : j["results"]) {
      EXPECT_EQ(result.value("outcome", ""), "opened") << result.dump();
      ids.push_back(result.value("incidentId", ""));
    }
    return ids;
  }

  std::unique_ptr<FaultHarness> h_;
};

TEST_F(AlarmInputFaults, AlarmsAtAndAboveEverySizeLimitOpenIncidentsAndPageLikeAnyOther) {
  std::vector<std::string> incidents;
  auto add = [&](const std::vector<std::string>& ids) {
    incidents.insert(incidents.end(), ids.begin(), ids.end());
  };
  add(Accepted(FaultHarness::AlarmEvent(1).dump()));

  // At every limit: name, event id, reason and description exactly at it.
  nlohmann::json at = NamedAlarm(2, kMaxAlarmNameBytes);
  at["id"] = absl::StrCat("fault-event-2-", std::string(kMaxEventIdBytes - 14, 'i'));
  at["detail"]["state"]["reason"] = Text(kMaxAlarmTextBytes);
  at["detail"]["configuration"]["description"] = Text(kMaxAlarmTextBytes);
  add(Accepted(at.dump()));

  // Above every limit (but the event id, whose cut would merge events): a
  // 1000-byte name (and ARN), a 900 kB reason, 64 kB descriptions, in a body
  // just under 1 MiB.
  nlohmann::json above = NamedAlarm(3, 1000);
  above["detail"]["state"]["reason"] = Text(900 * 1024);
  above["detail"]["configuration"]["description"] = Text(64 * 1024);
  above["detail"]["previousState"]["reason"] = Text(32 * 1024);
  ASSERT_LT(above.dump().size(), kMaxBodyBytes);
  const std::vector<std::string> above_ids = Accepted(above.dump());
  add(above_ids);

  // A body of exactly the gateway's limit is taken; one byte more is
  // refused (413) and stores nothing.
  nlohmann::json full = NamedAlarm(4, 300);
  PadTo(full, kMaxBodyBytes);
  add(Accepted(full.dump()));
  nlohmann::json over = NamedAlarm(5, 300);
  PadTo(over, kMaxBodyBytes + 1);
  ASSERT_OK_AND_ASSIGN(http::HttpClientResponse refused, h_->PostBody(over.dump()));
  EXPECT_EQ(refused.status, 413) << refused.body;

  // Two long alarms in one batch.
  nlohmann::json batch = nlohmann::json::array();
  for (int n : {6, 7}) {
    nlohmann::json a = NamedAlarm(n, 400);
    a["detail"]["state"]["reason"] = Text(400 * 1024);
    batch.push_back(a);
  }
  add(Accepted(batch.dump()));

  // And alarms like any other after them.
  for (int n : {8, 9}) {
    ASSERT_OK_AND_ASSIGN(Posted p, h_->PostAlarm(n));
    incidents.push_back(p.incident_id);
  }
  ASSERT_EQ(incidents.size(), 8u);

  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  h_->ExpectEachPagedOnce(incidents);

  // What a responder reads is bounded and valid UTF-8.
  ASSERT_OK_AND_ASSIGN(auto listed, h_->suite().ListIncidents());
  EXPECT_EQ(listed.size(), incidents.size()) << "the refused alarm must not be stored";
  for (const auto& incident : listed) {
    SCOPED_TRACE(incident.id());
    EXPECT_LE(incident.title().size(), kMaxTitleBytes + kMarkerRoom);
    EXPECT_TRUE(text::IsValidUtf8(incident.title()));
    EXPECT_LE(incident.summary().size(), kMaxAlarmTextBytes + kMarkerRoom);
    EXPECT_TRUE(text::IsValidUtf8(incident.summary()));
  }
  // The alarm above every limit is kept whole, where a responder can read it.
  ASSERT_EQ(above_ids.size(), 1u);
  incidents::v1::ListIncidentAlarmsRequest req;
  req.set_incident_id(above_ids[0]);
  incidents::v1::ListIncidentAlarmsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status listed_alarms = h_->suite().incidents().ListIncidentAlarms(&ctx, req, &resp);
  ASSERT_TRUE(listed_alarms.ok()) << listed_alarms.error_message();
  ASSERT_EQ(resp.alarms_size(), 1);
  const std::string& kept = resp.alarms(0).alarm().reason();
  EXPECT_TRUE(kept == above["detail"]["state"]["reason"].get<std::string>())
      << "kept " << kept.size() << " bytes of the reason";
  EXPECT_EQ(resp.alarms(0).alarm().alarm_name(), above["detail"]["alarmName"].get<std::string>());

  for (const testing::ReceivedRequest& r : h_->hook().Requests()) {
    EXPECT_LT(r.body.size(), 64u * 1024) << "a webhook page of " << r.body.size() << " bytes";
    EXPECT_TRUE(text::IsValidUtf8(r.body));
  }
  for (const testing::SmtpMessage& m : h_->smtp().Messages()) {
    EXPECT_LT(m.raw.size(), 128u * 1024) << "an email page of " << m.raw.size() << " bytes";
  }
  for (const std::string& service : {"gateway", "incidents", "escalation", "paging"}) {
    EXPECT_EQ(h_->Readyz(service), 200) << service;
  }
  h_->ExpectNoDeadLetters();
}

TEST_F(AlarmInputFaults, ABatchWithABadEventInTheMiddleStoresNothingThenTheGoodOnesPageOnce) {
  // The middle event's id is longer than any idempotency key may be: the
  // gateway parses it, the incidents service's rules refuse it.
  nlohmann::json bad = FaultHarness::AlarmEvent(2);
  bad["id"] = std::string(300, 'x');
  nlohmann::json batch = {FaultHarness::AlarmEvent(1), bad, FaultHarness::AlarmEvent(3)};
  ASSERT_OK_AND_ASSIGN(http::HttpClientResponse refused, h_->PostBody(batch.dump()));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("event[1]"));

  // Nothing of it was stored, so nothing pages.
  const absl::Time quiet_until = absl::Now() + absl::Seconds(3);
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() >= quiet_until; }, absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(auto listed, h_->suite().ListIncidents());
  EXPECT_TRUE(listed.empty()) << listed.size() << " incidents from a refused batch";
  EXPECT_TRUE(h_->smtp().Messages().empty());
  EXPECT_TRUE(h_->hook().Requests().empty());

  // The sender drops the bad event and posts the good ones alone: each is
  // committed, answered and paged once; posting them again changes nothing.
  const std::string good =
      nlohmann::json({FaultHarness::AlarmEvent(1), FaultHarness::AlarmEvent(3)}).dump();
  std::vector<std::string> incidents = Accepted(good);
  ASSERT_EQ(incidents.size(), 2u);
  ASSERT_OK_AND_ASSIGN(http::HttpClientResponse again, h_->PostBody(good));
  ASSERT_EQ(again.status, 200) << again.body;
  auto j = nlohmann::json::parse(again.body);
  ASSERT_EQ(j["results"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(j["results"][i]["incidentId"], incidents[i]);
    EXPECT_EQ(j["results"][i]["duplicate"], true);
  }
  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  h_->ExpectEachPagedOnce(incidents);
  h_->ExpectNoDeadLetters();
}

}  // namespace
}  // namespace tocsin::e2e::faults
