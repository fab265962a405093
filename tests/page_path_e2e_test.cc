// The whole path with every real service binary, a real nats-server and real
// SMTP and HTTP receivers: alarm in → incident → email and webhook pages →
// acknowledgement through the CLI → no further page → resolve → runbook and
// postmortem saw it; the timeline shows each step once.
#include <fstream>
#include <map>
#include <set>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "libs/testing/smtp_receiver.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::HasSubstr;

std::string AlarmEvent(const std::string& id, const std::string& state = "ALARM") {
  auto j = nlohmann::json::parse(ReadFixture("eventbridge/single-metric-alarm.json"));
  j["id"] = id;
  j["detail"]["state"]["value"] = state;
  return j.dump();
}

class PagePathE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(smtp_, testing::SmtpReceiver::Start());
    ASSERT_OK_AND_ASSIGN(webhook_, testing::HttpReceiver::Start("/hook"));
    ASSERT_OK_AND_ASSIGN(backup_, testing::HttpReceiver::Start("/backup"));
    SuiteOptions options;
    options.paging_path = true;
    options.smtp_url = smtp_->url();
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start(options));
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }

  // A plan for the fixture's alarm and a contact paged by email at once,
  // by webhook after `webhook_delay`, then by a backup webhook.
  void Configure(const std::string& webhook_delay, const std::string& backup_delay) {
    const std::string manifest = absl::StrCat(R"(
kind: ResponsePlan
name: cpu
match: {alarmNamePattern: "ServerCpu*"}
incidentTemplate: {title: "{alarm_name} is {state}", impact: 1}
engagements: [alice]
resolveOnOk: true
---
kind: Contact
name: alice
displayName: Alice
channels:
  - {name: work-email, email: {address: alice@example.com}}
  - {name: phone-hook, webhook: {url: ")", webhook_->url(), R"("}, delay: ")", webhook_delay, R"("}
  - {name: backup-hook, webhook: {url: ")", backup_->url(), R"("}, delay: ")", backup_delay, R"("}
)");
    const std::string path = suite_->dir() + "/manifest.yaml";
    std::ofstream(path) << manifest;
    ASSERT_OK_AND_ASSIGN(CliResult r, suite_->RunCli({"apply", "-f", path}));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  std::string PostAlarm(const std::string& id, const std::string& state = "ALARM") {
    auto r = suite_->PostEventBridge(AlarmEvent(id, state));
    EXPECT_OK(r);
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return nlohmann::json::parse(r->body)["results"][0].value("incidentId", "");
  }

  std::vector<incidents::v1::TimelineEvent> Timeline(const std::string& id) {
    auto t = suite_->Timeline(id);
    EXPECT_OK(t);
    return t.ok() ? *t : std::vector<incidents::v1::TimelineEvent>{};
  }

  std::map<std::string, int> TimelineCounts(const std::string& id) {
    std::map<std::string, int> n;
    for (const auto& e : Timeline(id)) ++n[e.type()];
    return n;
  }

  absl::Status WaitForTimeline(const std::string& id, const std::string& type, int count) {
    return testing::WaitFor([&] { return TimelineCounts(id)[type] >= count; },
                            absl::Seconds(30));
  }

  std::unique_ptr<testing::SmtpReceiver> smtp_;
  std::unique_ptr<testing::HttpReceiver> webhook_;
  std::unique_ptr<testing::HttpReceiver> backup_;
  std::unique_ptr<Suite> suite_;
};

