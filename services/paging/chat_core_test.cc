#include "services/paging/chat_core.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/events/types.h"
#include "libs/ids/ids.h"
#include "libs/status/status_matchers.h"
#include "services/paging/chat_sqlite_store.h"
#include "services/paging/code_limiter.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"

namespace tocsin::paging {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;
using ::tocsin::events::v1::Envelope;

// Records what was posted; answers from a script (OK by default).
class FakeSender final : public ChatSender {
 public:
  struct Call {
    std::string channel;
    std::string kind;
    std::string text;
    std::string thread;
    std::string status;
  };

  absl::StatusOr<ChatSent> Post(const v1::ChatChannel& channel, const v1::ChatPost& post,
                                const std::string& thread_id) override {
    absl::MutexLock lock(&mu_);
    calls_.push_back({channel.name(), post.kind(), post.text(), thread_id,
                      post.incident().status()});
    if (!fail_.empty()) {
      absl::Status s = fail_.front();
      fail_.erase(fail_.begin());
      return s;
    }
    return ChatSent{.provider_id = absl::StrCat("ts-", calls_.size()), .answer = "HTTP 200"};
  }
  absl::Status UpdateHead(const v1::ChatChannel& channel, const v1::ChatPost& post,
                          const std::string& thread_id) override {
    absl::MutexLock lock(&mu_);
    heads_.push_back(absl::StrCat(thread_id, " ", post.incident().status()));
    return absl::OkStatus();
  }
  void FailNext(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_.push_back(std::move(s));
  }
  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<std::string> texts(const std::string& channel) {
    std::vector<std::string> out;
    for (const Call& c : calls()) {
      if (c.channel == channel) out.push_back(c.text);
    }
    return out;
  }
  std::vector<std::string> heads() {
    absl::MutexLock lock(&mu_);
    return heads_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Call> calls_;
  std::vector<std::string> heads_;
  std::vector<absl::Status> fail_;
};

absl::Status WithRetryAfter(absl::Status s, absl::Duration d) {
  s.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(absl::ToInt64Seconds(d))));
  return s;
}

template <typename T>
Envelope Event(const std::string& id, const events::EventType<T>& type,
               const std::string& incident_id, const T& payload) {
  Envelope e;
  e.set_event_id(id);
  e.set_type(type.name);
  e.set_incident_id(incident_id);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

incidents::v1::Incident Incident(const std::string& id, std::vector<std::string> channels) {
  incidents::v1::Incident in;
  in.set_id(id);
  in.set_title("Checkout errors");
  in.set_impact(2);
  in.set_summary("5xx above 5%");
  in.set_status(incidents::v1::INCIDENT_STATUS_OPEN);
  in.add_engagements("alice");
  for (const std::string& c : channels) in.add_chat_channels(c);
  return in;
}

// A timeline entry with the incident it belongs to, as the incidents
// service emits it.
Envelope Entry(const std::string& event_id, const incidents::v1::Incident& incident,
               const std::string& type, const std::string& message) {
  incidents::v1::TimelineAdded added;
  added.mutable_event()->set_incident_id(incident.id());
  added.mutable_event()->set_type(type);
  added.mutable_event()->set_message(message);
  added.mutable_event()->set_author("cli:bob");
  *added.mutable_incident() = incident;
  return Event(event_id, events::kTimelineAdded, incident.id(), added);
}

Envelope Opened(const std::string& event_id, const std::string& id,
                std::vector<std::string> channels) {
  return Entry(event_id, Incident(id, std::move(channels)), "incident.opened", "Opened by cpu");
}

Envelope Timeline(const std::string& event_id, const std::string& incident_id,
                  const std::string& type, const std::string& message) {
  return Entry(event_id, Incident(incident_id, {"ops"}), type, message);
}

Envelope Resolved(const std::string& event_id, const std::string& id) {
  incidents::v1::Incident incident = Incident(id, {"ops"});
  incident.set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
  return Entry(event_id, incident, "incident.resolved", "");
}

v1::ChatChannel Slack(const std::string& name) {
  v1::ChatChannel c;
  c.set_name(name);
  c.mutable_slack()->set_webhook_url("https://hooks.slack.com/services/T0/B0/SECRET");
  return c;
}

class ChatCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(paging_store_, SqlitePagingStore::Open(":memory:", &clock_));
    store_ = std::make_unique<SqliteChatStore>(paging_store_->database(), &clock_);
    ChatOptions options;
    options.retry_base = absl::Seconds(4);
    options.max_attempts = 3;
    core_ = std::make_unique<ChatCore>(store_.get(), &clock_, &ids_, &random_, &sender_, options);
    ASSERT_OK(core_->PutChannel(Slack("ops"), false).status());
  }

  // Delivers everything due now, repeatedly (one head per channel a pass).
  void Drain() {
    for (int i = 0; i < 100; ++i) {
      ASSERT_OK_AND_ASSIGN(int n, core_->RunDueDeliveries());
      if (n == 0) return;
    }
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  FakeSender sender_;
  std::unique_ptr<SqlitePagingStore> paging_store_;
  std::unique_ptr<SqliteChatStore> store_;
  std::unique_ptr<ChatCore> core_;
};

