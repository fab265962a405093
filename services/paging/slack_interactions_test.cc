#include "services/paging/slack_interactions.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/clock/clock.h"
#include "libs/http/http_client.h"
#include "libs/http/http_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "nlohmann/json.hpp"
#include "services/paging/chat_format.h"
#include "services/paging/slack_signature.h"

namespace tocsin::paging {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::tocsin::testing::HttpReceiver;

constexpr char kSecret[] = "slack-signing-secret";

// What the buttons did.
class FakeActions final : public SlackActions {
 public:
  absl::StatusOr<std::string> Acknowledge(const std::string& incident_id,
                                          const std::string& author) override {
    return Record("ack " + incident_id + " " + author,
                  absl::StrCat("Acknowledged by ", author));
  }
  absl::StatusOr<std::string> Resolve(const std::string& incident_id,
                                      const std::string& author) override {
    return Record("resolve " + incident_id + " " + author, absl::StrCat("Resolved by ", author));
  }
  // Acknowledge waits until Open() (to see the request answered first).
  void Close() {
    absl::MutexLock l(&mu_);
    closed_ = true;
  }
  void Open() {
    absl::MutexLock l(&mu_);
    closed_ = false;
  }
  bool WaitForCalls(size_t n) {
    absl::MutexLock l(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  void FailNext(absl::Status s) {
    absl::MutexLock l(&mu_);
    fail_ = std::move(s);
  }
  std::vector<std::string> calls() {
    absl::MutexLock l(&mu_);
    return calls_;
  }

 private:
  absl::StatusOr<std::string> Record(std::string call, std::string answer) {
    absl::MutexLock l(&mu_);
    calls_.push_back(std::move(call));
    mu_.Await(absl::Condition(
        +[](bool* closed) { return !*closed; }, &closed_));
    if (fail_.has_value()) {
      absl::Status s = *fail_;
      fail_.reset();
      return s;
    }
    return answer;
  }
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> fail_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

std::string FormEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

class SlackInteractionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(respond_, HttpReceiver::Start("/respond"));
    ASSERT_OK_AND_ASSIGN(server_, http::HttpServer::Start({}));
    RegisterSlackInteractions(*server_, &actions_,
                              {.signing_secret = kSecret,
                               .clock = &clock_,
                               .response_url_prefix = "http://127.0.0.1:",
                               .response_timeout = absl::Seconds(2)});
  }

  json Press(const std::string& action_id, const std::string& value = "inc-1") {
    return {{"type", "block_actions"},
            {"user", {{"id", "U0123"}, {"username", "alice"}, {"name", "alice.a"}}},
            {"response_url", respond_->url()},
            {"actions", json::array({{{"type", "button"},
                                      {"action_id", action_id},
                                      {"block_id", "tocsin_incident"},
                                      {"value", value}}})}};
  }

  // POSTs body signed at `signed_at` (or with `signature`).
  http::HttpClientResponse Send(const std::string& body,
                                std::optional<std::string> signature = std::nullopt,
                                std::optional<absl::Time> signed_at = std::nullopt) {
    const std::string ts = absl::StrCat(absl::ToUnixSeconds(signed_at.value_or(clock_.Now())));
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"X-Slack-Request-Timestamp", ts},
        {"X-Slack-Signature", signature.value_or(SlackSignature(kSecret, ts, body))}};
    http::HttpClient client;
    absl::StatusOr<http::HttpClientResponse> r = client.Send(
        {.method = "POST",
         .url = absl::StrCat("http://127.0.0.1:", server_->port(), kSlackInteractionsPath),
         .body = body,
         .headers = headers});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::HttpClientResponse{};
  }

  http::HttpClientResponse SendPayload(const json& payload) {
    return Send("payload=" + FormEscape(payload.dump()));
  }

