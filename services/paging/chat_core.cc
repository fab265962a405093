#include "services/paging/chat_core.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/events/types.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "services/paging/chat_channels.h"
#include "services/paging/code_limiter.h"

namespace tocsin::paging {
namespace {

using ::tocsin::events::v1::Envelope;

// The incident an event is about: the envelope's, else the timeline
// entry's.
std::string IncidentIdOf(const Envelope& event) {
  if (!event.incident_id().empty()) return event.incident_id();
  absl::StatusOr<incidents::v1::TimelineAdded> added =
      events::Payload(event, events::kTimelineAdded);
  return added.ok() ? added->event().incident_id() : std::string();
}

v1::ChatPost NewPost(const std::string& id, const std::string& channel,
                     const v1::ChatIncident& incident, const std::string& kind, absl::Time now) {
  v1::ChatPost post;
  post.set_id(id);
  post.set_channel(channel);
  post.set_incident_id(incident.id());
  post.set_kind(kind);
  post.set_state(v1::CHAT_POST_STATE_PENDING);
  *post.mutable_create_time() = ToProtoTime(now);
  *post.mutable_incident() = incident;
  // The incident's own channel list is not the post's business.
  post.mutable_incident()->clear_channels();
  return post;
}

}  // namespace

ChatCore::ChatCore(ChatStore* store, const Clock* clock, IdGenerator* ids, Random* random,
                   ChatSender* sender, ChatOptions options)
    : store_(store),
      clock_(clock),
      ids_(ids),
      random_(random),
      sender_(sender),
      options_(std::move(options)) {
  prometheus::Registry* registry = options_.registry;
  if (registry == nullptr) {
    own_registry_ = std::make_unique<prometheus::Registry>();
    registry = own_registry_.get();
  }
  posts_ = &prometheus::BuildCounter()
                .Name("tocsin_chat_posts_total")
                .Help("Chat post attempts by outcome: sent, retry (transient failure), failed "
                      "(set aside), head_update_failed (Slack status edit).")
                .Register(*registry);
  for (const char* outcome : {"sent", "retry", "failed", "head_update_failed"}) {
    posts_->Add({{"outcome", outcome}});
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

ChatCore::~ChatCore() {
  Shutdown(absl::ZeroDuration());
  {
    absl::MutexLock lock(&mu_);
    stop_workers_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

absl::StatusOr<v1::ChatChannel> ChatCore::PutChannel(v1::ChatChannel channel, bool dry_run) {
  RETURN_IF_ERROR(ValidateChatChannel(channel));
  const absl::Time now = clock_->Now();
  RETURN_IF_ERROR(store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::ChatChannel> before, tx.GetChannel(channel.name()));
    *channel.mutable_create_time() =
        before.has_value() ? before->create_time() : ToProtoTime(now);
    *channel.mutable_update_time() = ToProtoTime(now);
    if (dry_run) return absl::OkStatus();
    return tx.PutChannel(channel);
  }));
  return PublicChatChannel(std::move(channel));
}

absl::StatusOr<v1::ChatChannel> ChatCore::GetChannel(const std::string& name) {
  std::optional<v1::ChatChannel> found;
  RETURN_IF_ERROR(store_->Read([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(found, tx.GetChannel(name));
    return absl::OkStatus();
  }));
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat("chat channel \"", name, "\" does not exist"));
  }
  return PublicChatChannel(*std::move(found));
}

absl::StatusOr<std::vector<v1::ChatChannel>> ChatCore::ListChannels() {
  std::vector<v1::ChatChannel> out;
  RETURN_IF_ERROR(store_->Read([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, tx.ListChannels());
    return absl::OkStatus();
  }));
  for (v1::ChatChannel& c : out) c = PublicChatChannel(std::move(c));
  return out;
}