TEST_F(PagePathE2E, AlarmPagesEmailThenWebhookAckStopsResolveReachesEveryService) {
  Configure("1s", "3s");
  const std::string incident = PostAlarm("path-1");
  ASSERT_FALSE(incident.empty());

  // Stage 1: the email, at once. Stage 2: the webhook, a second later.
  ASSERT_OK(smtp_->WaitForCount(1, absl::Seconds(30)));
  ASSERT_OK(webhook_->WaitForCount(1, absl::Seconds(30)));
  auto mail = smtp_->Messages()[0];
  EXPECT_THAT(mail.raw, HasSubstr("alice@example.com"));
  EXPECT_THAT(mail.raw, HasSubstr("ServerCpuTooHigh is ALARM"));
  auto hook = nlohmann::json::parse(webhook_->Requests()[0].body);
  EXPECT_EQ(hook["incidentId"], incident);
  EXPECT_EQ(hook["contact"], "alice");
  const std::string page_id = hook["pageId"];
  const std::string code = hook["acceptCode"];

  // Bad acknowledgements change nothing.
  ASSERT_OK_AND_ASSIGN(CliResult bad, suite_->RunCli({"pages", "ack", page_id, "--code", "000"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("PERMISSION_DENIED"));
  ASSERT_OK_AND_ASSIGN(bad, suite_->RunCli({"pages", "ack", "pg-nope", "--code", code}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("NOT_FOUND"));

  // The person acknowledges with the CLI: the engagement stops.
  ASSERT_OK_AND_ASSIGN(CliResult ack, suite_->RunCli({"pages", "ack", page_id, "--code", code}));
  ASSERT_EQ(ack.exit_code, 0) << ack.output;
  ASSERT_OK(WaitForTimeline(incident, "engagement.stopped", 1));
  escalation::v1::ListEngagementsRequest list;
  list.set_incident_id(incident);
  escalation::v1::ListEngagementsResponse engagements;
  ASSERT_TRUE(suite_->engagements().ListEngagements(Ctx().get(), list, &engagements).ok());
  ASSERT_EQ(engagements.engagements_size(), 1);
  EXPECT_EQ(engagements.engagements(0).state(), escalation::v1::ENGAGEMENT_STATE_ACKNOWLEDGED);

  // No further page: the backup channel's time passes and nothing arrives.
  const absl::Time backup_due = absl::Now() + absl::Seconds(3);
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() > backup_due; }, absl::Seconds(10)));
  EXPECT_EQ(backup_->Requests().size(), 0u);
  EXPECT_EQ(smtp_->Messages().size(), 1u);
  EXPECT_EQ(webhook_->Requests().size(), 1u);

  // OK resolves; runbook and postmortem see incident.opened and .resolved.
  EXPECT_EQ(PostAlarm("path-2", "OK"), incident);
  for (auto* svc : {"runbook", "postmortem"}) {
    SCOPED_TRACE(svc);
    ASSERT_OK(testing::WaitFor(
        [&] {
          runbook::v1::ListReceivedEventsRequest rq;
          rq.set_incident_id(incident);
          runbook::v1::ListReceivedEventsResponse rr;
          postmortem::v1::ListReceivedEventsRequest pq;
          pq.set_incident_id(incident);
          postmortem::v1::ListReceivedEventsResponse pr;
          std::vector<std::string> types;
          if (std::string(svc) == "runbook") {
            if (!suite_->runbook().ListReceivedEvents(Ctx().get(), rq, &rr).ok()) return false;
            for (const auto& e : rr.events()) types.push_back(e.type());
          } else {
            if (!suite_->postmortem().ListReceivedEvents(Ctx().get(), pq, &pr).ok()) return false;
            for (const auto& e : pr.events()) types.push_back(e.type());
          }
          return types == std::vector<std::string>{"incident.opened", "incident.resolved"};
        },
        absl::Seconds(30)));
  }

  // The timeline shows each step once.
  ASSERT_OK(WaitForTimeline(incident, "incident.resolved", 1));
  auto counts = TimelineCounts(incident);
  EXPECT_EQ(counts["incident.opened"], 1);
  EXPECT_EQ(counts["engagement.started"], 1);
  EXPECT_EQ(counts["engagement.stage_started"], 2);
  EXPECT_EQ(counts["page.delivered"], 2);
  EXPECT_EQ(counts["page.acknowledged"], 1);
  EXPECT_EQ(counts["engagement.stopped"], 1);
  EXPECT_EQ(counts["incident.resolved"], 1);
  std::set<std::string> sources;
  for (const auto& e : Timeline(incident)) {
    if (!e.source_event_id().empty()) {
      EXPECT_TRUE(sources.insert(e.type() + "/" + e.source_event_id()).second) << e.message();
    }
  }
}

