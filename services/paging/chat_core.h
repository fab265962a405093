// ChatCore: keeps each incident's chat channels informed. It consumes the
// incidents' timelines in stream order (consumer kChatConsumer:
// timeline.added, each entry with its incident), turns each entry into at
// most one update (chat_updates.h) and queues one post per
// chat channel of the incident's response plan, in the same transaction as
// the inbox record: a redelivered event posts nothing twice.
//
// Order: per channel, posts go out one at a time in the order they were
// queued; a post that keeps failing transiently holds the ones behind it (so
// "resolved" never arrives before "opened"). A permanent failure (a revoked
// webhook, a chat channel that does not exist) sets the post aside as FAILED
// (metric tocsin_chat_posts_total{outcome="failed"}, `tocsin chat show`) and
// the channel goes on; RetryPost queues it again, at the end.
//
// Storms: a foldable update (chat_updates.h IsFoldable) of a kind already
// posted to the channel for the incident within fold_window is not posted on
// its own: it is folded into one post due when the window ends ("12 more
// alarms joined", with the first fold_lines of what they said), so a channel
// gets at most one post per update kind per incident per window. A folded
// post waiting for its window goes out at once when an update of another
// kind (of any incident: it holds the channel's queue) is queued behind it,
// so the order still holds. Updates fold only into a post not tried yet.
//
// Delivery: DispatchDueDeliveries (from a ticker) claims each idle channel's
// due head (a transaction: attempts+1, sending, due again after `lease`) and
// hands it to a worker, which calls the ChatSender outside any transaction
// and records the result (SENT with the platform's id; a transient failure
// retried after backoff with jitter, at least the platform's
// Retry-After; FAILED when permanent or after max_attempts). Slack app mode:
// the opening post of an incident to a channel starts its thread (the
// platform's id is kept), later posts go into the thread and then the first
// message is edited to show the incident's current status (UpdateHead; a
// failure there is logged and counted, never retried: the next post edits it
// again).
//
// Exactly once, and the window: a crash after the platform accepted a post
// and before its result committed posts it again once the lease expires,
// with the same Idempotency-Key (the post id). Slack, Teams, Chime and
// Mattermost webhooks do not honour the key, so such a crash can show one
// message twice; nothing is ever lost.
//
// Thread-safety: every method may be called from any thread.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_CORE_H_
#define TOCSIN_SERVICES_PAGING_CHAT_CORE_H_

#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/paging/chat_sender.h"
#include "services/paging/chat_store.h"
#include "services/paging/chat_updates.h"
#include "services/paging/random.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::paging {

// The durable consumer of timeline.added, also the inbox's consumer name.
inline constexpr char kChatConsumer[] = "paging-chat";

struct ChatOptions {
  ChatUpdateOptions updates;
  absl::Duration fold_window = absl::Minutes(1);
  // Lines of folded updates a folded post quotes.
  int fold_lines = 10;
  // Longer than the sender's timeout.
  absl::Duration lease = absl::Seconds(60);
  absl::Duration retry_base = absl::Seconds(5);
  absl::Duration retry_cap = absl::Minutes(5);
  // Attempts of one post before it is FAILED (about 4 hours at the cap).
  int max_attempts = 50;
  // Channels posted to at once.
  int workers = 4;
  // nullptr: a private registry.
  prometheus::Registry* registry = nullptr;
};

class ChatCore {
 public:
  // All pointers must outlive the core. Starts options.workers threads.
  ChatCore(ChatStore* store, const Clock* clock, IdGenerator* ids, Random* random,
           ChatSender* sender, ChatOptions options);
  ~ChatCore();
  ChatCore(const ChatCore&) = delete;
  ChatCore& operator=(const ChatCore&) = delete;

  // Creates or replaces a channel; InvalidArgument as ValidateChatChannel.
  // Answers the channel as stored, PublicChatChannel'd. dry_run: checks only.
  absl::StatusOr<v1::ChatChannel> PutChannel(v1::ChatChannel channel, bool dry_run);
  // NotFound when there is no such channel. Public views.
  absl::StatusOr<v1::ChatChannel> GetChannel(const std::string& name);
  absl::StatusOr<std::vector<v1::ChatChannel>> ListChannels();
  absl::Status DeleteChannel(const std::string& name);
  // Posts a test message to the channel now (not queued, not stored) and
  // answers what the platform said; NotFound, or the sender's error.
  absl::StatusOr<std::string> TestChannel(const std::string& name);

  // One timeline.added event (see the file comment). InvalidArgument
  // for a payload that does not parse; Unavailable when the database is busy.
  absl::Status HandleEvent(const ::tocsin::events::v1::Envelope& event);

  // Claims due heads for idle workers and returns at once: how many.
  absl::StatusOr<int> DispatchDueDeliveries();
  // DispatchDueDeliveries, then waits until they are recorded (tests).
  absl::StatusOr<int> RunDueDeliveries();
  void WaitForIdle();
  // Stops claiming; waits up to grace for posts in flight. Idempotent.
  void Shutdown(absl::Duration grace);

  // Newest first, at most limit (1-1000; 0 means 100).
  absl::StatusOr<std::vector<v1::ChatPost>> ListPosts(const std::string& channel,
                                                      const std::string& incident_id, int limit);
  // A FAILED post queued again at the end of its channel. NotFound;
  // FailedPrecondition when it is not FAILED.
  absl::StatusOr<v1::ChatPost> RetryPost(const std::string& post_id);
  // Retention (the host's pruner): posts done before `before`, and what only
  // they needed; how many rows went.
  absl::StatusOr<int64_t> Prune(absl::Time before);
  // PENDING posts, for the tocsin_chat_posts_waiting gauge.
  absl::StatusOr<double> CountPostsWaiting();

 private:
  struct Claimed {
    v1::ChatPost post;
    v1::ChatChannel channel;
    std::string thread_id;
    // The incident as the chat side knows it at the claim (for the status
    // edit of the first Slack message).
    v1::ChatIncident incident_now;
  };
  struct Pass {
    absl::Mutex mu;
    int remaining ABSL_GUARDED_BY(mu) = 0;
  };

  absl::Status Enqueue(ChatStore::Tx& tx, const std::string& channel,
                       const v1::ChatIncident& incident, const ChatUpdate& update,
                       const std::string& event_id, absl::Time now);
  absl::StatusOr<int> Dispatch(const std::shared_ptr<Pass>& pass);
  void Deliver(const Claimed& claimed);
  absl::Status Record(const Claimed& claimed, const absl::StatusOr<ChatSent>& result);
  absl::Duration RetryDelay(int attempts);
  void WorkerLoop();

  ChatStore* const store_;
  const Clock* const clock_;
  IdGenerator* const ids_;
  Random* const random_;
  ChatSender* const sender_;
  const ChatOptions options_;
  std::unique_ptr<prometheus::Registry> own_registry_;
  prometheus::Family<prometheus::Counter>* posts_;

  absl::Mutex dispatch_mu_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> busy_channels_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_workers_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_CORE_H_