TEST_F(ChatCoreTest, EveryUpdatePostedOnceInOrder) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("e2", "inc-1", "engagement.started", "Engaging alice")));
  ASSERT_OK(core_->HandleEvent(Timeline("e3", "inc-1", "note", "Rolling back")));
  ASSERT_OK(core_->HandleEvent(
      Timeline("e4", "inc-1", "page.acknowledged", "Acknowledged by sms:+15550001 (page pg-1)")));
  ASSERT_OK(core_->HandleEvent(Resolved("e5", "inc-1")));
  // Redelivered events post nothing twice.
  ASSERT_OK(core_->HandleEvent(Timeline("e3", "inc-1", "note", "Rolling back")));
  ASSERT_OK(core_->HandleEvent(Resolved("e5", "inc-1")));
  Drain();
  EXPECT_THAT(sender_.texts("ops"),
              ElementsAre("Incident opened: Checkout errors", "Engaging alice",
                          "Note by cli:bob: Rolling back",
                          "Acknowledged by sms:+15550001 (page pg-1)", "Incident resolved"));
  // Later posts are threaded under the first; the first shows the status.
  std::vector<FakeSender::Call> calls = sender_.calls();
  EXPECT_EQ(calls[0].thread, "");
  EXPECT_EQ(calls[1].thread, "ts-1");
  EXPECT_EQ(calls[4].thread, "ts-1");
  EXPECT_EQ(calls[3].status, "ACKNOWLEDGED by sms:+15550001 (page pg-1)");
  EXPECT_EQ(sender_.heads().back(), "ts-1 RESOLVED");
}

TEST_F(ChatCoreTest, OnlyThePlansChannelsAndUnknownIncidentsNothing) {
  ASSERT_OK(core_->PutChannel(Slack("other"), false).status());
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  // An incident whose plan names no chat channel posts nowhere.
  ASSERT_OK(core_->HandleEvent(Entry("e2", Incident("inc-9", {}), "note", "not ours")));
  Drain();
  EXPECT_EQ(sender_.texts("ops").size(), 1u);
  EXPECT_TRUE(sender_.texts("other").empty());
}

TEST_F(ChatCoreTest, TransientFailureHoldsTheChannelInOrder) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("e2", "inc-1", "note", "one")));
  sender_.FailNext(absl::UnavailableError("HTTP 503"));
  Drain();
  // The head failed: nothing behind it went.
  ASSERT_EQ(sender_.calls().size(), 1u);
  clock_.Advance(absl::Seconds(5));
  Drain();
  EXPECT_THAT(sender_.texts("ops"),
              ElementsAre("Incident opened: Checkout errors", "Incident opened: Checkout errors",
                          "Note by cli:bob: one"));
}

TEST_F(ChatCoreTest, RetryAfterIsHonoured) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  sender_.FailNext(WithRetryAfter(absl::ResourceExhaustedError("HTTP 429"), absl::Seconds(30)));
  Drain();
  clock_.Advance(absl::Seconds(20));
  Drain();
  EXPECT_EQ(sender_.calls().size(), 1u);
  clock_.Advance(absl::Seconds(11));
  Drain();
  EXPECT_EQ(sender_.calls().size(), 2u);
}