  FakeClock clock_;
  FakeActions actions_;
  FakeActions other_actions_;
  std::unique_ptr<HttpReceiver> respond_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(SlackInteractionsTest, AcknowledgeRunsAndAnswersThePersonAlone) {
  http::HttpClientResponse r = SendPayload(Press(kSlackAcknowledgeAction));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  ASSERT_OK(respond_->WaitForCount(1, absl::Seconds(5)));
  EXPECT_THAT(actions_.calls(), ElementsAre("ack inc-1 slack:U0123 (alice)"));
  auto replies = respond_->Requests();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].method, "POST");
  EXPECT_THAT(replies[0].Header("content-type"), HasSubstr("application/json"));
  EXPECT_EQ(json::parse(replies[0].body), json({{"response_type", "ephemeral"},
                                                {"replace_original", false},
                                                {"text", "Acknowledged by slack:U0123 (alice)"}}));
}

TEST_F(SlackInteractionsTest, TheRequestIsAnsweredBeforeTheActionFinishes) {
  actions_.Close();
  const absl::Time start = absl::Now();
  http::HttpClientResponse r = SendPayload(Press(kSlackAcknowledgeAction));
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  ASSERT_TRUE(actions_.WaitForCalls(1));
  EXPECT_THAT(respond_->Requests(), IsEmpty());  // the action is still running
  actions_.Open();
  ASSERT_OK(respond_->WaitForCount(1, absl::Seconds(5)));
  EXPECT_EQ(json::parse(respond_->Requests()[0].body)["text"],
            "Acknowledged by slack:U0123 (alice)");
}

TEST_F(SlackInteractionsTest, ResolveRunsWithTheNameWhenThereIsNoUsername) {
  json press = Press(kSlackResolveAction, "inc-7");
  press["user"].erase("username");
  EXPECT_EQ(SendPayload(press).status, 200);
  ASSERT_TRUE(actions_.WaitForCalls(1));
  EXPECT_THAT(actions_.calls(), ElementsAre("resolve inc-7 slack:U0123 (alice.a)"));
  press["user"].erase("name");
  EXPECT_EQ(SendPayload(press).status, 200);
  ASSERT_TRUE(actions_.WaitForCalls(2));
  EXPECT_THAT(actions_.calls().back(), "resolve inc-7 slack:U0123");
  ASSERT_OK(respond_->WaitForCount(2, absl::Seconds(5)));
  EXPECT_EQ(json::parse(respond_->Requests()[1].body)["text"], "Resolved by slack:U0123");
}

TEST_F(SlackInteractionsTest, TheFirstOfTocsinsActionsIsTaken) {
  json press = Press("someone_elses_button", "x");
  press["actions"].push_back(
      {{"type", "button"}, {"action_id", kSlackResolveAction}, {"value", "inc-2"}});
  EXPECT_EQ(SendPayload(press).status, 200);
  ASSERT_TRUE(actions_.WaitForCalls(1));
  EXPECT_THAT(actions_.calls(), ElementsAre("resolve inc-2 slack:U0123 (alice)"));
}

TEST_F(SlackInteractionsTest, AForgedOrStaleRequestIs403AndDoesNothing) {
  const std::string body = "payload=" + FormEscape(Press(kSlackAcknowledgeAction).dump());
  http::HttpClientResponse forged =
      Send(body, SlackSignature("another-secret", absl::StrCat(absl::ToUnixSeconds(clock_.Now())),
                                body));
  EXPECT_EQ(forged.status, 403);
  EXPECT_THAT(forged.body, HasSubstr("does not match"));
  http::HttpClientResponse stale = Send(body, std::nullopt, clock_.Now() - absl::Minutes(6));
  EXPECT_EQ(stale.status, 403);
  EXPECT_THAT(stale.body, HasSubstr("expired"));
  // Signed, then changed in transit.
  const std::string ts = absl::StrCat(absl::ToUnixSeconds(clock_.Now()));
  http::HttpClientResponse tampered =
      Send(body + "%20", SlackSignature(kSecret, ts, body));
  EXPECT_EQ(tampered.status, 403);

  http::HttpClient client;
  ASSERT_OK_AND_ASSIGN(
      http::HttpClientResponse unsigned_,
      client.Send({.method = "POST",
                   .url = absl::StrCat("http://127.0.0.1:", server_->port(),
                                       kSlackInteractionsPath),
                   .body = body,
                   .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}}));
  EXPECT_EQ(unsigned_.status, 403);
  EXPECT_THAT(unsigned_.body, HasSubstr("X-Slack-Signature"));

  EXPECT_THAT(actions_.calls(), IsEmpty());
  EXPECT_THAT(respond_->Requests(), IsEmpty());
}

