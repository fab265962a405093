// SMS and voice end to end, with every real service binary and a local
// stand-in for Twilio's API: a voice page is acknowledged by pressing 1 on
// the call (a signed Twilio callback), which stops the engagement, and a
// second press is told who was first; a Twilio that answers 500 to every
// SMS is marked degraded and the person's next channel is paged at once,
// long before the plan's next stage, with the fall-through on the timeline.
#include <fstream>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/http/http_client.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "libs/http/url_encoded.h"
#include "services/paging/twilio_notifier.h"
#include "services/paging/twilio_signature.h"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::HasSubstr;
namespace ev1 = ::tocsin::escalation::v1;

class PhoneE2E : public ::testing::Test {
 protected:
  // Twilio's API played by a receiver of `path` under /2010-04-01/Accounts/ACe2e.
  void Start(const std::string& path, std::vector<std::string> paging_flags = {}) {
    ASSERT_OK_AND_ASSIGN(twilio_,
                         testing::HttpReceiver::Start("/2010-04-01/Accounts/ACe2e/" + path));
    const std::string dir = testing::MakeTempDir("phone");
    const std::string token = dir + "/twilio-token";
    std::ofstream(token) << "e2e-token\n";
    SuiteOptions options;
    options.paging_path = true;
    options.env["paging"] = {
        {"TOCSIN_TWILIO_BASE_URL", absl::StrCat("http://127.0.0.1:", twilio_->port())},
        {"TOCSIN_TWILIO_ACCOUNT_SID", "ACe2e"},
        {"TOCSIN_TWILIO_AUTH_TOKEN_FILE", token},
        {"TOCSIN_TWILIO_FROM", "+15005550006"}};
    paging_flags.push_back("--twilio_timeout_seconds=2");
    options.flags["paging"] = paging_flags;
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start(options));
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }
  void Apply(const ev1::Contact& contact) {
    ev1::ApplyRequest request;
    *request.add_contacts() = contact;
    ev1::ApplyResponse applied;
    grpc::Status s = suite_->contacts().Apply(Ctx().get(), request, &applied);
    ASSERT_TRUE(s.ok()) << s.error_message();
    incidents::v1::ResponsePlan plan;
    plan.set_name("cpu");
    plan.mutable_match()->set_alarm_name_pattern("ServerCpu*");
    plan.mutable_incident_template()->set_title("{alarm_name} is {state}");
    plan.add_engagements(contact.name());
    ASSERT_OK(suite_->CreatePlan(plan));
  }
  std::string Open(const std::string& id) {
    auto posted = suite_->PostEventBridge(AlarmEvent(id));
    if (!posted.ok() || posted->status != 200) return "";
    return nlohmann::json::parse(posted->body)["results"][0].value("incidentId", "");
  }
  std::string TimelineText(const std::string& id) {
    std::string text;
    auto t = suite_->Timeline(id);
    if (t.ok()) {
      for (const auto& e : *t) absl::StrAppend(&text, e.type(), ": ", e.message(), "\n");
    }
    return text;
  }
  ev1::EngagementState State(const std::string& incident, const std::string& contact) {
    ev1::ListEngagementsRequest list;
    list.set_incident_id(incident);
    ev1::ListEngagementsResponse response;
    if (!suite_->engagements().ListEngagements(Ctx().get(), list, &response).ok()) {
      return ev1::ENGAGEMENT_STATE_UNSPECIFIED;
    }
    for (const auto& e : response.engagements()) {
      if (e.contact() == contact) return e.state();
    }
    return ev1::ENGAGEMENT_STATE_UNSPECIFIED;
  }

  std::unique_ptr<testing::HttpReceiver> twilio_;
  std::unique_ptr<Suite> suite_;
};