TEST_F(ChatCoreTest, PermanentFailureIsSetAsideAndTheChannelGoesOn) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("e2", "inc-1", "note", "one")));
  sender_.FailNext(absl::FailedPreconditionError("HTTP 404: channel_not_found"));
  Drain();
  EXPECT_EQ(sender_.calls().size(), 2u);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatPost> posts, core_->ListPosts("ops", "", 10));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[1].state(), v1::CHAT_POST_STATE_FAILED);
  EXPECT_THAT(posts[1].last_error(), HasSubstr("channel_not_found"));
  EXPECT_EQ(posts[0].state(), v1::CHAT_POST_STATE_SENT);
  // Replayed: posted again, at the end.
  ASSERT_OK_AND_ASSIGN(v1::ChatPost again, core_->RetryPost(posts[1].id()));
  Drain();
  EXPECT_EQ(sender_.texts("ops").back(), "Incident opened: Checkout errors");
  EXPECT_THAT(core_->RetryPost(posts[0].id()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
}

TEST_F(ChatCoreTest, OutOfAttemptsIsFailed) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  for (int i = 0; i < 3; ++i) sender_.FailNext(absl::UnavailableError("HTTP 503"));
  for (int i = 0; i < 4; ++i) {
    Drain();
    clock_.Advance(absl::Minutes(1));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatPost> posts, core_->ListPosts("ops", "inc-1", 10));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].state(), v1::CHAT_POST_STATE_FAILED);
  EXPECT_EQ(posts[0].attempts(), 3);
}

TEST_F(ChatCoreTest, MissingChannelIsAFailedPostNotAStall) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"nowhere", "ops"})));
  Drain();
  EXPECT_EQ(sender_.texts("ops").size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatPost> posts, core_->ListPosts("nowhere", "", 10));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].state(), v1::CHAT_POST_STATE_FAILED);
  EXPECT_THAT(posts[0].last_error(), HasSubstr("does not exist"));
}

TEST_F(ChatCoreTest, StormFoldsAlarmsOncePerMinute) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_OK(core_->HandleEvent(
        Timeline(absl::StrCat("a", i), "inc-1", "alarm", absl::StrCat("alarm ", i, " is ALARM"))));
    if (i % 100 == 0) Drain();
    clock_.Advance(absl::Milliseconds(50));  // 1,000 alarms in 50 s
  }
  Drain();
  // The opening and the first alarm at once; the other 999 wait for the minute.
  EXPECT_EQ(sender_.calls().size(), 2u);
  clock_.Advance(absl::Seconds(11));
  Drain();
  std::vector<std::string> texts = sender_.texts("ops");
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[1], "Alarm joined: alarm 0 is ALARM");
  EXPECT_THAT(texts[2], HasSubstr("999 more alarms joined"));
  EXPECT_THAT(texts[2], HasSubstr("alarm 1 is ALARM"));
  EXPECT_THAT(texts[2], HasSubstr("and 989 more"));
}

TEST_F(ChatCoreTest, AFoldWaitingGoesFirstWhenAnotherKindComes) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("a1", "inc-1", "alarm", "first")));
  ASSERT_OK(core_->HandleEvent(Timeline("a2", "inc-1", "alarm", "second")));
  ASSERT_OK(core_->HandleEvent(Resolved("r", "inc-1")));
  Drain();
  EXPECT_THAT(sender_.texts("ops"),
              ElementsAre("Incident opened: Checkout errors", "Alarm joined: first",
                          "1 more alarm joined\n• Alarm joined: second", "Incident resolved"));
}

TEST_F(ChatCoreTest, AnotherIncidentNeverWaitsBehindAStormsFold) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("a1", "inc-1", "alarm", "first")));
  ASSERT_OK(core_->HandleEvent(Timeline("a2", "inc-1", "alarm", "second")));
  Drain();
  ASSERT_EQ(sender_.calls().size(), 2u);  // the fold waits for its minute
  ASSERT_OK(core_->HandleEvent(Opened("e2", "inc-2", {"ops"})));
  Drain();
  EXPECT_THAT(sender_.texts("ops"),
              ElementsAre("Incident opened: Checkout errors", "Alarm joined: first",
                          "1 more alarm joined\n• Alarm joined: second",
                          "Incident opened: Checkout errors"));
}

