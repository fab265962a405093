// Chat end to end, with every real service binary and real HTTP receivers
// standing in for Slack, Teams and Chime: every update of one incident is
// posted once and in order to each; Slack app mode threads, edits the first
// message and takes a signed Acknowledge press that stops the engagement
// (a forged one changes nothing); an alarm storm pages the person once and
// folds the alarms into a few posts; paging killed with SIGKILL while a post
// is in flight posts it again with the same Idempotency-Key, and nothing else
// twice.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/http/http_server.h"
#include "libs/testing/temp_dir.h"
#include "services/paging/twilio_notifier.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "services/paging/slack_signature.h"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace ev1 = ::tocsin::escalation::v1;
namespace pv1 = ::tocsin::paging::v1;

// A stand-in for Slack's Web API: chat.postMessage answers a ts of its own,
// chat.update ok; every call is recorded.
class FakeSlackApi {
 public:
  struct Call {
    std::string method;
    nlohmann::json body;
  };
  static std::unique_ptr<FakeSlackApi> Start() {
    auto api = std::unique_ptr<FakeSlackApi>(new FakeSlackApi());
    auto server = http::HttpServer::Start({});
    if (!server.ok()) return nullptr;
    api->server_ = *std::move(server);
    for (const std::string method : {"chat.postMessage", "chat.update"}) {
      api->server_->Handle("POST", "/api/" + method, [a = api.get(), method](
                                                         const http::HttpRequest& r) {
        absl::MutexLock lock(&a->mu_);
        a->calls_.push_back({method, nlohmann::json::parse(r.body, nullptr, false)});
        http::HttpResponse response;
        response.body = nlohmann::json{{"ok", true},
                                       {"channel", "C0TEST"},
                                       {"ts", absl::StrCat("1700000000.", 100 + a->calls_.size())}}
                            .dump();
        return response;
      });
    }
    return api;
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_->port(), "/api"); }
  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  FakeSlackApi() = default;
  absl::Mutex mu_;
  std::vector<Call> calls_;
  std::unique_ptr<http::HttpServer> server_;
};

class ChatE2E : public ::testing::Test {
 protected:
  void Start(SuiteOptions options = {}) {
    ASSERT_OK_AND_ASSIGN(alice_, testing::HttpReceiver::Start("/alice"));
    options.paging_path = true;
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start(options));
    ev1::ApplyRequest request;
    ev1::Contact* alice = request.add_contacts();
    alice->set_name("alice");
    auto* ch = alice->add_channels();
    ch->set_name("hook");
    ch->mutable_webhook()->set_url(alice_->url());
    ev1::ApplyResponse applied;
    grpc::Status s = suite_->contacts().Apply(Ctx().get(), request, &applied);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }

  void PutChannel(const pv1::ChatChannel& channel) {
    pv1::PutChatChannelRequest put;
    *put.mutable_channel() = channel;
    pv1::ChatChannel stored;
    grpc::Status s = suite_->chat().PutChatChannel(Ctx().get(), put, &stored);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void Webhook(const std::string& name, pv1::ChatChannel::PlatformCase platform,
               const std::string& url) {
    pv1::ChatChannel c;
    c.set_name(name);
    if (platform == pv1::ChatChannel::kSlack) c.mutable_slack()->set_webhook_url(url);
    if (platform == pv1::ChatChannel::kTeams) c.mutable_teams()->set_webhook_url(url);
    if (platform == pv1::ChatChannel::kChime) c.mutable_chime()->set_webhook_url(url);
    PutChannel(c);
  }
  void Plan(const std::vector<std::string>& channels) {
    incidents::v1::ResponsePlan plan;
    plan.set_name("cpu");
    plan.mutable_match()->set_alarm_name_pattern("ServerCpu*");
    plan.mutable_incident_template()->set_title("{alarm_name} is {state}");
    plan.mutable_incident_template()->set_impact(3);
    plan.add_engagements("alice");
    for (const std::string& c : channels) plan.add_chat_channels(c);
    ASSERT_OK(suite_->CreatePlan(plan));
  }
  std::string Open(const std::string& event_id) {
    auto posted = suite_->PostEventBridge(AlarmEvent(event_id));
    if (!posted.ok() || posted->status != 200) return "";
    return nlohmann::json::parse(posted->body)["results"][0].value("incidentId", "");
  }
  int Count(const std::string& id, const std::string& type) {
    auto t = suite_->Timeline(id);
    int n = 0;
    if (t.ok()) {
      for (const auto& e : *t) n += e.type() == type;
    }
    return n;
  }
  // Which of markers each request's body carries (the first that matches),
  // in the order they arrived.
  static std::vector<std::string> Kinds(const std::vector<testing::ReceivedRequest>& requests,
                                        const std::vector<std::string>& markers) {
    std::vector<std::string> out;
    for (const auto& r : requests) {
      std::string kind = "?";
      for (const std::string& m : markers) {
        if (r.body.find(m) != std::string::npos) {
          kind = m;
          break;
        }
      }
      out.push_back(kind);
    }
    return out;
  }

  std::unique_ptr<testing::HttpReceiver> alice_;
  std::unique_ptr<Suite> suite_;
};

