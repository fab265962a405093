#include "services/paging/chat_senders.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/http/http_server.h"
#include "libs/status/retry.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/paging/chat_format.h"
#include "services/paging/code_limiter.h"

namespace tocsin::paging {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::HttpReceiver;
using ::tocsin::testing::StatusIs;

constexpr char kToken[] = "xoxb-1234-SECRET-TOKEN";
constexpr char kTs[] = "1712345678.000100";

v1::ChatPost Post(const std::string& id = "cp-1") {
  v1::ChatPost p;
  p.set_id(id);
  p.set_channel("ops");
  p.set_incident_id("inc-1");
  p.set_kind("opened");
  p.set_text("Incident opened");
  v1::ChatIncident* i = p.mutable_incident();
  i->set_id("inc-1");
  i->set_title("Database down");
  i->set_impact(1);
  i->set_status("OPEN");
  return p;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
}

// A stand-in for Slack's Web API (and any endpoint that must answer a given
// body or status): records requests to /api/<method>, answers scripted
// responses, then the default.
class FakeSlack {
 public:
  FakeSlack() {
    auto server = http::HttpServer::Start({});
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    default_.body = absl::StrCat(R"({"ok":true,"channel":"C0123","ts":")", kTs, R"("})");
    for (const char* path : {"/api/chat.postMessage", "/api/chat.update", "/services/T1/B1/SECRETPATH"}) {
      server_->Handle("POST", path, [this](const http::HttpRequest& r) { return Receive(r); });
    }
  }

  void Answer(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    absl::MutexLock l(&mu_);
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    scripted_.push_back(std::move(r));
  }
  std::vector<http::HttpRequest> Requests() {
    absl::MutexLock l(&mu_);
    return requests_;
  }
  std::string base() const { return absl::StrCat("http://127.0.0.1:", server_->port()); }
  std::string api() const { return base() + "/api"; }

 private:
  http::HttpResponse Receive(const http::HttpRequest& r) {
    absl::MutexLock l(&mu_);
    requests_.push_back(r);
    if (scripted_.empty()) return default_;
    http::HttpResponse next = std::move(scripted_.front());
    scripted_.erase(scripted_.begin());
    return next;
  }

  absl::Mutex mu_;
  std::vector<http::HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<http::HttpResponse> scripted_ ABSL_GUARDED_BY(mu_);
  http::HttpResponse default_;
  std::unique_ptr<http::HttpServer> server_;
};

class ChatSendersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(hook_, HttpReceiver::Start("/hook"));
    token_file_ = dir_ + "/slack-token";
    WriteFile(token_file_, std::string(kToken) + "\n");
  }

  v1::ChatChannel Webhook(v1::ChatChannel::PlatformCase platform, const std::string& url) {
    v1::ChatChannel c;
    c.set_name("ops");
    switch (platform) {
      case v1::ChatChannel::kSlack: c.mutable_slack()->set_webhook_url(url); break;
      case v1::ChatChannel::kTeams: c.mutable_teams()->set_webhook_url(url); break;
      case v1::ChatChannel::kChime: c.mutable_chime()->set_webhook_url(url); break;
      case v1::ChatChannel::kMattermost: c.mutable_mattermost()->set_webhook_url(url); break;
      default: break;
    }
    return c;
  }

  v1::ChatChannel SlackApp(const std::string& room = "#ops") {
    v1::ChatChannel c;
    c.set_name("ops");
    c.mutable_slack()->set_bot_token_file(token_file_);
    c.mutable_slack()->set_channel(room);
    return c;
  }

  const std::string dir_ = testing::MakeTempDir("chat");
  std::string token_file_;
  std::unique_ptr<HttpReceiver> hook_;
  FakeSlack slack_;
  HttpChatSender sender_{{.slack_api_url = slack_.api(), .timeout = absl::Seconds(5)}};
};

TEST_F(ChatSendersTest, SlackWebhookPostsTheBlocksWithTheHouseHeaders) {
  ASSERT_OK_AND_ASSIGN(ChatSent sent,
                       sender_.Post(Webhook(v1::ChatChannel::kSlack, hook_->url()), Post(), ""));
  EXPECT_EQ(sent.answer, "HTTP 200");
  EXPECT_EQ(sent.provider_id, "");
  auto requests = hook_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hook");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("idempotency-key"), "cp-1");
  EXPECT_EQ(requests[0].Header("user-agent"), "tocsin");
  EXPECT_EQ(requests[0].Header("authorization"), "");
  EXPECT_EQ(json::parse(requests[0].body), json::parse(SlackWebhookBody(Post())));
}

