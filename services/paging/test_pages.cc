#include "services/paging/test_pages.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "libs/status/status_macros.h"

namespace tocsin::paging {

escalation::v1::ContactChannel EmailChannel(const std::string& address) {
  escalation::v1::ContactChannel c;
  c.set_name("work-email");
  c.mutable_email()->set_address(address);
  return c;
}

escalation::v1::ContactChannel WebhookChannel(const std::string& url) {
  escalation::v1::ContactChannel c;
  c.set_name("pager-hook");
  c.mutable_webhook()->set_url(url);
  return c;
}

Envelope PageRequestedEvent(const std::string& event_id, const std::string& page_id,
                            const escalation::v1::ContactChannel& channel) {
  escalation::v1::PageRequested r;
  r.set_page_id(page_id);
  r.set_incident_id("inc-1");
  r.set_engagement_id("eng-1");
  r.set_contact("alice");
  *r.mutable_channel() = channel;
  r.set_incident_title("Database down");
  r.set_impact(1);
  r.set_summary("Primary database is not answering.\nFailover did not start.");
  r.set_stage(0);
  Envelope e;
  e.set_event_id(event_id);
  e.set_type("page.requested");
  e.set_source("escalation");
  e.set_incident_id("inc-1");
  e.mutable_payload()->PackFrom(r);
  return e;
}

std::vector<Envelope> OutboxEvents(SqlitePagingStore& store) {
  std::vector<Envelope> events;
  absl::Status s = store.database()->Read([&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto q, store.database()->Prepare("SELECT envelope FROM outbox ORDER BY seq"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Envelope e;
      if (!e.ParseFromString(q.ColumnBlob(0))) return absl::DataLossError("bad outbox row");
      events.push_back(std::move(e));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) ADD_FAILURE() << "cannot read the outbox: " << s;
  return events;
}

std::vector<std::string> OutboxTypes(SqlitePagingStore& store) {
  std::vector<std::string> types;
  for (const Envelope& e : OutboxEvents(store)) types.push_back(e.type());
  return types;
}

}  // namespace tocsin::paging