TEST_F(SlackInteractionsTest, AnUnknownActionIsExplainedAndDoesNothing) {
  http::HttpClientResponse r = SendPayload(Press("tocsin_delete_everything"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("does not know this button"));
  EXPECT_THAT(r.body, HasSubstr("tocsin_delete_everything"));
  EXPECT_THAT(actions_.calls(), IsEmpty());
  ASSERT_OK(respond_->WaitForCount(1, absl::Seconds(5)));
  EXPECT_THAT(json::parse(respond_->Requests()[0].body)["text"].get<std::string>(),
              HasSubstr("does not know this button"));
}

TEST_F(SlackInteractionsTest, OtherPayloadsAndBadBodiesDoNothing) {
  json view = Press(kSlackAcknowledgeAction);
  view["type"] = "view_submission";
  http::HttpClientResponse ignored = SendPayload(view);
  EXPECT_EQ(ignored.status, 200);
  EXPECT_THAT(ignored.body, HasSubstr("ignored"));

  EXPECT_EQ(Send("text=hello").status, 400);
  http::HttpClientResponse not_json = Send("payload=%7Bnot+json");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_THAT(not_json.body, HasSubstr("not a JSON object"));
  json no_user = Press(kSlackAcknowledgeAction);
  no_user.erase("user");
  EXPECT_EQ(SendPayload(no_user).status, 400);
  EXPECT_EQ(SendPayload(Press(kSlackAcknowledgeAction, "")).status, 400);
  EXPECT_THAT(actions_.calls(), IsEmpty());
}

TEST_F(SlackInteractionsTest, AFailedActionIsToldToThePerson) {
  actions_.FailNext(absl::NotFoundError("no incident inc-9"));
  http::HttpClientResponse r = SendPayload(Press(kSlackAcknowledgeAction, "inc-9"));
  EXPECT_EQ(r.status, 200);
  ASSERT_OK(respond_->WaitForCount(1, absl::Seconds(5)));
  EXPECT_EQ(json::parse(respond_->Requests()[0].body)["text"],
            "Could not acknowledge incident inc-9: no incident inc-9");
}

TEST_F(SlackInteractionsTest, UntrustedNamesAreEscapedInTheReply) {
  json press = Press(kSlackAcknowledgeAction);
  press["user"]["username"] = "<!channel>\nbob";
  EXPECT_EQ(SendPayload(press).status, 200);
  ASSERT_OK(respond_->WaitForCount(1, absl::Seconds(5)));
  EXPECT_THAT(actions_.calls(), ElementsAre("ack inc-1 slack:U0123 (<!channel> bob)"));
  const std::string text = json::parse(respond_->Requests()[0].body)["text"];
  EXPECT_EQ(text, "Acknowledged by slack:U0123 (&lt;!channel&gt; bob)");
}

TEST_F(SlackInteractionsTest, AResponseUrlThatIsNotSlacksIsNotUsed) {
  ASSERT_OK_AND_ASSIGN(auto server, http::HttpServer::Start({}));
  FakeActions& actions = other_actions_;
  RegisterSlackInteractions(*server, &actions,
                            {.signing_secret = kSecret, .clock = &clock_});  // Slack's prefix
  server_ = std::move(server);
  EXPECT_EQ(SendPayload(Press(kSlackAcknowledgeAction)).status, 200);
  ASSERT_TRUE(actions.WaitForCalls(1));
  EXPECT_THAT(actions.calls(), ElementsAre("ack inc-1 slack:U0123 (alice)"));
  server_.reset();  // the worker has finished with the press
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_THAT(respond_->Requests(), IsEmpty());
}

TEST(SlackAuthor, IsBoundedAndOneLine) {
  EXPECT_EQ(SlackAuthor("U1", "alice"), "slack:U1 (alice)");
  EXPECT_EQ(SlackAuthor("U1", ""), "slack:U1");
  EXPECT_EQ(SlackAuthor("U1", "a\nb"), "slack:U1 (a b)");
  EXPECT_LE(SlackAuthor(std::string(1000, 'U'), std::string(1000, 'n')).size(), 220u);
}

}  // namespace
}  // namespace tocsin::paging
