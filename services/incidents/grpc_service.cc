#include "services/incidents/grpc_service.h"

#include <chrono>

#include "libs/grpc/status.h"
#include "libs/metrics/admin.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::incidents {
IncidentServiceImpl::IncidentServiceImpl(IncidentsCore* core, prometheus::Registry& registry)
    : core_(core),
      ingested_(&prometheus::BuildCounter()
                     .Name("tocsin_incidents_alarms_ingested_total")
                     .Help("Alarms handed over by the gateway, by outcome.")
                     .Register(registry)),
      ingest_seconds_(&prometheus::BuildHistogram()
                           .Name("tocsin_incidents_ingest_seconds")
                           .Help("Time to ingest one call's alarms (one, or a batch), "
                                 "including the durable commit.")
                           .Register(registry)
                           .Add({}, metrics::LatencyBuckets())) {}

void IncidentServiceImpl::CountOutcomes(
    const absl::Status& status, int alarms,
    const google::protobuf::RepeatedPtrField<v1::IngestAlarmResponse>& results) {
  if (!status.ok()) {
    ingested_->Add({{"outcome", "error"}}).Increment(alarms);
    return;
  }
  for (const v1::IngestAlarmResponse& r : results) {
    ingested_->Add({{"outcome", r.duplicate() ? "duplicate" : v1::IngestOutcome_Name(r.outcome())}})
        .Increment();
  }
}

grpc::Status IncidentServiceImpl::IngestAlarm(grpc::ServerContext*,
                                              const v1::IngestAlarmRequest* req,
                                              v1::IngestAlarmResponse* resp) {
  auto start = std::chrono::steady_clock::now();
  auto result = core_->IngestAlarm(req->alarm());
  ingest_seconds_->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  google::protobuf::RepeatedPtrField<v1::IngestAlarmResponse> results;
  if (result.ok()) *results.Add() = *result;
  CountOutcomes(result.status(), 1, results);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status IncidentServiceImpl::IngestAlarms(grpc::ServerContext*,
                                               const v1::IngestAlarmsRequest* req,
                                               v1::IngestAlarmsResponse* resp) {
  auto start = std::chrono::steady_clock::now();
  auto result = core_->IngestAlarms(*req);
  ingest_seconds_->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  CountOutcomes(result.status(), req->alarms_size(),
                result.ok() ? result->results()
                            : google::protobuf::RepeatedPtrField<v1::IngestAlarmResponse>());
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status IncidentServiceImpl::StartIncident(grpc::ServerContext*,
                                                const v1::StartIncidentRequest* req,
                                                Incident* resp) {
  return Answer(resp, [&] { return core_->StartIncident(*req); });
}

grpc::Status IncidentServiceImpl::GetIncident(grpc::ServerContext*,
                                              const v1::GetIncidentRequest* req, Incident* resp) {
  return Answer(resp, [&] { return core_->GetIncident(req->id()); });
}

grpc::Status IncidentServiceImpl::ListIncidents(grpc::ServerContext*,
                                                const v1::ListIncidentsRequest* req,
                                                v1::ListIncidentsResponse* resp) {
  return Answer(resp, [&] { return core_->ListIncidents(*req); });
}

grpc::Status IncidentServiceImpl::UpdateIncident(grpc::ServerContext*,
                                                 const v1::UpdateIncidentRequest* req,
                                                 Incident* resp) {
  return Answer(resp, [&] { return core_->UpdateIncident(*req); });
}

grpc::Status IncidentServiceImpl::ResolveIncident(grpc::ServerContext*,
                                                  const v1::ResolveIncidentRequest* req,
                                                  Incident* resp) {
  return Answer(resp, [&] { return core_->ResolveIncident(*req); });
}

grpc::Status IncidentServiceImpl::AddTimelineEvent(grpc::ServerContext*,
                                                   const v1::AddTimelineEventRequest* req,
                                                   TimelineEvent* resp) {
  return Answer(resp, [&] { return core_->AddTimelineEvent(*req); });
}

grpc::Status IncidentServiceImpl::ListTimelineEvents(grpc::ServerContext*,
                                                     const v1::ListTimelineEventsRequest* req,
                                                     v1::ListTimelineEventsResponse* resp) {
  return Answer(resp, [&] { return core_->ListTimelineEvents(*req); });
}

grpc::Status IncidentServiceImpl::ListUnmatchedAlarms(grpc::ServerContext*,
                                                      const v1::ListUnmatchedAlarmsRequest* req,
                                                      v1::ListUnmatchedAlarmsResponse* resp) {
  return Answer(resp, [&] { return core_->ListUnmatchedAlarms(*req); });
}

grpc::Status IncidentServiceImpl::TestAlarm(grpc::ServerContext*,
                                            const v1::TestAlarmRequest* req,
                                            v1::TestAlarmResponse* resp) {
  return Answer(resp, [&] { return core_->TestAlarm(*req); });
}

grpc::Status IncidentServiceImpl::ListIncidentAlarms(grpc::ServerContext*,
                                                     const v1::ListIncidentAlarmsRequest* req,
                                                     v1::ListIncidentAlarmsResponse* resp) {
  return Answer(resp, [&] { return core_->ListIncidentAlarms(*req); });
}

grpc::Status ResponsePlanServiceImpl::CreateResponsePlan(grpc::ServerContext*,
                                                         const v1::CreateResponsePlanRequest* req,
                                                         ResponsePlan* resp) {
  return Answer(resp, [&] { return core_->CreatePlan(req->plan()); });
}

grpc::Status ResponsePlanServiceImpl::UpdateResponsePlan(grpc::ServerContext*,
                                                         const v1::UpdateResponsePlanRequest* req,
                                                         ResponsePlan* resp) {
  return Answer(resp, [&] { return core_->UpdatePlan(req->plan(), req->expected_version()); });
}

grpc::Status ResponsePlanServiceImpl::GetResponsePlan(grpc::ServerContext*,
                                                      const v1::GetResponsePlanRequest* req,
                                                      ResponsePlan* resp) {
  return Answer(resp, [&] { return core_->GetPlan(req->name()); });
}

grpc::Status ResponsePlanServiceImpl::ListResponsePlans(grpc::ServerContext*,
                                                        const v1::ListResponsePlansRequest*,
                                                        v1::ListResponsePlansResponse* resp) {
  auto plans = core_->ListPlans();
  if (!plans.ok()) return ToGrpcStatus(plans.status());
  for (auto& p : *plans) *resp->add_plans() = std::move(p);
  return grpc::Status::OK;
}

grpc::Status ResponsePlanServiceImpl::DeleteResponsePlan(grpc::ServerContext*,
                                                         const v1::DeleteResponsePlanRequest* req,
                                                         v1::DeleteResponsePlanResponse*) {
  return ToGrpcStatus(core_->DeletePlan(req->name()));
}

}  // namespace tocsin::incidents
