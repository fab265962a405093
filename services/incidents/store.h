// IncidentStore: the incidents service's state, behind a narrow interface so
// the same logic runs on SQLite (sqlite_store.h) and, later, PostgreSQL.
//
// Everything happens inside Write() or Read() bodies. A Write() body is one
// database transaction: the state change, the ingest record (the idempotency
// key of an alarm) and the outgoing events (outbox) commit together or not at
// all. That transaction is Tocsin's commit point.
#ifndef TOCSIN_SERVICES_INCIDENTS_STORE_H_
#define TOCSIN_SERVICES_INCIDENTS_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::incidents {

using ::tocsin::events::v1::Envelope;
using ::tocsin::incidents::v1::Incident;
using ::tocsin::incidents::v1::ResponsePlan;
using ::tocsin::incidents::v1::IngestAlarmResponse;
using ::tocsin::incidents::v1::TimelineEvent;
using ::tocsin::incidents::v1::UnmatchedAlarm;

// What became of an ingested alarm; kept so a redelivery answers the same.
struct IngestRecord {
  std::string event_id;
  IngestAlarmResponse response;
  absl::Time received;
};

struct IncidentFilter {
  v1::IncidentStatus status = v1::INCIDENT_STATUS_UNSPECIFIED;  // any
  std::string response_plan;                                     // any if empty
  absl::Time created_after = absl::InfinitePast();
  // Only ids lower than this (pagination; ids sort by creation time).
  std::string before_id;
  int limit = 100;
};

// Listing pages of records that hold alarms stop after this many bytes, so
// an answer stays well within gRPC's 4 MiB message limit whatever the alarms
// hold (an alarm may be up to the gateway's body limit, 1 MiB by default).
inline constexpr size_t kMaxPageBytes = 2 << 20;

// Rows in order, each with its position for the next page.
template <typename T>
struct Page {
  std::vector<std::pair<int64_t, T>> rows;
  // The page stopped at its row limit or byte budget: ask for the next one
  // (which may be empty).
  bool more = false;
};

struct TimelinePage {
  std::vector<TimelineEvent> events;
  // Position after the last event returned, for the next page (0 = done).
  int64_t next_after = 0;
};

class IncidentStore {
 public:
  // Operations valid only inside a Write() or Read() body.
  class Tx {
   public:
    virtual ~Tx() = default;

    virtual absl::StatusOr<std::optional<ResponsePlan>> GetPlan(const std::string& name) = 0;
    virtual absl::StatusOr<std::vector<ResponsePlan>> ListPlans() = 0;
    // AlreadyExists if a plan of that name exists.
    virtual absl::Status InsertPlan(const ResponsePlan& plan) = 0;
    virtual absl::Status UpdatePlan(const ResponsePlan& plan) = 0;
    // false if there was no such plan.
    virtual absl::StatusOr<bool> DeletePlan(const std::string& name) = 0;

    virtual absl::StatusOr<std::optional<IngestRecord>> GetIngestRecord(
        const std::string& event_id) = 0;
    virtual absl::Status PutIngestRecord(const IngestRecord& record) = 0;
    // Deletes at most `limit` ingest records received before older_than;
    // returns how many.
    virtual absl::StatusOr<int64_t> DeleteIngestRecordsBefore(absl::Time older_than,
                                                             int limit) = 0;

    virtual absl::StatusOr<std::optional<Incident>> GetIncident(const std::string& id) = 0;
    // The open incident with this dedupe string, if any (there is at most one).
    virtual absl::StatusOr<std::optional<Incident>> FindOpenIncident(
        const std::string& dedupe_string) = 0;
    virtual absl::Status InsertIncident(const Incident& incident) = 0;
    virtual absl::Status UpdateIncident(const Incident& incident) = 0;
    // Newest first.
    virtual absl::StatusOr<std::vector<Incident>> ListIncidents(const IncidentFilter& filter) = 0;
    // How many incidents have this status (from an index: cheap).
    virtual absl::StatusOr<int64_t> CountIncidents(v1::IncidentStatus status) = 0;

    virtual absl::StatusOr<std::optional<std::string>> GetClientToken(
        const std::string& token) = 0;
    virtual absl::Status PutClientToken(const std::string& token,
                                        const std::string& incident_id) = 0;

    // The entry already recorded for (incident, source_event_id, type), if any.
    virtual absl::StatusOr<std::optional<TimelineEvent>> FindTimelineEvent(
        const std::string& incident_id, const std::string& source_event_id,
        const std::string& type) = 0;
    virtual absl::Status InsertTimelineEvent(const TimelineEvent& event) = 0;
    // In the order they were added, after position `after` (0 = from the start).
    virtual absl::StatusOr<TimelinePage> ListTimeline(const std::string& incident_id,
                                                      int64_t after, int limit) = 0;

    // Keeps the first alarm of an event id; a later one changes nothing.
    virtual absl::Status InsertUnmatched(const UnmatchedAlarm& alarm) = 0;
    // Newest first, before position `before` (0 = from the newest), at most
    // `limit` rows or about max_bytes (always at least one row).
    virtual absl::StatusOr<Page<UnmatchedAlarm>> ListUnmatched(int64_t before, int limit,
                                                               size_t max_bytes) = 0;

    // Keeps an alarm in full with its incident; a second one of the same
    // event id for the same incident changes nothing.
    virtual absl::Status InsertIncidentAlarm(const v1::IncidentAlarm& alarm) = 0;
    // In the order received, after position `after` (0 = from the first), at
    // most `limit` rows or about max_bytes (always at least one row).
    virtual absl::StatusOr<Page<v1::IncidentAlarm>> ListIncidentAlarms(
        const std::string& incident_id, int64_t after, int limit, size_t max_bytes) = 0;

    // Queues an event for publication; it is published after commit.
    virtual absl::Status Emit(const Envelope& event) = 0;
  };

  virtual ~IncidentStore() = default;
  virtual absl::Status Write(const std::function<absl::Status(Tx&)>& body) = 0;
  virtual absl::Status Read(const std::function<absl::Status(Tx&)>& body) = 0;
  // Readiness: the database answers.
  virtual absl::Status Ping() = 0;
};

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_STORE_H_
