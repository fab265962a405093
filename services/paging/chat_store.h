// ChatStore: the chat side of the paging service's state: chat channels, what
// each incident's posts need to know of it (ChatIncident), the posts waiting
// for or done with delivery, the Slack thread of each (channel, incident),
// and the inbox of consumed events. Same rules as PagingStore (store.h):
// everything happens inside Write() or Read() bodies; a Write() body is one
// transaction; keep network calls out of bodies; callable from any thread.
//
// Posts are ordered by insertion (a sequence column): per channel, the
// oldest PENDING post is its head, and nothing behind it is sent before it.
//
// Errors: Unavailable when the database is busy or locked (transient: retry
// later; nothing changed); DataLoss for a stored body that does not parse;
// other codes as the method says.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_STORE_H_
#define TOCSIN_SERVICES_PAGING_CHAT_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tocsin/paging/v1/chat.pb.h"

namespace tocsin::paging {

class ChatStore {
 public:
  class Tx {
   public:
    virtual ~Tx() = default;

    // Channels by name. PutChannel creates or replaces; DeleteChannel
    // answers whether there was one.
    virtual absl::StatusOr<std::optional<v1::ChatChannel>> GetChannel(const std::string& name) = 0;
    virtual absl::StatusOr<std::vector<v1::ChatChannel>> ListChannels() = 0;
    virtual absl::Status PutChannel(const v1::ChatChannel& channel) = 0;
    // Its Slack threads go with it.
    virtual absl::StatusOr<bool> DeleteChannel(const std::string& name) = 0;

    // What the chat side knows of an incident, by id.
    virtual absl::StatusOr<std::optional<v1::ChatIncident>> GetIncident(
        const std::string& id) = 0;
    virtual absl::Status PutIncident(const v1::ChatIncident& incident) = 0;

    // AlreadyExists if a post with that id exists.
    virtual absl::Status InsertPost(const v1::ChatPost& post) = 0;
    // Replaces the post's body and columns; NotFound if there is none.
    virtual absl::Status UpdatePost(const v1::ChatPost& post) = 0;
    virtual absl::StatusOr<std::optional<v1::ChatPost>> GetPost(const std::string& id) = 0;
    // The newest post of kind to (channel, incident), nullopt if none.
    virtual absl::StatusOr<std::optional<v1::ChatPost>> LastPost(const std::string& channel,
                                                                 const std::string& incident_id,
                                                                 const std::string& kind) = 0;
    // PENDING posts to channel (of any incident) whose next attempt is after
    // now (folds waiting for their minute, retries), oldest first.
    virtual absl::StatusOr<std::vector<v1::ChatPost>> WaitingPosts(const std::string& channel,
                                                                   absl::Time now) = 0;
    // Each channel's head (its oldest PENDING post) whose next attempt is
    // due at now, at most limit, channels in `busy` left out.
    virtual absl::StatusOr<std::vector<v1::ChatPost>> DueHeads(
        absl::Time now, int limit, const std::vector<std::string>& busy) = 0;
    // Newest first; an empty channel or incident id matches any.
    virtual absl::StatusOr<std::vector<v1::ChatPost>> ListPosts(const std::string& channel,
                                                                const std::string& incident_id,
                                                                int limit) = 0;
    virtual absl::StatusOr<int64_t> CountPosts(v1::ChatPostState state) = 0;

    // The provider id of the incident's first message in channel (Slack's
    // thread), "" if none yet.
    virtual absl::StatusOr<std::string> GetThread(const std::string& channel,
                                                  const std::string& incident_id) = 0;
    virtual absl::Status PutThread(const std::string& channel, const std::string& incident_id,
                                   const std::string& provider_id) = 0;

    // Deletes up to 1,000 SENT and FAILED posts created before `before`,
    // then the chat state and threads of incidents with no post left; how
    // many posts went.
    virtual absl::StatusOr<int64_t> PruneBefore(absl::Time before) = 0;

    // Records that consumer applied event_id: true the first time.
    virtual absl::StatusOr<bool> RecordInInbox(const std::string& consumer,
                                               const std::string& event_id) = 0;
  };

  virtual ~ChatStore() = default;
  virtual absl::Status Write(const std::function<absl::Status(Tx&)>& body) = 0;
  virtual absl::Status Read(const std::function<absl::Status(Tx&)>& body) = 0;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_STORE_H_