TEST_F(PhoneE2E, AVoicePageIsAcknowledgedByPressingOne) {
  Start("Calls.json");
  ev1::Contact alice;
  alice.set_name("alice");
  auto* voice = alice.add_channels();
  voice->set_name("phone");
  voice->mutable_voice()->set_number("+81312345678");
  Apply(alice);
  const std::string incident = Open("voice-1");
  ASSERT_FALSE(incident.empty());
  ASSERT_OK(twilio_->WaitForCount(1, absl::Seconds(30)));
  // The call speaks the incident and gathers one key; its action is the
  // paging service's voice callback for this page.
  std::map<std::string, std::string> call;
  for (auto& [k, v] : http::ParseUrlEncoded(twilio_->Requests()[0].body)) call[k] = v;
  EXPECT_EQ(call["To"], "+81312345678");
  std::smatch action;
  ASSERT_TRUE(std::regex_search(call["Twiml"], action, std::regex("action=\"([^\"]+)\"")))
      << call["Twiml"];
  std::string url = std::regex_replace(action[1].str(), std::regex("&amp;"), "&");
  ASSERT_THAT(url, HasSubstr(paging::kTwilioVoicePath));

  auto press = [&](const std::string& digits) {
    const std::vector<std::pair<std::string, std::string>> params = {
        {"CallSid", "CAe2e"}, {"Digits", digits}, {"From", "+15005550006"},
        {"To", "+81312345678"}};
    http::HttpClient client;
    return client.Send({.method = "POST",
                        .url = url,
                        .body = paging::FormEncode(params),
                        .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                                    {"X-Twilio-Signature",
                                     paging::TwilioSignature("e2e-token", url, params)}}});
  };
  ASSERT_OK_AND_ASSIGN(auto pressed, press("1"));
  EXPECT_EQ(pressed.status, 200) << pressed.body;
  EXPECT_THAT(pressed.body, HasSubstr("Acknowledged"));
  ASSERT_OK(testing::WaitFor(
      [&] { return State(incident, "alice") == ev1::ENGAGEMENT_STATE_ACKNOWLEDGED; },
      absl::Seconds(30)));
  ASSERT_OK(testing::WaitFor(
      [&] { return TimelineText(incident).find("voice:+81312345678") != std::string::npos; },
      absl::Seconds(30)));
  ASSERT_OK_AND_ASSIGN(auto again, press("1"));
  EXPECT_EQ(again.status, 200);
  EXPECT_THAT(again.body, HasSubstr("already acknowledged by voice:+81312345678"));
}

TEST_F(PhoneE2E, ADegradedProviderFallsThroughToTheNextChannelAtOnce) {
  Start("Messages.json", {"--retry_base_seconds=1", "--retry_cap_seconds=2"});
  twilio_->SetDefaultStatus(500);
  ASSERT_OK_AND_ASSIGN(auto hook, testing::HttpReceiver::Start("/alice"));
  ev1::Contact alice;
  alice.set_name("alice");
  auto* sms = alice.add_channels();
  sms->set_name("phone");
  sms->mutable_sms()->set_number("+81312345678");
  auto* webhook = alice.add_channels();
  webhook->set_name("hook");
  webhook->mutable_webhook()->set_url(hook->url());
  // SMS first; the webhook only after 30 minutes.
  auto* first = alice.mutable_personal_plan()->add_stages();
  first->set_duration_in_minutes(30);
  first->add_targets()->set_channel("phone");
  auto* second = alice.mutable_personal_plan()->add_stages();
  second->set_duration_in_minutes(0);
  second->add_targets()->set_channel("hook");
  Apply(alice);
  const std::string incident = Open("fall-1");
  ASSERT_FALSE(incident.empty());
  // Three failures in a row: Twilio is degraded, the webhook is paged now.
  ASSERT_OK(hook->WaitForCount(1, absl::Seconds(60)));
  EXPECT_GE(twilio_->Requests().size(), 3u);
  auto page = nlohmann::json::parse(hook->Requests()[0].body);
  EXPECT_EQ(page["channel"], "hook");
  EXPECT_EQ(page["incidentId"], incident);
  ASSERT_OK(testing::WaitFor(
      [&] { return TimelineText(incident).find("degraded") != std::string::npos; },
      absl::Seconds(30)));
  EXPECT_THAT(TimelineText(incident), HasSubstr("at once"));
  // /readyz tells, and the service stays ready (email and webhooks work).
  http::HttpClient client;
  ASSERT_OK_AND_ASSIGN(auto ready, client.Send({.url = suite_->paging_url("/readyz")}));
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_THAT(ready.body, HasSubstr("twilio"));
}

}  // namespace
}  // namespace tocsin::e2e