TEST_F(ChatE2E, EveryUpdateOnceAndInOrderInSlackTeamsAndChime) {
  Start();
  ASSERT_OK_AND_ASSIGN(auto slack, testing::HttpReceiver::Start("/services/T0/B0/SECRET"));
  ASSERT_OK_AND_ASSIGN(auto teams, testing::HttpReceiver::Start("/workflows/teams"));
  ASSERT_OK_AND_ASSIGN(auto chime, testing::HttpReceiver::Start("/incomingwebhooks/chime"));
  teams->SetDefaultStatus(202);
  Webhook("ops-slack", pv1::ChatChannel::kSlack, slack->url());
  Webhook("ops-teams", pv1::ChatChannel::kTeams, teams->url());
  Webhook("ops-chime", pv1::ChatChannel::kChime, chime->url());
  // The first Slack post meets a 503 and is retried: order still holds.
  slack->FailNext(1, 503);
  Plan({"ops-slack", "ops-teams", "ops-chime"});

  const std::string incident = Open("chat-1");
  ASSERT_FALSE(incident.empty());
  ASSERT_OK(alice_->WaitForCount(1, absl::Seconds(30)));
  // alice acknowledges from her page's link.
  auto page = nlohmann::json::parse(alice_->Requests()[0].body);
  pv1::AcceptPageRequest accept;
  accept.set_page_id(page["pageId"].get<std::string>());
  accept.set_accept_code(page["acceptCode"].get<std::string>());
  accept.set_author("cli:alice");
  pv1::Page accepted;
  ASSERT_TRUE(suite_->paging().AcceptPage(Ctx().get(), accept, &accepted).ok());
  ASSERT_OK(testing::WaitFor([&] { return Count(incident, "page.acknowledged") == 1; },
                             absl::Seconds(30)));
  // Impact raised, a note, resolved.
  incidents::v1::UpdateIncidentRequest update;
  update.set_id(incident);
  update.set_impact(1);
  update.set_author("cli:bob");
  incidents::v1::Incident updated;
  ASSERT_TRUE(suite_->incidents().UpdateIncident(Ctx().get(), update, &updated).ok());
  incidents::v1::AddTimelineEventRequest note;
  note.set_incident_id(incident);
  note.set_type("note");
  note.set_message("Rolled back the deploy");
  note.set_author("cli:bob");
  incidents::v1::TimelineEvent added;
  ASSERT_TRUE(suite_->incidents().AddTimelineEvent(Ctx().get(), note, &added).ok());
  incidents::v1::ResolveIncidentRequest resolve;
  resolve.set_id(incident);
  resolve.set_author("cli:bob");
  incidents::v1::Incident resolved;
  ASSERT_TRUE(suite_->incidents().ResolveIncident(Ctx().get(), resolve, &resolved).ok());

  const std::vector<std::string> markers = {"Incident opened", "Engaging alice",
                                            "Acknowledged by cli:alice", "Changed impact",
                                            "Rolled back the deploy", "Incident resolved"};
  ASSERT_OK(slack->WaitForCount(7, absl::Seconds(60)));  // 6 and the retried first
  ASSERT_OK(teams->WaitForCount(6, absl::Seconds(30)));
  ASSERT_OK(chime->WaitForCount(6, absl::Seconds(30)));
  // Nothing more comes.
  absl::SleepFor(absl::Seconds(2));
  std::vector<testing::ReceivedRequest> slack_posts = slack->Requests();
  EXPECT_EQ(slack_posts[0].answered, 503);
  EXPECT_EQ(slack_posts[0].Header("idempotency-key"), slack_posts[1].Header("idempotency-key"));
  slack_posts.erase(slack_posts.begin());
  EXPECT_EQ(Kinds(slack_posts, markers), markers);
  EXPECT_EQ(Kinds(teams->Requests(), markers), markers);
  EXPECT_EQ(Kinds(chime->Requests(), markers), markers);
  // The exact formats: Slack text + blocks, a Teams Adaptive Card, Chime's
  // Content with @All once the impact is 1.
  auto slack_body = nlohmann::json::parse(slack_posts[0].body);
  EXPECT_TRUE(slack_body.contains("text") && slack_body["blocks"].is_array());
  auto card = nlohmann::json::parse(teams->Requests()[0].body);
  EXPECT_EQ(card["type"], "message");
  EXPECT_EQ(card["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_EQ(card["attachments"][0]["content"]["type"], "AdaptiveCard");
  auto chime_last = nlohmann::json::parse(chime->Requests().back().body);
  EXPECT_THAT(chime_last["Content"].get<std::string>(), ::testing::StartsWith("@All "));
  auto chime_first = nlohmann::json::parse(chime->Requests()[0].body);
  EXPECT_THAT(chime_first["Content"].get<std::string>(), ::testing::Not(HasSubstr("@All")));

  // `tocsin chat test` posts now and says what the platform answered.
  pv1::TestChatChannelRequest test;
  test.set_name("ops-chime");
  pv1::TestChatChannelResponse answer;
  ASSERT_TRUE(suite_->chat().TestChatChannel(Ctx().get(), test, &answer).ok());
  EXPECT_THAT(answer.answer(), HasSubstr("200"));
  EXPECT_EQ(chime->Requests().size(), 7u);
  // The webhook URL's secret never comes back.
  pv1::GetChatChannelRequest get;
  get.set_name("ops-slack");
  pv1::ChatChannel shown;
  ASSERT_TRUE(suite_->chat().GetChatChannel(Ctx().get(), get, &shown).ok());
  EXPECT_THAT(shown.slack().webhook_url(), ::testing::Not(HasSubstr("SECRET")));
}

TEST_F(ChatE2E, SlackAppThreadsEditsAndItsAcknowledgeButtonStopsTheEngagement) {
  auto api = FakeSlackApi::Start();
  ASSERT_NE(api, nullptr);
  ASSERT_OK_AND_ASSIGN(auto replies, testing::HttpReceiver::Start("/actions/reply"));
  SuiteOptions options;
  const std::string dir = testing::MakeTempDir("chat");
  const std::string token_file = dir + "/slack-token";
  const std::string secret_file = dir + "/slack-signing-secret";
  std::ofstream(token_file) << "xoxb-test-token\n";
  std::ofstream(secret_file) << "8f742231b10e8888abcd99yyyzzz85a5\n";
  options.flags["paging"] = {"--slack_api_url=" + api->url(),
                             "--slack_signing_secret_file=" + secret_file,
                             "--slack_response_url_prefix=" + replies->url()};
  Start(options);
  pv1::ChatChannel app;
  app.set_name("ops");
  app.mutable_slack()->set_bot_token_file(token_file);
  app.mutable_slack()->set_channel("C0TEST");
  PutChannel(app);
  Plan({"ops"});
  const std::string incident = Open("chat-app-1");
  ASSERT_FALSE(incident.empty());
  ASSERT_OK(alice_->WaitForCount(1, absl::Seconds(30)));
  // The opening message, with the buttons; the engagement in its thread.
  ASSERT_OK(testing::WaitFor([&] { return api->calls().size() >= 3; }, absl::Seconds(30)));
  std::vector<FakeSlackApi::Call> calls = api->calls();
  EXPECT_EQ(calls[0].method, "chat.postMessage");
  EXPECT_FALSE(calls[0].body.contains("thread_ts"));
  EXPECT_THAT(calls[0].body.dump(), HasSubstr("tocsin_acknowledge"));
  EXPECT_EQ(calls[1].method, "chat.postMessage");
  EXPECT_EQ(calls[1].body.value("thread_ts", ""), "1700000000.101");
  EXPECT_EQ(calls[2].method, "chat.update");
  EXPECT_EQ(calls[2].body.value("ts", ""), "1700000000.101");

  auto press = [&](const std::string& secret, const std::string& action) {
    nlohmann::json payload = {
        {"type", "block_actions"},
        {"user", {{"id", "U0ALICE"}, {"username", "alice"}}},
        {"response_url", replies->url()},
        {"actions", {{{"action_id", action}, {"value", incident}}}}};
    const std::string body = paging::FormEncode({{"payload", payload.dump()}});
    const std::string ts = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
    http::HttpClient client;
    return client.Send({.method = "POST",
                        .url = suite_->paging_url("/v1/providers/slack/interactions"),
                        .body = body,
                        .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                                    {"X-Slack-Request-Timestamp", ts},
                                    {"X-Slack-Signature",
                                     paging::SlackSignature(secret, ts, body)}}});
  };
  // A forged press: refused, nothing acknowledged.
  ASSERT_OK_AND_ASSIGN(auto forged, press("not-the-secret", "tocsin_acknowledge"));
  EXPECT_EQ(forged.status, 403);
  ASSERT_OK_AND_ASSIGN(auto pressed, press("8f742231b10e8888abcd99yyyzzz85a5",
                                           "tocsin_acknowledge"));
  EXPECT_EQ(pressed.status, 200) << pressed.body;
  ASSERT_OK(testing::WaitFor(
      [&] {
        ev1::ListEngagementsRequest list;
        list.set_incident_id(incident);
        ev1::ListEngagementsResponse response;
        if (!suite_->engagements().ListEngagements(Ctx().get(), list, &response).ok()) {
          return false;
        }
        return response.engagements_size() == 1 &&
               response.engagements(0).state() == ev1::ENGAGEMENT_STATE_ACKNOWLEDGED;
      },
      absl::Seconds(30)));
  ASSERT_OK(replies->WaitForCount(1, absl::Seconds(10)));
  EXPECT_THAT(replies->Requests()[0].body, HasSubstr("Acknowledged"));
  // Who pressed it is on the timeline.
  ASSERT_OK(testing::WaitFor([&] { return Count(incident, "page.acknowledged") == 1; },
                             absl::Seconds(30)));
  std::string timeline;
  ASSERT_OK_AND_ASSIGN(auto entries, suite_->Timeline(incident));
  for (const auto& e : entries) absl::StrAppend(&timeline, e.message(), "\n");
  EXPECT_THAT(timeline, HasSubstr("slack:U0ALICE (alice)"));
  // A second press is told who was first.
  ASSERT_OK_AND_ASSIGN(auto again, press("8f742231b10e8888abcd99yyyzzz85a5",
                                         "tocsin_acknowledge"));
  EXPECT_EQ(again.status, 200);
  ASSERT_OK(replies->WaitForCount(2, absl::Seconds(10)));
  EXPECT_THAT(replies->Requests()[1].body, HasSubstr("already acknowledged by slack:U0ALICE"));
  // Resolve from Slack.
  ASSERT_OK_AND_ASSIGN(auto resolve, press("8f742231b10e8888abcd99yyyzzz85a5", "tocsin_resolve"));
  EXPECT_EQ(resolve.status, 200);
  ASSERT_OK(testing::WaitFor([&] { return Count(incident, "incident.resolved") == 1; },
                             absl::Seconds(30)));
  // The first message ends without buttons.
  ASSERT_OK(testing::WaitFor(
      [&] {
        calls = api->calls();
        return !calls.empty() && calls.back().method == "chat.update" &&
               calls.back().body.dump().find("RESOLVED") != std::string::npos;
      },
      absl::Seconds(30)));
  EXPECT_THAT(calls.back().body.dump(), ::testing::Not(HasSubstr("tocsin_acknowledge")));
}

TEST_F(ChatE2E, AThousandAlarmStormPagesOnceAndFoldsIntoAFewPosts) {
  SuiteOptions options;
  options.flags["paging"] = {"--chat_fold_window_seconds=5"};
  Start(options);
  ASSERT_OK_AND_ASSIGN(auto slack, testing::HttpReceiver::Start("/services/T0/B0/STORM"));
  Webhook("ops", pv1::ChatChannel::kSlack, slack->url());
  Plan({"ops"});
  const std::string incident = Open("storm-0");
  ASSERT_FALSE(incident.empty());
  for (int i = 1; i < 1000; ++i) {
    ASSERT_OK_AND_ASSIGN(auto posted, suite_->PostEventBridge(AlarmEvent(absl::StrCat("storm-", i))));
    ASSERT_EQ(posted.status, 200) << posted.body;
  }
  ASSERT_OK(testing::WaitFor([&] { return Count(incident, "alarm") == 999; }, absl::Seconds(60)));
  // Every joined alarm is accounted for in chat, folded: the first alone,
  // the rest in "N more alarms joined" posts, at most one per 5 s window.
  auto joined_in_chat = [&] {
    int n = 0;
    for (const auto& r : slack->Requests()) {
      const std::string text = nlohmann::json::parse(r.body).value("text", "");
      static const std::regex folded("([0-9]+) more alarms? joined");
      std::smatch m;
      if (std::regex_search(text, m, folded)) {
        n += std::stoi(m[1].str());
      } else if (text.find("Alarm joined") != std::string::npos) {
        ++n;
      }
    }
    return n;
  };
  ASSERT_OK(testing::WaitFor([&] { return joined_in_chat() == 999; }, absl::Seconds(60)))
      << joined_in_chat();
  int alarm_posts = 0;
  for (const auto& r : slack->Requests()) {
    alarm_posts += r.body.find("joined") != std::string::npos;
  }
  EXPECT_LT(alarm_posts, 20);
  // alice was paged once for the one stage.
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(alice_->Requests().size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto all, suite_->ListIncidents());
  EXPECT_EQ(all.size(), 1u);
}

TEST_F(ChatE2E, KilledMidPostEachPostArrivesOnceByItsKey) {
  Start();
  ASSERT_OK_AND_ASSIGN(auto slack, testing::HttpReceiver::Start("/services/T0/B0/KILL"));
  Webhook("ops", pv1::ChatChannel::kSlack, slack->url());
  Plan({"ops"});
  // The first post reaches the receiver and stays unanswered: paging dies
  // in the middle of it.
  slack->Hold();
  const std::string incident = Open("kill-1");
  ASSERT_FALSE(incident.empty());
  ASSERT_OK(slack->WaitForCount(1, absl::Seconds(30)));
  suite_->KillService("paging");
  slack->Release();
  ASSERT_OK(suite_->StartService("paging"));
  // Opened (twice at most, by its key) and the engagement, once.
  ASSERT_OK(testing::WaitFor(
      [&] {
        std::set<std::string> keys;
        for (const auto& r : slack->Requests()) keys.insert(r.Header("idempotency-key"));
        return keys.size() >= 2;
      },
      absl::Seconds(60)));
  absl::SleepFor(absl::Seconds(8));  // past the lease: nothing more comes
  std::map<std::string, std::vector<std::string>> bodies;
  for (const auto& r : slack->Requests()) bodies[r.Header("idempotency-key")].push_back(r.body);
  EXPECT_EQ(bodies.size(), 2u);
  for (const auto& [key, seen] : bodies) {
    EXPECT_FALSE(key.empty());
    for (const std::string& b : seen) EXPECT_EQ(b, seen[0]) << key;
  }
  const std::vector<testing::ReceivedRequest> all = slack->Requests();
  EXPECT_THAT(all.front().body, HasSubstr("Incident opened"));
  EXPECT_THAT(all.back().body, HasSubstr("Engaging alice"));
  // alice was paged once, as far as her receiver can tell (a page in flight
  // at the kill is delivered again with the same key).
  std::set<std::string> page_keys;
  for (const auto& r : alice_->Requests()) page_keys.insert(r.Header("idempotency-key"));
  EXPECT_EQ(page_keys.size(), 1u);
}

}  // namespace
}  // namespace tocsin::e2e