absl::Status ChatCore::DeleteChannel(const std::string& name) {
  bool deleted = false;
  RETURN_IF_ERROR(store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(deleted, tx.DeleteChannel(name));
    return absl::OkStatus();
  }));
  if (!deleted) {
    return absl::NotFoundError(absl::StrCat("chat channel \"", name, "\" does not exist"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChatCore::TestChannel(const std::string& name) {
  std::optional<v1::ChatChannel> channel;
  RETURN_IF_ERROR(store_->Read([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(channel, tx.GetChannel(name));
    return absl::OkStatus();
  }));
  if (!channel.has_value()) {
    return absl::NotFoundError(absl::StrCat("chat channel \"", name, "\" does not exist"));
  }
  const absl::Time now = clock_->Now();
  v1::ChatIncident incident;
  incident.set_id("test");
  incident.set_title(absl::StrCat("Test message from Tocsin to chat channel ", name));
  incident.set_impact(5);
  incident.set_status("TEST");
  incident.set_summary("If you can read this, incident updates will reach this channel.");
  v1::ChatPost post = NewPost(ids_->Next("cpt"), name, incident, kChatTest, now);
  post.set_text(incident.title());
  absl::StatusOr<ChatSent> sent = sender_->Post(*channel, post, "");
  if (!sent.ok()) {
    return absl::Status(sent.status().code(),
                        text::UntrustedLine(sent.status().message(), text::kMaxDetailBytes));
  }
  return sent->answer.empty() ? std::string("accepted") : sent->answer;
}

absl::Status ChatCore::HandleEvent(const Envelope& event) {
  if (!events::Is(event, events::kTimelineAdded)) return absl::OkStatus();
  const std::string incident_id = IncidentIdOf(event);
  const absl::Time now = clock_->Now();
  return store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kChatConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    std::optional<v1::ChatIncident> incident;
    if (!incident_id.empty()) {
      ASSIGN_OR_RETURN(incident, tx.GetIncident(incident_id));
    }
    const std::optional<v1::ChatIncident> before = incident;
    ASSIGN_OR_RETURN(std::vector<ChatUpdate> updates,
                     ChatUpdatesFor(event, incident, options_.updates));
    if (!incident.has_value()) return absl::OkStatus();
    if (incident->id().empty()) incident->set_id(incident_id);
    // Incidents without chat channels are not kept.
    if (!before.has_value() && incident->channels().empty()) return absl::OkStatus();
    if (!before.has_value() || before->SerializeAsString() != incident->SerializeAsString()) {
      RETURN_IF_ERROR(tx.PutIncident(*incident));
    }
    for (const ChatUpdate& update : updates) {
      for (const std::string& channel : incident->channels()) {
        RETURN_IF_ERROR(Enqueue(tx, channel, *incident, update, event.event_id(), now));
      }
    }
    return absl::OkStatus();
  });
}

absl::Status ChatCore::Enqueue(ChatStore::Tx& tx, const std::string& channel,
                               const v1::ChatIncident& incident, const ChatUpdate& update,
                               const std::string& event_id, absl::Time now) {
  // Folds waiting for their window (of this incident or another: they hold
  // the channel's queue) go first, now; a fold of this kind and incident
  // not tried yet takes this update.
  ASSIGN_OR_RETURN(std::vector<v1::ChatPost> waiting, tx.WaitingPosts(channel, now));
  std::optional<v1::ChatPost> same_kind_waiting;
  for (v1::ChatPost& w : waiting) {
    if (w.sending() || w.attempts() > 0 || w.folded() == 0) continue;
    if (w.kind() == update.kind && w.incident_id() == incident.id()) {
      same_kind_waiting = w;
      continue;
    }
    {
      *w.mutable_next_attempt() = ToProtoTime(now);
      *w.mutable_not_before() = ToProtoTime(now);
      RETURN_IF_ERROR(tx.UpdatePost(w));
    }
  }
  if (IsFoldable(update.kind)) {
    if (same_kind_waiting.has_value()) {
      v1::ChatPost& fold = *same_kind_waiting;
      fold.set_folded(fold.folded() + 1);
      if (fold.folded_lines_size() < options_.fold_lines) fold.add_folded_lines(update.text);
      fold.set_text(FoldedText(fold.kind(), fold.folded(),
                               {fold.folded_lines().begin(), fold.folded_lines().end()}));
      *fold.mutable_incident() = incident;
      fold.mutable_incident()->clear_channels();
      return tx.UpdatePost(fold);
    }
    ASSIGN_OR_RETURN(std::optional<v1::ChatPost> last, tx.LastPost(channel, incident.id(),
                                                                    update.kind));
    if (last.has_value()) {
      const absl::Time last_time = FromProtoTime(last->not_before());
      if (now < last_time + options_.fold_window) {
        v1::ChatPost fold = NewPost(ids_->Next("cp"), channel, incident, update.kind, now);
        fold.set_folded(1);
        fold.add_folded_lines(update.text);
        fold.set_text(FoldedText(update.kind, 1, {update.text}));
        const absl::Time due = last_time + options_.fold_window;
        *fold.mutable_not_before() = ToProtoTime(due);
        *fold.mutable_next_attempt() = ToProtoTime(due);
        return tx.InsertPost(fold);
      }
    }
  }
  v1::ChatPost post = NewPost(ids_->Next("cp"), channel, incident, update.kind, now);
  post.set_text(update.text);
  post.set_source_event_id(event_id);
  *post.mutable_not_before() = ToProtoTime(now);
  *post.mutable_next_attempt() = ToProtoTime(now);
  return tx.InsertPost(post);
}

absl::StatusOr<int> ChatCore::DispatchDueDeliveries() { return Dispatch(nullptr); }

absl::StatusOr<int> ChatCore::RunDueDeliveries() {
  auto pass = std::make_shared<Pass>();
  absl::StatusOr<int> n = Dispatch(pass);
  absl::MutexLock lock(&pass->mu);
  pass->mu.Await(absl::Condition(
      +[](Pass* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu) { return p->remaining == 0; },
      pass.get()));
  return n;
}

absl::StatusOr<int> ChatCore::Dispatch(const std::shared_ptr<Pass>& pass) {
  absl::MutexLock dispatch(&dispatch_mu_);
  std::vector<std::string> busy;
  int idle = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return 0;
    busy.assign(busy_channels_.begin(), busy_channels_.end());
    idle = static_cast<int>(workers_.size()) - in_flight_;
  }
  if (idle <= 0) return 0;
  const absl::Time now = clock_->Now();
  std::vector<Claimed> claimed;
  RETURN_IF_ERROR(store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
    claimed.clear();
    ASSIGN_OR_RETURN(std::vector<v1::ChatPost> heads, tx.DueHeads(now, idle, busy));
    for (v1::ChatPost& post : heads) {
      ASSIGN_OR_RETURN(std::optional<v1::ChatChannel> channel, tx.GetChannel(post.channel()));
      if (!channel.has_value()) {
        post.set_state(v1::CHAT_POST_STATE_FAILED);
        post.set_last_error(absl::StrCat("chat channel \"", post.channel(),
                                         "\" does not exist: create it (tocsin apply), then "
                                         "`tocsin chat retry ", post.id(), "`"));
        post.clear_next_attempt();
        posts_->Add({{"outcome", "failed"}}).Increment();
        log::Warn("chat post set aside: no such chat channel",
                  {{"post_id", post.id()}, {"channel", post.channel()},
                   {"incident_id", post.incident_id()}});
        RETURN_IF_ERROR(tx.UpdatePost(post));
        continue;
      }
      post.set_attempts(post.attempts() + 1);
      post.set_sending(true);
      *post.mutable_next_attempt() = ToProtoTime(now + options_.lease);
      RETURN_IF_ERROR(tx.UpdatePost(post));
      ASSIGN_OR_RETURN(std::string thread, tx.GetThread(post.channel(), post.incident_id()));
      ASSIGN_OR_RETURN(std::optional<v1::ChatIncident> now_incident,
                       tx.GetIncident(post.incident_id()));
      v1::ChatIncident current = now_incident.has_value() ? *now_incident : post.incident();
      current.clear_channels();
      claimed.push_back({post, *std::move(channel), std::move(thread), std::move(current)});
    }
    return absl::OkStatus();
  }));
  {
    absl::MutexLock lock(&mu_);
    // Shutdown began while this pass claimed: the claimed posts are sent
    // again after their lease, by this process or the next.
    if (stopping_) return 0;
    for (Claimed& c : claimed) {
      busy_channels_.insert(c.post.channel());
      ++in_flight_;
      if (pass != nullptr) {
        absl::MutexLock p(&pass->mu);
        ++pass->remaining;
      }
      queue_.push_back([this, c = std::move(c), pass] {
        Deliver(c);
        {
          absl::MutexLock lock(&mu_);
          busy_channels_.erase(c.post.channel());
          --in_flight_;
        }
        if (pass != nullptr) {
          absl::MutexLock p(&pass->mu);
          --pass->remaining;
        }
      });
    }
  }
  return static_cast<int>(claimed.size());
}

