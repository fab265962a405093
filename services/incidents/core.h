// IncidentsCore: the incidents service's behaviour, independent of gRPC and
// of the database engine. It turns alarms into incidents, keeps their
// timeline, manages response plans, and emits every change as an event
// through the store's outbox in the same transaction.
//
// Alarm handling (IngestAlarm), in order:
//   - an event id seen before answers what it answered then (duplicate=true);
//   - a configuration change is recorded and opens nothing (IGNORED);
//   - the plan: the best matching one, else the default plan if configured,
//     else the alarm is kept as unmatched (UNMATCHED) — never dropped;
//   - muted alarms and alarms whose actions are suppressed never open an
//     incident; on an open incident they are written to its timeline;
//   - ALARM (and INSUFFICIENT_DATA where the plan says so) opens an incident,
//     or, while one with the same dedupe string is open, joins it (JOINED:
//     a timeline entry);
//   - OK resolves the open incident where the plan says resolve_on_ok, else
//     joins it as a timeline entry; with no open incident it is IGNORED;
//   - INSUFFICIENT_DATA otherwise joins an open incident's timeline, or is
//     IGNORED.
//
// Batches (IngestAlarms) are validated whole, committed whole and answered
// per alarm: one invalid alarm fails the call with InvalidArgument naming it
// ("alarms[2] (event id \"…\"): …") and nothing is stored; otherwise every
// alarm is applied, in order, in one transaction (one durable commit). An
// alarm repeating an event id earlier in the same batch is its duplicate. A
// store failure (Unavailable when the database is busy) rolls back the whole
// batch; retried, alarms committed by an earlier call answer duplicate=true.
//
// Sizes (alarms.h): an alarm is never refused for a long field. Matching and
// the dedupe string use the alarm as received, which is kept in full
// (ListIncidentAlarms for alarms that reached an incident, ListUnmatchedAlarms
// for the others that matched no plan); titles, summaries, timeline entries
// and events use BoundedAlarm() copies, so every event this core emits is
// small by construction (under 100 KiB at worst). Text given
// through the API (titles, summaries, related items) over those limits is
// refused with InvalidArgument; timeline messages and data from anyone are cut.
//
// Idempotency keys (ingest records) are kept until PruneIngestRecords()
// removes those older than a time, which must leave at least
// kMinIngestRecordRetention (senders retry for 24 h).
#ifndef TOCSIN_SERVICES_INCIDENTS_CORE_H_
#define TOCSIN_SERVICES_INCIDENTS_CORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/events/event_type.h"
#include "libs/ids/ids.h"
#include "services/incidents/alarms.h"
#include "services/incidents/store.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::incidents {

struct IncidentsOptions {
  // Plan for alarms that match none; empty keeps them as unmatched.
  std::string default_plan;
};

// Ingest records younger than this are never pruned: EventBridge and SNS
// retry a delivery for up to 24 h, and a pruned key lets a retry in again.
inline constexpr absl::Duration kMinIngestRecordRetention = absl::Hours(48);
// Ingest records deleted per transaction by PruneIngestRecords().
inline constexpr int kPruneBatchSize = 1000;

class IncidentsCore {
 public:
  IncidentsCore(IncidentStore* store, const Clock* clock, IdGenerator* ids,
                IncidentsOptions options);

  // One alarm: IngestAlarms with a batch of one (InvalidArgument messages
  // name the field without a batch index).
  absl::StatusOr<v1::IngestAlarmResponse> IngestAlarm(const v1::Alarm& alarm);
  // A batch: validated whole, committed whole, answered per alarm in order.
  // InvalidArgument (nothing stored) names the first bad alarm; any store
  // error (Unavailable: database busy) leaves nothing stored.
  absl::StatusOr<v1::IngestAlarmsResponse> IngestAlarms(const v1::IngestAlarmsRequest& request);