TEST_F(ChatSendersTest, TeamsChimeAndMattermostPostTheirOwnBodies) {
  hook_->FailNext(1, 202);  // Teams Workflows answers 202 Accepted
  ASSERT_OK_AND_ASSIGN(ChatSent teams,
                       sender_.Post(Webhook(v1::ChatChannel::kTeams, hook_->url()), Post(), ""));
  EXPECT_EQ(teams.answer, "HTTP 202");
  ASSERT_OK(sender_.Post(Webhook(v1::ChatChannel::kChime, hook_->url()), Post(), "").status());
  ASSERT_OK(
      sender_.Post(Webhook(v1::ChatChannel::kMattermost, hook_->url()), Post(), "").status());
  auto requests = hook_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(json::parse(requests[0].body), json::parse(TeamsBody(Post())));
  EXPECT_EQ(json::parse(requests[1].body), json::parse(ChimeBody(Post())));
  EXPECT_EQ(json::parse(requests[2].body), json::parse(MattermostBody(Post())));
  for (const auto& r : requests) {
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(r.Header("idempotency-key"), "cp-1");
  }
}

TEST_F(ChatSendersTest, WebhookUrlFileIsReadAtEachCall) {
  ASSERT_OK_AND_ASSIGN(auto other, HttpReceiver::Start("/other"));
  const std::string file = dir_ + "/teams-url";
  WriteFile(file, "  " + hook_->url() + "\n");
  v1::ChatChannel channel;
  channel.set_name("ops");
  channel.mutable_teams()->set_webhook_url_file(file);
  ASSERT_OK(sender_.Post(channel, Post("cp-1"), "").status());
  WriteFile(file, other->url());  // rotated
  ASSERT_OK(sender_.Post(channel, Post("cp-2"), "").status());
  EXPECT_EQ(hook_->Requests().size(), 1u);
  ASSERT_EQ(other->Requests().size(), 1u);
  EXPECT_EQ(other->Requests()[0].Header("idempotency-key"), "cp-2");
}

TEST_F(ChatSendersTest, AChannelWithoutAUsableDestinationIsInvalid) {
  v1::ChatChannel missing;
  missing.set_name("ops");
  missing.mutable_chime()->set_webhook_url_file(dir_ + "/no-such-file");
  EXPECT_THAT(sender_.Post(missing, Post(), "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(dir_ + "/no-such-file")));

  const std::string bad = dir_ + "/bad-url";
  WriteFile(bad, "ftp://hooks.example/SECRET-IN-FILE");
  v1::ChatChannel not_http;
  not_http.set_name("ops");
  not_http.mutable_mattermost()->set_webhook_url_file(bad);
  absl::Status s = sender_.Post(not_http, Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http")));
  EXPECT_THAT(s.message(), Not(HasSubstr("SECRET-IN-FILE")));

  const std::string empty = dir_ + "/empty";
  WriteFile(empty, " \n");
  v1::ChatChannel blank;
  blank.set_name("ops");
  blank.mutable_teams()->set_webhook_url_file(empty);
  EXPECT_THAT(sender_.Post(blank, Post(), "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is empty")));

  v1::ChatChannel none;
  none.set_name("ops");
  none.mutable_teams();
  EXPECT_THAT(sender_.Post(none, Post(), "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no webhook URL")));
  v1::ChatChannel no_platform;
  no_platform.set_name("ops");
  EXPECT_THAT(sender_.Post(no_platform, Post(), "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no platform")));
  EXPECT_EQ(hook_->Requests().size(), 0u);
}

