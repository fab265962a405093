// The incidents service's gRPC API: IncidentService and ResponsePlanService,
// thin adapters from protos to IncidentsCore with absl -> gRPC status mapping.
#ifndef TOCSIN_SERVICES_INCIDENTS_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_INCIDENTS_GRPC_SERVICE_H_

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/incidents/core.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"

namespace tocsin::incidents {

class IncidentServiceImpl final : public v1::IncidentService::Service {
 public:
  IncidentServiceImpl(IncidentsCore* core, prometheus::Registry& registry);

  grpc::Status IngestAlarm(grpc::ServerContext*, const v1::IngestAlarmRequest*,
                           v1::IngestAlarmResponse*) override;
  grpc::Status IngestAlarms(grpc::ServerContext*, const v1::IngestAlarmsRequest*,
                            v1::IngestAlarmsResponse*) override;
  grpc::Status TestAlarm(grpc::ServerContext*, const v1::TestAlarmRequest*,
                         v1::TestAlarmResponse*) override;
  grpc::Status StartIncident(grpc::ServerContext*, const v1::StartIncidentRequest*,
                             Incident*) override;
  grpc::Status GetIncident(grpc::ServerContext*, const v1::GetIncidentRequest*,
                           Incident*) override;
  grpc::Status ListIncidents(grpc::ServerContext*, const v1::ListIncidentsRequest*,
                             v1::ListIncidentsResponse*) override;
  grpc::Status UpdateIncident(grpc::ServerContext*, const v1::UpdateIncidentRequest*,
                              Incident*) override;
  grpc::Status ResolveIncident(grpc::ServerContext*, const v1::ResolveIncidentRequest*,
                               Incident*) override;
  grpc::Status AddTimelineEvent(grpc::ServerContext*, const v1::AddTimelineEventRequest*,
                                TimelineEvent*) override;
  grpc::Status ListTimelineEvents(grpc::ServerContext*, const v1::ListTimelineEventsRequest*,
                                  v1::ListTimelineEventsResponse*) override;
  grpc::Status ListUnmatchedAlarms(grpc::ServerContext*, const v1::ListUnmatchedAlarmsRequest*,
                                   v1::ListUnmatchedAlarmsResponse*) override;
  grpc::Status ListIncidentAlarms(grpc::ServerContext*, const v1::ListIncidentAlarmsRequest*,
                                  v1::ListIncidentAlarmsResponse*) override;

 private:
  // Counts each alarm's outcome ("error" for each alarm of a failed call).
  void CountOutcomes(const absl::Status& status, int alarms,
                     const google::protobuf::RepeatedPtrField<v1::IngestAlarmResponse>& results);

  IncidentsCore* core_;
  prometheus::Family<prometheus::Counter>* ingested_;
  prometheus::Histogram* ingest_seconds_;
};

class ResponsePlanServiceImpl final : public v1::ResponsePlanService::Service {
 public:
  explicit ResponsePlanServiceImpl(IncidentsCore* core) : core_(core) {}

  grpc::Status CreateResponsePlan(grpc::ServerContext*, const v1::CreateResponsePlanRequest*,
                                  ResponsePlan*) override;
  grpc::Status UpdateResponsePlan(grpc::ServerContext*, const v1::UpdateResponsePlanRequest*,
                                  ResponsePlan*) override;
  grpc::Status GetResponsePlan(grpc::ServerContext*, const v1::GetResponsePlanRequest*,
                               ResponsePlan*) override;
  grpc::Status ListResponsePlans(grpc::ServerContext*, const v1::ListResponsePlansRequest*,
                                 v1::ListResponsePlansResponse*) override;
  grpc::Status DeleteResponsePlan(grpc::ServerContext*, const v1::DeleteResponsePlanRequest*,
                                  v1::DeleteResponsePlanResponse*) override;

 private:
  IncidentsCore* core_;
};

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_GRPC_SERVICE_H_