  // A dry run of IngestAlarm for an alarm with a fresh event id: the same
  // code runs in a transaction that is then rolled back. InvalidArgument as
  // IngestAlarm; plans are judged one by one (PlanVerdict).
  absl::StatusOr<v1::TestAlarmResponse> TestAlarm(const v1::TestAlarmRequest& request);

  absl::StatusOr<Incident> StartIncident(const v1::StartIncidentRequest& request);
  absl::StatusOr<Incident> GetIncident(const std::string& id);
  absl::StatusOr<v1::ListIncidentsResponse> ListIncidents(
      const v1::ListIncidentsRequest& request);
  absl::StatusOr<Incident> UpdateIncident(const v1::UpdateIncidentRequest& request);
  absl::StatusOr<Incident> ResolveIncident(const v1::ResolveIncidentRequest& request);
  absl::StatusOr<TimelineEvent> AddTimelineEvent(const v1::AddTimelineEventRequest& request);
  absl::StatusOr<v1::ListTimelineEventsResponse> ListTimelineEvents(
      const v1::ListTimelineEventsRequest& request);
  absl::StatusOr<v1::ListUnmatchedAlarmsResponse> ListUnmatchedAlarms(
      const v1::ListUnmatchedAlarmsRequest& request);
  // The full alarms of an incident; NotFound if there is no such incident.
  absl::StatusOr<v1::ListIncidentAlarmsResponse> ListIncidentAlarms(
      const v1::ListIncidentAlarmsRequest& request);

  // Deletes ingest records (idempotency keys) received before older_than, in
  // transactions of kPruneBatchSize, and returns how many. InvalidArgument
  // when older_than is less than kMinIngestRecordRetention ago. Safe to run
  // beside ingestion (each transaction is short).
  absl::StatusOr<int64_t> PruneIngestRecords(absl::Time older_than);
  // Open incidents now (for a gauge): one indexed count.
  absl::StatusOr<int64_t> CountOpenIncidents();

  absl::StatusOr<ResponsePlan> CreatePlan(const ResponsePlan& plan);
  absl::StatusOr<ResponsePlan> UpdatePlan(const ResponsePlan& plan, int64_t expected_version);
  absl::StatusOr<ResponsePlan> GetPlan(const std::string& name);
  absl::StatusOr<std::vector<ResponsePlan>> ListPlans();
  absl::Status DeletePlan(const std::string& name);

 private:
  // One alarm inside the batch's transaction, under the plans read at its
  // start.
  absl::StatusOr<v1::IngestAlarmResponse> IngestInTx(IncidentStore::Tx& tx,
                                                     const std::vector<ResponsePlan>& plans,
                                                     const v1::Alarm& alarm);
  // Runs a write (its commit wakes the outbox relay).
  absl::Status Write(const std::function<absl::Status(IncidentStore::Tx&)>& body);
  // Builds an envelope for an event of this service (defined in core.cc,
  // its only user).
  template <typename T>
  Envelope NewEvent(const events::EventType<T>& type, const std::string& incident_id,
                    const std::string& causation_id, const T& payload);
  // Writes a timeline entry (once per incident/source_event_id/type) and
  // emits timeline.added.
  absl::StatusOr<TimelineEvent> AddTimeline(IncidentStore::Tx& tx,
                                            const std::string& incident_id,
                                            const std::string& type,
                                            const std::string& message,
                                            const std::string& data_json,
                                            const std::string& source_event_id,
                                            const std::string& author);
  // alarm is the bounded copy (BoundedAlarm) the incident and events show.
  absl::Status OpenIncident(IncidentStore::Tx& tx, const ResponsePlan& plan,
                            const v1::Alarm& alarm, const std::string& dedupe,
                            v1::IngestAlarmResponse& response);
  absl::Status ResolveInTx(IncidentStore::Tx& tx, Incident& incident,
                           const std::string& message, const std::string& causation_id,
                           const std::string& author);

  IncidentStore* store_;
  const Clock* clock_;
  IdGenerator* ids_;
  IncidentsOptions options_;
};

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_CORE_H_