TEST_F(ChatSendersTest, WebhookAnswersAreClassified) {
  for (auto [status, code] : std::vector<std::pair<int, absl::StatusCode>>{
           {400, absl::StatusCode::kFailedPrecondition},
           {403, absl::StatusCode::kFailedPrecondition},
           {404, absl::StatusCode::kFailedPrecondition},
           {410, absl::StatusCode::kFailedPrecondition},
           {500, absl::StatusCode::kUnavailable},
           {503, absl::StatusCode::kUnavailable},
           {408, absl::StatusCode::kDeadlineExceeded},
           {429, absl::StatusCode::kResourceExhausted}}) {
    hook_->FailNext(1, status);
    absl::Status s = sender_.Post(Webhook(v1::ChatChannel::kSlack, hook_->url()), Post(), "").status();
    EXPECT_THAT(s, StatusIs(code, HasSubstr("answered HTTP " + std::to_string(status))));
    EXPECT_EQ(IsTransient(s), status == 408 || status == 429 || status >= 500) << status;
  }
}

TEST_F(ChatSendersTest, SlackWebhookRefusalsQuoteTheAnswerButNeverTheUrl) {
  const std::string url = slack_.base() + "/services/T1/B1/SECRETPATH";
  slack_.Answer(404, "channel_not_found");
  absl::Status s = sender_.Post(Webhook(v1::ChatChannel::kSlack, url), Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("webhook of chat channel \"ops\" (" + slack_.base() +
                                    "/services/\xE2\x80\xA6) answered HTTP 404: channel_not_found")));
  EXPECT_THAT(s.message(), Not(HasSubstr("SECRETPATH")));

  slack_.Answer(400, "invalid_payload\r\n" + std::string(1 << 20, 'x'));
  s = sender_.Post(Webhook(v1::ChatChannel::kSlack, url), Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("invalid_payload  xx")));
  EXPECT_LE(s.message().size(), 1024u);

  ASSERT_OK_AND_ASSIGN(int port, testing::PickUnusedPort());
  s = sender_
          .Post(Webhook(v1::ChatChannel::kTeams,
                        "http://u:pw@127.0.0.1:" + std::to_string(port) + "/wf?sig=SIGSECRET"),
                Post(), "")
          .status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("chat channel \"ops\"")));
  EXPECT_THAT(s.message(), Not(HasSubstr("SIGSECRET")));
  EXPECT_THAT(s.message(), Not(HasSubstr("pw@")));
}

TEST_F(ChatSendersTest, ThrottlingIsResourceExhaustedWithTheRetryAfterDelay) {
  const std::string url = slack_.base() + "/services/T1/B1/SECRETPATH";
  slack_.Answer(429, "rate_limited", {{"Retry-After", "30"}});
  absl::Status s = sender_.Post(Webhook(v1::ChatChannel::kSlack, url), Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          HasSubstr("answered HTTP 429: rate_limited (retry after 30s)")));
  EXPECT_EQ(RetryAfter(s), absl::Seconds(30));
  EXPECT_TRUE(IsTransient(s));

  // Slack's Web API: HTTP 429 with Retry-After, or ok:false "ratelimited".
  slack_.Answer(429, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", "7"}});
  s = sender_.Post(SlackApp(), Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("HTTP 429")));
  EXPECT_EQ(RetryAfter(s), absl::Seconds(7));
  slack_.Answer(200, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", "3"}});
  s = sender_.Post(SlackApp(), Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("ratelimited")));
  EXPECT_EQ(RetryAfter(s), absl::Seconds(3));

  // Without a Retry-After (or an unusable one): throttled, no delay said.
  hook_->FailNext(1, 429);
  s = sender_.Post(Webhook(v1::ChatChannel::kSlack, hook_->url()), Post(), "").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  EXPECT_EQ(RetryAfter(s), std::nullopt);
  slack_.Answer(429, "slow down", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}});
  EXPECT_EQ(RetryAfter(sender_.Post(Webhook(v1::ChatChannel::kSlack, url), Post(), "").status()),
            std::nullopt);
}

