// PagingStore: the paging service's state (pages with their delivery
// attempts, the inbox of consumed events, the outbox of emitted ones, the
// wrong accept codes counted per source), behind a narrow interface so the
// same logic runs on SQLite (sqlite_store.h) and, later, PostgreSQL.
//
// Everything happens inside Write() or Read() bodies. A Write() body is one
// database transaction: the page's state change, the inbox record of the
// event that caused it and the events it emits commit together or not at
// all. Keep network calls (deliveries) out of bodies. Write() and Read() may
// be called from any thread.
//
// A page is stored as a serialized Page with columns beside it (id,
// incident_id, state, next_attempt, create_time) that queries filter on. The
// state column is authoritative: a page read back carries the column's state,
// so a page set aside by its columns alone (its body unreadable) reads as
// FAILED. A body that does not parse (bad bytes written by an older version,
// a disk fault) is DataLoss naming the page; the columns stay readable
// through GetPageRow / ListPages.
//
// Errors: Unavailable when the database is busy or locked (transient: retry
// later; nothing changed); DataLoss for an unreadable page body; other codes
// as the method says.
#ifndef TOCSIN_SERVICES_PAGING_STORE_H_
#define TOCSIN_SERVICES_PAGING_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::paging {

using ::tocsin::events::v1::Envelope;
using ::tocsin::paging::v1::Page;

// A page's row: what its columns say, and its body when that parses.
struct PageRow {
  std::string id;
  std::string incident_id;
  v1::PageState state = v1::PAGE_STATE_UNSPECIFIED;
  absl::Time create_time;
  // The stored page (with the column's state), or DataLoss naming the page
  // when its body does not parse.
  absl::StatusOr<Page> page;
};

class PagingStore {
 public:
  // Operations valid only inside a Write() or Read() body.
  class Tx {
   public:
    virtual ~Tx() = default;

    // nullopt when there is no such page; DataLoss when its body does not
    // parse.
    virtual absl::StatusOr<std::optional<Page>> GetPage(const std::string& id) = 0;
    // The page's row even when its body does not parse; nullopt when there
    // is no such page.
    virtual absl::StatusOr<std::optional<PageRow>> GetPageRow(const std::string& id) = 0;
    // AlreadyExists if a page with that id exists.
    virtual absl::Status InsertPage(const Page& page) = 0;
    // Replaces the page's body and columns. NotFound if there is no such page.
    virtual absl::Status UpdatePage(const Page& page) = 0;
    // Sets only the state column (and clears next_attempt), leaving the body
    // as it is: how a page whose body cannot be read or rewritten is set
    // aside. NotFound if there is no such page.
    virtual absl::Status SetPageStateColumn(const std::string& id, v1::PageState state) = 0;
    // The incident's pages, oldest first, unreadable ones included.
    virtual absl::StatusOr<std::vector<PageRow>> ListPages(const std::string& incident_id) = 0;
    // Pages sent to an SMS or voice number (the channel's E.164 number),
    // created at or after `since`, newest first, at most limit (unreadable
    // ones included).
    virtual absl::StatusOr<std::vector<PageRow>> ListPagesTo(const std::string& number,
                                                             absl::Time since, int limit) = 0;
    // PENDING pages to an SMS or voice number (either kind), oldest first
    // (create time, then id), at most limit; unreadable ones included.
    virtual absl::StatusOr<std::vector<PageRow>> ListPendingPagesTo(const std::string& number,
                                                                    int limit) = 0;
    // Ids of PENDING pages whose next attempt is due at `now`, most overdue
    // first, at most limit.
    virtual absl::StatusOr<std::vector<std::string>> DuePageIds(absl::Time now, int limit) = 0;
    // How many pages are in `state` now.
    virtual absl::StatusOr<int64_t> CountPages(v1::PageState state) = 0;

    // Wrong accept codes, counted per source (a client address, a gRPC
    // peer): RecordWrongCode notes one at `time`; WrongCodesSince lists the
    // source's since `since` (exclusive), oldest first; PruneWrongCodes
    // forgets every source's at or before `before`.
    virtual absl::Status RecordWrongCode(const std::string& source, absl::Time time) = 0;
    virtual absl::StatusOr<std::vector<absl::Time>> WrongCodesSince(const std::string& source,
                                                                    absl::Time since) = 0;
    virtual absl::Status PruneWrongCodes(absl::Time before) = 0;

    // Messages sent to a destination, for its rate limits: RecordSend notes
    // attempt `attempt` of page_id to `destination` on channel kind `kind`
    // ("sms", "voice") at `time`, when it is claimed (so deliveries in flight
    // count); ForgetSend removes it again when that attempt failed;
    // SendsSince lists the times of the destination's sends of that kind
    // after `since` (exclusive), oldest first; PruneSends forgets every send
    // at or before `before` and answers how many went.
    virtual absl::Status RecordSend(const std::string& kind, const std::string& destination,
                                    const std::string& page_id, int attempt, absl::Time time) = 0;
    virtual absl::Status ForgetSend(const std::string& page_id, int attempt) = 0;
    virtual absl::StatusOr<std::vector<absl::Time>> SendsSince(const std::string& kind,
                                                               const std::string& destination,
                                                               absl::Time since) = 0;
    virtual absl::StatusOr<int64_t> PruneSends(absl::Time before) = 0;

    // Records that consumer applied event_id: true the first time, false if
    // it had been recorded before (skip the event).
    virtual absl::StatusOr<bool> RecordInInbox(const std::string& consumer,
                                               const std::string& event_id) = 0;
    // Queues an event for publication; it is published after commit.
    virtual absl::Status Emit(const Envelope& event) = 0;
  };

  virtual ~PagingStore() = default;
  virtual absl::Status Write(const std::function<absl::Status(Tx&)>& body) = 0;
  virtual absl::Status Read(const std::function<absl::Status(Tx&)>& body) = 0;
  // Readiness: the database answers.
  virtual absl::Status Ping() = 0;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_STORE_H_