TEST_F(ChatCoreTest, OnlyTheOpeningPostStartsAThread) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("e2", "inc-1", "note", "one")));
  ASSERT_OK(core_->HandleEvent(Timeline("e3", "inc-1", "engagement.started", "Engaging alice")));
  sender_.FailNext(absl::FailedPreconditionError("HTTP 404"));
  Drain();
  // The opening was set aside: the notes stand on their own, and no edit
  // ever replaces a note's text.
  std::vector<FakeSender::Call> calls = sender_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].thread, "");
  EXPECT_EQ(calls[2].thread, "");
  EXPECT_TRUE(sender_.heads().empty());
}

TEST_F(ChatCoreTest, AReplayedOldPostLeavesTheFirstMessageShowingTheStatusNow) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  ASSERT_OK(core_->HandleEvent(Timeline("e2", "inc-1", "engagement.started", "Engaging alice")));
  Drain();
  sender_.FailNext(absl::FailedPreconditionError("HTTP 403"));
  ASSERT_OK(core_->HandleEvent(Timeline("e3", "inc-1", "note", "set aside")));
  Drain();
  ASSERT_OK(core_->HandleEvent(Resolved("e4", "inc-1")));
  Drain();
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatPost> posts, core_->ListPosts("ops", "inc-1", 10));
  std::string failed;
  for (const auto& p : posts) {
    if (p.state() == v1::CHAT_POST_STATE_FAILED) failed = p.id();
  }
  ASSERT_FALSE(failed.empty());
  ASSERT_OK(core_->RetryPost(failed).status());
  Drain();
  EXPECT_EQ(sender_.texts("ops").back(), "Note by cli:bob: set aside");
  EXPECT_EQ(sender_.heads().back(), "ts-1 RESOLVED");
}

TEST_F(ChatCoreTest, RetentionPrunesPostsDoneAndKeepsWhatWaits) {
  ASSERT_OK(core_->HandleEvent(Opened("e1", "inc-1", {"ops"})));
  Drain();
  ASSERT_OK(core_->HandleEvent(Opened("e2", "inc-2", {"nowhere"})));  // FAILED: no channel
  sender_.FailNext(absl::UnavailableError("HTTP 503"));
  ASSERT_OK(core_->HandleEvent(Opened("e3", "inc-3", {"ops"})));
  Drain();  // inc-3's post waits for its retry
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(int64_t pruned, core_->Prune(clock_.Now()));
  EXPECT_GT(pruned, 0);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatPost> left, core_->ListPosts("", "", 10));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].incident_id(), "inc-3");
  EXPECT_EQ(left[0].state(), v1::CHAT_POST_STATE_PENDING);
}

TEST_F(ChatCoreTest, ChannelsAreValidatedAndSecretsNeverAnswered) {
  v1::ChatChannel bad;
  bad.set_name("x");
  EXPECT_THAT(core_->PutChannel(bad, false).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  ASSERT_OK_AND_ASSIGN(v1::ChatChannel got, core_->GetChannel("ops"));
  EXPECT_THAT(got.slack().webhook_url(), ::testing::Not(HasSubstr("SECRET")));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ChatChannel> all, core_->ListChannels());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_THAT(all[0].slack().webhook_url(), ::testing::Not(HasSubstr("SECRET")));
  // A dry run stores nothing.
  ASSERT_OK(core_->PutChannel(Slack("dry"), true).status());
  EXPECT_THAT(core_->GetChannel("dry").status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  ASSERT_OK(core_->DeleteChannel("ops"));
  EXPECT_THAT(core_->DeleteChannel("ops"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(ChatCoreTest, TestPostsNowAndAnswers) {
  ASSERT_OK_AND_ASSIGN(std::string answer, core_->TestChannel("ops"));
  EXPECT_EQ(answer, "HTTP 200");
  ASSERT_EQ(sender_.calls().size(), 1u);
  EXPECT_EQ(sender_.calls()[0].kind, "test");
  sender_.FailNext(absl::FailedPreconditionError("HTTP 403: invalid_token"));
  EXPECT_THAT(core_->TestChannel("ops").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("invalid_token")));
  EXPECT_THAT(core_->TestChannel("nope").status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace tocsin::paging