TEST_F(PagePathE2E, SameEventHundredTimesPagesEachChannelOnce) {
  Configure("1s", "1s");
  std::string incident;
  for (int i = 0; i < 100; ++i) {
    std::string id = PostAlarm("dup-1");
    if (i == 0) incident = id;
    ASSERT_EQ(id, incident);
  }
  ASSERT_OK(backup_->WaitForCount(1, absl::Seconds(30)));
  ASSERT_OK(WaitForTimeline(incident, "engagement.stopped", 1));  // all channels paged
  ASSERT_OK_AND_ASSIGN(auto incidents, suite_->ListIncidents());
  EXPECT_EQ(incidents.size(), 1u);
  EXPECT_EQ(smtp_->Messages().size(), 1u);
  EXPECT_EQ(webhook_->Requests().size(), 1u);
  EXPECT_EQ(backup_->Requests().size(), 1u);
}

TEST_F(PagePathE2E, AContactWithoutChannelsIsRefusedAndNothingIsApplied) {
  const std::string path = suite_->dir() + "/bad.yaml";
  std::ofstream(path) << "kind: Contact\nname: bob\n";
  ASSERT_OK_AND_ASSIGN(CliResult r, suite_->RunCli({"apply", "-f", path}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("channels"));
  escalation::v1::ListContactsResponse contacts;
  ASSERT_TRUE(suite_->contacts().ListContacts(Ctx().get(), {}, &contacts).ok());
  EXPECT_EQ(contacts.contacts_size(), 0);
}

// A crash of escalation or paging mid-engagement: after the restart the page
// is delivered exactly once and the next stage still fires.
class PageCrashE2E : public PagePathE2E, public ::testing::WithParamInterface<std::string> {};

TEST_P(PageCrashE2E, KillNineMidEngagementDeliversOnceAndKeepsTheSchedule) {
  const std::string victim = GetParam();
  Configure("3s", "3s");
  const std::string incident = PostAlarm("crash-1");
  ASSERT_OK(smtp_->WaitForCount(1, absl::Seconds(30)));
  // The first page is delivered and recorded; the engagement waits for stage 2.
  ASSERT_OK(WaitForTimeline(incident, "page.delivered", 1));
  // Stage 2 is due in three seconds; kill the service now and bring it back.
  const absl::Time stage2_due = absl::Now() + absl::Seconds(3);
  suite_->KillService(victim);
  if (victim == "paging") {
    // While paging is down the next stage comes due and waits on the bus.
    ASSERT_OK(WaitForTimeline(incident, "engagement.stage_started", 2));
  }
  ASSERT_OK(suite_->StartService(victim));
  // A message fetched by the killed process comes back after the consumer's
  // ack wait (30 s), so allow for that.
  ASSERT_OK(webhook_->WaitForCount(1, absl::Seconds(60)));
  ASSERT_OK(backup_->WaitForCount(1, absl::Seconds(60)));
  ASSERT_OK(WaitForTimeline(incident, "engagement.stopped", 1));
  // The last delivery reaches the timeline after the engagement stopped
  // (which happens when the last channel is paged).
  ASSERT_OK(WaitForTimeline(incident, "page.delivered", 3));
  EXPECT_GE(absl::Now(), stage2_due);
  EXPECT_EQ(smtp_->Messages().size(), 1u);
  EXPECT_EQ(webhook_->Requests().size(), 1u);
  EXPECT_EQ(backup_->Requests().size(), 1u);
  auto counts = TimelineCounts(incident);
  EXPECT_EQ(counts["engagement.stage_started"], 3);
  EXPECT_EQ(counts["page.delivered"], 3);
}

INSTANTIATE_TEST_SUITE_P(Services, PageCrashE2E, ::testing::Values("escalation", "paging"));

}  // namespace
}  // namespace tocsin::e2e