void ChatCore::Deliver(const Claimed& claimed) {
  absl::StatusOr<ChatSent> sent = sender_->Post(claimed.channel, claimed.post, claimed.thread_id);
  // The result first (the shorter the window between the platform's answer
  // and the record, the rarer a repeat after a crash), then the status edit.
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    absl::Status recorded = Record(claimed, sent);
    if (recorded.ok()) break;
    if (!IsTransient(recorded)) {
      log::Error("could not record a chat post's result",
                 {{"post_id", claimed.post.id()}, {"error", std::string(recorded.message())}});
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (stop_workers_) return;  // posted again after the lease
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  if (sent.ok() && !claimed.thread_id.empty()) {
    // The first message shows the incident as it is now, not as this post
    // (maybe a replayed old one) saw it.
    v1::ChatPost head_view = claimed.post;
    *head_view.mutable_incident() = claimed.incident_now;
    absl::Status head = sender_->UpdateHead(claimed.channel, head_view, claimed.thread_id);
    if (!head.ok()) {
      posts_->Add({{"outcome", "head_update_failed"}}).Increment();
      log::Warn("could not update the incident's first chat message",
                {{"post_id", claimed.post.id()}, {"channel", claimed.post.channel()},
                 {"incident_id", claimed.post.incident_id()},
                 {"error", text::UntrustedLine(head.message(), text::kMaxDetailBytes)}});
    }
  }
}

absl::Status ChatCore::Record(const Claimed& claimed, const absl::StatusOr<ChatSent>& result) {
  const absl::Time now = clock_->Now();
  return store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::ChatPost> found, tx.GetPost(claimed.post.id()));
    if (!found.has_value()) return absl::OkStatus();
    v1::ChatPost& post = *found;
    post.set_sending(false);
    if (result.ok()) {
      post.set_state(v1::CHAT_POST_STATE_SENT);
      post.clear_next_attempt();
      post.clear_last_error();
      *post.mutable_sent_time() = ToProtoTime(now);
      post.set_provider_id(text::Untrusted(result->provider_id, 512));
      posts_->Add({{"outcome", "sent"}}).Increment();
      // Only the opening message starts a thread: a later post (its opening
      // set aside) stays on its own, so no edit ever replaces its text.
      if (claimed.thread_id.empty() && !result->provider_id.empty() &&
          post.kind() == kChatOpened) {
        RETURN_IF_ERROR(tx.PutThread(post.channel(), post.incident_id(), post.provider_id()));
      }
      return tx.UpdatePost(post);
    }
    const absl::Status& error = result.status();
    post.set_last_error(text::UntrustedLine(error.ToString(), text::kMaxDetailBytes));
    if (IsTransient(error) && post.attempts() < options_.max_attempts) {
      absl::Duration delay = RetryDelay(post.attempts());
      if (std::optional<absl::Duration> after = RetryAfter(error); after.has_value()) {
        delay = std::max(delay, *after);
      }
      *post.mutable_next_attempt() = ToProtoTime(now + delay);
      posts_->Add({{"outcome", "retry"}}).Increment();
      log::Warn("chat post failed; will retry",
                {{"post_id", post.id()}, {"channel", post.channel()},
                 {"incident_id", post.incident_id()}, {"error", post.last_error()},
                 {"retry_in", absl::FormatDuration(delay)}});
    } else {
      post.set_state(v1::CHAT_POST_STATE_FAILED);
      post.clear_next_attempt();
      posts_->Add({{"outcome", "failed"}}).Increment();
      log::Error("chat post set aside as FAILED",
                 {{"post_id", post.id()}, {"channel", post.channel()},
                  {"incident_id", post.incident_id()}, {"error", post.last_error()}});
    }
    return tx.UpdatePost(post);
  });
}

