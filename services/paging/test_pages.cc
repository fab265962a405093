#include "services/paging/test_pages.h"

#include <sqlite3.h>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "libs/events/types.h"
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
  e.set_type(events::kPageRequested.name);
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

std::unique_ptr<DatabaseLock> DatabaseLock::Hold(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return nullptr;
  }
  char* error = nullptr;
  if (sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, &error) != SQLITE_OK) {
    ADD_FAILURE() << "cannot lock " << path << ": " << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
    return nullptr;
  }
  return std::unique_ptr<DatabaseLock>(new DatabaseLock(db));
}

DatabaseLock::~DatabaseLock() {
  sqlite3* db = static_cast<sqlite3*>(db_);
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

void CorruptPageBody(const std::string& path, const std::string& page_id) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE pages SET body = ? WHERE id = ?", -1, &stmt, nullptr),
            SQLITE_OK);
  // Field 1 (id, a string) holding 0xFF: proto3 refuses it.
  const std::string garbage = "\x0a\x02\xff\xfe";
  sqlite3_bind_blob(stmt, 1, garbage.data(), static_cast<int>(garbage.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, page_id.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
  EXPECT_EQ(sqlite3_changes(db), 1) << "no page " << page_id;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : metric.label) got[l.name] = l.value;
      if (got != labels) continue;
      return family.type == prometheus::MetricType::Gauge ? metric.gauge.value
                                                          : metric.counter.value;
    }
  }
  return -1;
}

}  // namespace tocsin::paging
