// Test inputs and probes for the paging service's tests (testonly): the
// page.requested envelopes escalation would send, and the events a store
// has queued in its outbox.
//
//   Envelope e = PageRequestedEvent("evt-1", "pg-1", EmailChannel("alice@example.com"));
//   ASSERT_OK(core.HandlePageRequested(e));
//   EXPECT_THAT(OutboxTypes(*store), ElementsAre("page.sent", "page.delivered"));
#ifndef TOCSIN_SERVICES_PAGING_TEST_PAGES_H_
#define TOCSIN_SERVICES_PAGING_TEST_PAGES_H_

#include <string>
#include <vector>

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

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_TEST_PAGES_H_