absl::Duration ChatCore::RetryDelay(int attempts) {
  absl::Duration d = options_.retry_base;
  for (int i = 1; i < attempts && d < options_.retry_cap; ++i) d *= 2;
  d = std::min(d, options_.retry_cap);
  const int64_t ms = absl::ToInt64Milliseconds(d);
  // Jitter between half and the whole delay: spread out, never much sooner.
  return absl::Milliseconds(ms / 2 + static_cast<int64_t>(random_->Below(ms / 2 + 1)));
}

void ChatCore::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ChatCore* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
            return !c->queue_.empty() || c->stop_workers_;
          },
          this));
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

void ChatCore::WaitForIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ChatCore* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return c->in_flight_ == 0; },
      this));
}

void ChatCore::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  mu_.AwaitWithTimeout(
      absl::Condition(
          +[](ChatCore* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return c->in_flight_ == 0; },
          this),
      grace);
}

absl::StatusOr<std::vector<v1::ChatPost>> ChatCore::ListPosts(const std::string& channel,
                                                              const std::string& incident_id,
                                                              int limit) {
  if (limit == 0) limit = 100;
  if (limit < 0 || limit > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be 1 to 1000, got ", limit));
  }
  std::vector<v1::ChatPost> out;
  RETURN_IF_ERROR(store_->Read([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, tx.ListPosts(channel, incident_id, limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::ChatPost> ChatCore::RetryPost(const std::string& post_id) {
  const absl::Time now = clock_->Now();
  v1::ChatPost out;
  RETURN_IF_ERROR(store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::ChatPost> found, tx.GetPost(post_id));
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("chat post \"", post_id, "\" does not exist"));
    }
    if (found->state() != v1::CHAT_POST_STATE_FAILED) {
      return absl::FailedPreconditionError(
          absl::StrCat("chat post ", post_id, " is not FAILED; nothing to retry"));
    }
    // Queued again as a new post at the end of its channel (order: posts
    // behind it went on while it was set aside).
    v1::ChatPost again = *found;
    again.set_id(ids_->Next("cp"));
    again.set_state(v1::CHAT_POST_STATE_PENDING);
    again.set_attempts(0);
    again.clear_last_error();
    again.set_sending(false);
    *again.mutable_create_time() = ToProtoTime(now);
    *again.mutable_not_before() = ToProtoTime(now);
    *again.mutable_next_attempt() = ToProtoTime(now);
    RETURN_IF_ERROR(tx.InsertPost(again));
    found->set_last_error(absl::StrCat(found->last_error(), " (retried as ", again.id(), ")"));
    RETURN_IF_ERROR(tx.UpdatePost(*found));
    out = again;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> ChatCore::Prune(absl::Time before) {
  // In batches, so the database is never held for long.
  int64_t total = 0;
  while (true) {
    int64_t n = 0;
    RETURN_IF_ERROR(store_->Write([&](ChatStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(n, tx.PruneBefore(before));
      return absl::OkStatus();
    }));
    total += n;
    if (n < 1000) return total;
  }
}

absl::StatusOr<double> ChatCore::CountPostsWaiting() {
  int64_t n = 0;
  RETURN_IF_ERROR(store_->Read([&](ChatStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(n, tx.CountPosts(v1::CHAT_POST_STATE_PENDING));
    return absl::OkStatus();
  }));
  return static_cast<double>(n);
}

}  // namespace tocsin::paging
