// Client of the incidents service's gRPC API (IncidentService and
// ResponsePlanService), as plain calls that return absl::StatusOr.
//
//   auto incidents = IncidentsClient::Create(MakeChannel("127.0.0.1:7002"));
//   ASSIGN_OR_RETURN(Incident incident, incidents->GetIncident("inc-1"));
//
// Every call has the deadline of ClientOptions; a gRPC error becomes the
// absl::Status with the same code and the server's message (NotFound for an
// unknown id, Unavailable when the service does not answer, ...). List calls
// return every item, following page tokens. Thread-safe: calls may be made
// from several threads at once.
#ifndef TOCSIN_LIBS_CLIENT_INCIDENTS_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_INCIDENTS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::client {

// Filters of ListIncidents; the defaults match every incident.
struct ListIncidentsParams {
  incidents::v1::IncidentStatus status =
      incidents::v1::INCIDENT_STATUS_UNSPECIFIED;
  // Name of the response plan that opened the incidents.
  std::string response_plan;
};

class IncidentsClient {
 public:
  static std::unique_ptr<IncidentsClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  IncidentsClient(const IncidentsClient&) = delete;
  IncidentsClient& operator=(const IncidentsClient&) = delete;

  absl::StatusOr<incidents::v1::Incident> GetIncident(
      const std::string& id) const;
  absl::StatusOr<std::vector<incidents::v1::Incident>> ListIncidents(
      const ListIncidentsParams& params) const;
  // `author` is recorded on the timeline, e.g. "cli:alice".
  absl::StatusOr<incidents::v1::Incident> ResolveIncident(
      const std::string& id, const std::string& note,
      const std::string& author) const;
  // Sets the request's optional title/impact/summary.
  absl::StatusOr<incidents::v1::Incident> UpdateIncident(
      const incidents::v1::UpdateIncidentRequest& request) const;
  // Once per (incident, source_event_id, type) when source_event_id is set.
  absl::StatusOr<incidents::v1::TimelineEvent> AddTimelineEvent(
      const incidents::v1::AddTimelineEventRequest& request) const;
  // The alarms that opened or joined the incident, in the order received;
  // at most one page (page_size alarms).
  absl::StatusOr<std::vector<incidents::v1::IncidentAlarm>> ListIncidentAlarms(
      const std::string& incident_id, int page_size) const;
  absl::StatusOr<std::vector<incidents::v1::TimelineEvent>> ListTimeline(
      const std::string& incident_id) const;
  // Every alarm of the incident, all pages (each page at most about 2 MiB).
  absl::StatusOr<std::vector<incidents::v1::IncidentAlarm>> ListAllIncidentAlarms(
      const std::string& incident_id) const;
  // Alarms that matched no response plan.
  absl::StatusOr<std::vector<incidents::v1::UnmatchedAlarm>> ListUnmatched()
      const;
  // What ingesting `alarm` would do now (which plan, open or join), storing
  // nothing and paging nobody.
  absl::StatusOr<incidents::v1::TestAlarmResponse> TestAlarm(
      const incidents::v1::Alarm& alarm) const;

  absl::StatusOr<incidents::v1::ResponsePlan> CreatePlan(
      const incidents::v1::ResponsePlan& plan) const;
  // Replaces the plan of the same name. A non-zero `expected_version` makes
  // the update conditional on the stored version (Aborted when it differs).
  absl::StatusOr<incidents::v1::ResponsePlan> UpdatePlan(
      const incidents::v1::ResponsePlan& plan, int64_t expected_version) const;
  absl::StatusOr<incidents::v1::ResponsePlan> GetPlan(
      const std::string& name) const;
  absl::StatusOr<std::vector<incidents::v1::ResponsePlan>> ListPlans() const;

 private:
  IncidentsClient(
      std::unique_ptr<incidents::v1::IncidentService::Stub> incidents,
      std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plans,
      const ClientOptions& options);

  std::unique_ptr<incidents::v1::IncidentService::Stub> incidents_;
  std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plans_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_INCIDENTS_CLIENT_H_
