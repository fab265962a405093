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
#ifndef TOCSIN_SERVICES_INCIDENTS_CORE_H_
#define TOCSIN_SERVICES_INCIDENTS_CORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"
#include "services/incidents/store.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::incidents {

struct IncidentsOptions {
  // Plan for alarms that match none; empty keeps them as unmatched.
  std::string default_plan;
  // Called after every committed write that emitted events (wakes the
  // outbox relay).
  std::function<void()> on_commit;
};

class IncidentsCore {
 public:
  IncidentsCore(IncidentStore* store, const Clock* clock, IdGenerator* ids,
                IncidentsOptions options);

  absl::StatusOr<v1::IngestAlarmResponse> IngestAlarm(const v1::Alarm& alarm);

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

  absl::StatusOr<ResponsePlan> CreatePlan(const ResponsePlan& plan);
  absl::StatusOr<ResponsePlan> UpdatePlan(const ResponsePlan& plan, int64_t expected_version);
  absl::StatusOr<ResponsePlan> GetPlan(const std::string& name);
  absl::StatusOr<std::vector<ResponsePlan>> ListPlans();
  absl::Status DeletePlan(const std::string& name);

 private:
  // Runs a write and calls on_commit after it committed.
  absl::Status Write(const std::function<absl::Status(IncidentStore::Tx&)>& body);
  // Builds an envelope for an event of this service.
  Envelope NewEvent(const std::string& type, const std::string& incident_id,
                    const std::string& causation_id,
                    const google::protobuf::Message& payload);
  // Writes a timeline entry (once per incident/source_event_id/type) and
  // emits timeline.added.
  absl::StatusOr<TimelineEvent> AddTimeline(IncidentStore::Tx& tx,
                                            const std::string& incident_id,
                                            const std::string& type,
                                            const std::string& message,
                                            const std::string& data_json,
                                            const std::string& source_event_id,
                                            const std::string& author);
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

// Checks an alarm handed to IngestAlarm; InvalidArgument names the field.
absl::Status ValidateAlarm(const v1::Alarm& alarm);

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_CORE_H_
