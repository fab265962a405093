// Test inputs and probes for the paging service's tests (testonly): the
// page.requested envelopes escalation would send, and the events a store
// has queued in its outbox.
//
//   Envelope e = PageRequestedEvent("evt-1", "pg-1", EmailChannel("alice@example.com"));
//   ASSERT_OK(core.HandlePageRequested(e));
//   EXPECT_THAT(OutboxTypes(*store), ElementsAre(kSent, kDelivered));
#ifndef TOCSIN_SERVICES_PAGING_TEST_PAGES_H_
#define TOCSIN_SERVICES_PAGING_TEST_PAGES_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prometheus/registry.h"

#include "services/paging/sqlite_store.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::paging {

escalation::v1::ContactChannel EmailChannel(const std::string& address);
escalation::v1::ContactChannel WebhookChannel(const std::string& url);

// A page.requested for incident "inc-1", engagement "eng-1", contact
// "alice", stage 0, titled "Database down" with impact 1.
Envelope PageRequestedEvent(const std::string& event_id, const std::string& page_id,
                            const escalation::v1::ContactChannel& channel);

// Every event in the store's outbox, in commit order (a read error fails
// the test).
std::vector<Envelope> OutboxEvents(SqlitePagingStore& store);
// Their types.
std::vector<std::string> OutboxTypes(SqlitePagingStore& store);

// A second SQLite connection to the database file at path that holds BEGIN
// EXCLUSIVE until destroyed (a backup or a long write by another process).
class DatabaseLock {
 public:
  // Fails the test (and answers nullptr) when the lock cannot be taken.
  static std::unique_ptr<DatabaseLock> Hold(const std::string& path);
  ~DatabaseLock();

 private:
  explicit DatabaseLock(void* db) : db_(db) {}
  void* db_;  // sqlite3*
};

// Overwrites the stored body of page_id, through a second connection, with
// bytes that do not parse as a Page (invalid UTF-8 in a string field).
void CorruptPageBody(const std::string& path, const std::string& page_id);

// The value of the metric named name with exactly these labels, or -1 when
// there is none.
double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels = {});

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_TEST_PAGES_H_
