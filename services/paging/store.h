// PagingStore: the paging service's state (pages with their delivery
// attempts, the inbox of consumed events, the outbox of emitted ones),
// behind a narrow interface so the same logic runs on SQLite
// (sqlite_store.h) and, later, PostgreSQL.
//
// Everything happens inside Write() or Read() bodies. A Write() body is one
// database transaction: the page's state change, the inbox record of the
// event that caused it and the events it emits commit together or not at
// all. Keep network calls (deliveries) out of bodies.
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

class PagingStore {
 public:
  // Operations valid only inside a Write() or Read() body.
  class Tx {
   public:
    virtual ~Tx() = default;

    virtual absl::StatusOr<std::optional<Page>> GetPage(const std::string& id) = 0;
    // AlreadyExists if a page with that id exists.
    virtual absl::Status InsertPage(const Page& page) = 0;
    // NotFound if there is no such page.
    virtual absl::Status UpdatePage(const Page& page) = 0;
    // The incident's pages, oldest first.
    virtual absl::StatusOr<std::vector<Page>> ListPages(const std::string& incident_id) = 0;
    // Ids of PENDING pages whose next attempt is due at `now`, most overdue
    // first, at most limit.
    virtual absl::StatusOr<std::vector<std::string>> DuePageIds(absl::Time now, int limit) = 0;

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