TEST(RetryAfterHeader, ParsesDeltaSecondsOnly) {
  EXPECT_EQ(ParseRetryAfter("30"), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter(" 0 "), absl::Seconds(0));
  EXPECT_EQ(ParseRetryAfter("99999999"), absl::Hours(24));
  for (const char* bad : {"", "-1", "1.5", "soon", "Wed, 21 Oct 2015 07:28:00 GMT",
                          "99999999999999999999"}) {
    EXPECT_EQ(ParseRetryAfter(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(RetryAfter(WithRetryAfter(absl::ResourceExhaustedError("x"), absl::Milliseconds(1500))),
            absl::Seconds(2));
}

TEST_F(ChatSendersTest, AStalledPlatformTimesOut) {
  HttpChatSender quick({.slack_api_url = slack_.api(), .timeout = absl::Seconds(1)});
  hook_->Hold();
  const absl::Time start = absl::Now();
  absl::Status s = quick.Post(Webhook(v1::ChatChannel::kChime, hook_->url()), Post(), "").status();
  const absl::Duration took = absl::Now() - start;
  hook_->Release();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("chat channel \"ops\"")));
  EXPECT_LT(took, absl::Seconds(4));
}

TEST_F(ChatSendersTest, SlackAppPostsTheHeadWithButtonsAndThreadsReplies) {
  ASSERT_OK_AND_ASSIGN(ChatSent head, sender_.Post(SlackApp(), Post("cp-1"), ""));
  EXPECT_EQ(head.provider_id, absl::StrCat("C0123:", kTs));
  EXPECT_EQ(head.answer, absl::StrCat("Slack ts ", kTs));
  ASSERT_OK_AND_ASSIGN(ChatSent reply, sender_.Post(SlackApp(), Post("cp-2"), head.provider_id));
  auto requests = slack_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/api/chat.postMessage");
  EXPECT_EQ(requests[0].Header("authorization"), absl::StrCat("Bearer ", kToken));
  EXPECT_EQ(requests[0].Header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(requests[0].Header("idempotency-key"), "cp-1");
  EXPECT_EQ(requests[0].Header("user-agent"), "tocsin");
  json first = json::parse(requests[0].body);
  EXPECT_EQ(first, json::parse(SlackPostMessageBody(Post("cp-1"), "#ops", "")));
  EXPECT_FALSE(first.contains("thread_ts"));
  EXPECT_THAT(first.dump(), HasSubstr(kSlackAcknowledgeAction));
  json second = json::parse(requests[1].body);
  EXPECT_EQ(second["channel"], "C0123");
  EXPECT_EQ(second["thread_ts"], kTs);
  EXPECT_THAT(second.dump(), Not(HasSubstr(kSlackAcknowledgeAction)));
  EXPECT_EQ(requests[1].Header("idempotency-key"), "cp-2");
}

TEST_F(ChatSendersTest, SlackAppTokenFileIsReadAtEachCall) {
  ASSERT_OK(sender_.Post(SlackApp(), Post(), "").status());
  WriteFile(token_file_, "xoxb-rotated\n");
  ASSERT_OK(sender_.Post(SlackApp(), Post(), "").status());
  EXPECT_EQ(slack_.Requests()[1].Header("authorization"), "Bearer xoxb-rotated");
}

TEST_F(ChatSendersTest, UpdateHeadEditsTheFirstMessageOnlyInAppMode) {
  v1::ChatPost acked = Post("cp-3");
  acked.mutable_incident()->set_status("ACKNOWLEDGED by alice");
  ASSERT_OK(sender_.UpdateHead(SlackApp(), acked, absl::StrCat("C0123:", kTs)));
  auto requests = slack_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/api/chat.update");
  EXPECT_EQ(requests[0].Header("authorization"), absl::StrCat("Bearer ", kToken));
  json body = json::parse(requests[0].body);
  EXPECT_EQ(body, json::parse(SlackUpdateBody(acked, "C0123", kTs)));
  EXPECT_EQ(body["ts"], kTs);
  EXPECT_THAT(body.dump(), Not(HasSubstr(kSlackAcknowledgeAction)));
  EXPECT_THAT(body.dump(), HasSubstr(kSlackResolveAction));

  // Nothing to edit: another platform, a Slack webhook, no head yet.
  EXPECT_OK(sender_.UpdateHead(Webhook(v1::ChatChannel::kTeams, hook_->url()), acked, "x:y"));
  EXPECT_OK(sender_.UpdateHead(Webhook(v1::ChatChannel::kSlack, hook_->url()), acked, "x:y"));
  EXPECT_OK(sender_.UpdateHead(SlackApp(), acked, ""));
  EXPECT_EQ(slack_.Requests().size(), 1u);
  EXPECT_EQ(hook_->Requests().size(), 0u);

  slack_.Answer(200, R"({"ok":false,"error":"message_not_found"})");
  EXPECT_THAT(sender_.UpdateHead(SlackApp(), acked, absl::StrCat("C0123:", kTs)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("message_not_found")));
  EXPECT_THAT(sender_.UpdateHead(SlackApp(), acked, "no-colon"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("thread id")));
}

TEST_F(ChatSendersTest, SlackAppErrorsAreClassifiedAndNeverShowTheToken) {
  std::vector<std::pair<std::string, absl::StatusCode>> cases = {
      {"ratelimited", absl::StatusCode::kResourceExhausted},
      {"internal_error", absl::StatusCode::kUnavailable},
      {"fatal_error", absl::StatusCode::kUnavailable},
      {"service_unavailable", absl::StatusCode::kUnavailable},
      {"invalid_auth", absl::StatusCode::kFailedPrecondition},
      {"not_authed", absl::StatusCode::kFailedPrecondition},
      {"channel_not_found", absl::StatusCode::kFailedPrecondition},
      {"not_in_channel", absl::StatusCode::kFailedPrecondition},
      {"is_archived", absl::StatusCode::kFailedPrecondition},
      {"account_inactive", absl::StatusCode::kFailedPrecondition},
      {"token_revoked", absl::StatusCode::kFailedPrecondition},
      {"msg_too_long", absl::StatusCode::kFailedPrecondition},
  };
  for (const auto& [error, code] : cases) {
    slack_.Answer(200, absl::StrCat(R"({"ok":false,"error":")", error, R"("})"));
    absl::Status s = sender_.Post(SlackApp(), Post(), "").status();
    EXPECT_THAT(s, StatusIs(code, HasSubstr("answered error " + error)));
    EXPECT_THAT(s.message(), HasSubstr("Slack chat.postMessage for chat channel \"ops\""));
    EXPECT_THAT(s.message(), Not(HasSubstr("SECRET-TOKEN")));
  }
  slack_.Answer(503, "upstream down");
  EXPECT_THAT(sender_.Post(SlackApp(), Post(), "").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 503: upstream down")));
  slack_.Answer(200, "<html>proxy login</html>");
  absl::Status html = sender_.Post(SlackApp(), Post(), "").status();
  EXPECT_THAT(html, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("without Slack's \"ok\"")));
  EXPECT_THAT(html.message(), Not(HasSubstr(kToken)));
  slack_.Answer(404, "Not Found");
  EXPECT_THAT(sender_.Post(SlackApp(), Post(), "").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("HTTP 404")));
}

TEST_F(ChatSendersTest, AHugeSlackAnswerStillTellsTheTs) {
  // Slack echoes the whole message after ok, channel and ts.
  slack_.Answer(200, absl::StrCat(R"({"ok":true,"channel":"C0999","ts":"1.5","message":{"text":")",
                                  std::string(1 << 20, 'x'), R"("}})"));
  ASSERT_OK_AND_ASSIGN(ChatSent sent, sender_.Post(SlackApp(), Post(), ""));
  EXPECT_EQ(sent.provider_id, "C0999:1.5");
  // ... but an answer cut before "ok" is not known to be a success.
  slack_.Answer(200, absl::StrCat(R"({"message":{"text":")", std::string(1 << 20, 'x'),
                                  R"("},"ok":true})"));
  EXPECT_THAT(sender_.Post(SlackApp(), Post(), "").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("answer cut at 65536 bytes")));
}

TEST_F(ChatSendersTest, SlackAppWithoutTokenOrChannelIsInvalid) {
  v1::ChatChannel no_token = SlackApp();
  no_token.mutable_slack()->set_bot_token_file(dir_ + "/missing-token");
  EXPECT_THAT(sender_.Post(no_token, Post(), "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(dir_ + "/missing-token")));
  WriteFile(token_file_, "xoxb-1\r\nX-Injected: SECRET-TOKEN\n");
  absl::Status two_lines = sender_.Post(SlackApp(), Post(), "").status();
  EXPECT_THAT(two_lines, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("white space")));
  EXPECT_THAT(two_lines.message(), Not(HasSubstr("SECRET-TOKEN")));
  WriteFile(token_file_, kToken);
  EXPECT_THAT(sender_.Post(SlackApp(""), Post(), "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs the channel")));
  EXPECT_THAT(sender_.Post(SlackApp(), Post(), ":1.2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("thread id")));
  EXPECT_EQ(slack_.Requests().size(), 0u);
}

}  // namespace
}  // namespace tocsin::paging
