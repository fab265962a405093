#include "tools/cli/client.h"

#include <utility>

#include "absl/status/status.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/client_context.h"
#include "libs/grpc/status.h"
#include "libs/status/status_macros.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;

template <typename Stub, typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                      Response*);

// One unary RPC with a deadline of `deadline` from now.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(Stub& stub,
                              Method<Stub, Request, Response> method,
                              const Request& request, absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

// Calls a List method page after page until the server returns no
// next_page_token; `items` picks the repeated field of each page.
template <typename Stub, typename Request, typename Response, typename Item>
absl::StatusOr<std::vector<Item>> CallAllPages(
    Stub& stub, Method<Stub, Request, Response> method, Request request,
    google::protobuf::RepeatedPtrField<Item>* (Response::*items)(),
    absl::Duration deadline) {
  std::vector<Item> all;
  do {
    ASSIGN_OR_RETURN(Response page, Call(stub, method, request, deadline));
    for (Item& item : *(page.*items)()) all.push_back(std::move(item));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return all;
}

}  // namespace

std::unique_ptr<IncidentsClient> IncidentsClient::Create(
    std::shared_ptr<grpc::Channel> channel, absl::Duration deadline) {
  return std::unique_ptr<IncidentsClient>(
      new IncidentsClient(v1::IncidentService::NewStub(channel),
                          v1::ResponsePlanService::NewStub(channel), deadline));
}

IncidentsClient::IncidentsClient(
    std::unique_ptr<v1::IncidentService::Stub> incidents,
    std::unique_ptr<v1::ResponsePlanService::Stub> plans,
    absl::Duration deadline)
    : incidents_(std::move(incidents)),
      plans_(std::move(plans)),
      deadline_(deadline) {}

absl::StatusOr<v1::Incident> IncidentsClient::GetIncident(
    const std::string& id) const {
  v1::GetIncidentRequest request;
  request.set_id(id);
  return Call(*incidents_, &v1::IncidentService::Stub::GetIncident, request,
              deadline_);
}

absl::StatusOr<std::vector<v1::Incident>> IncidentsClient::ListIncidents(
    const ListIncidentsParams& params) const {
  v1::ListIncidentsRequest request;
  request.set_status(params.status);
  request.set_response_plan(params.response_plan);
  return CallAllPages(*incidents_, &v1::IncidentService::Stub::ListIncidents,
                      request, &v1::ListIncidentsResponse::mutable_incidents,
                      deadline_);
}

absl::StatusOr<v1::Incident> IncidentsClient::ResolveIncident(
    const std::string& id, const std::string& note,
    const std::string& author) const {
  v1::ResolveIncidentRequest request;
  request.set_id(id);
  request.set_note(note);
  request.set_author(author);
  return Call(*incidents_, &v1::IncidentService::Stub::ResolveIncident, request,
              deadline_);
}

absl::StatusOr<std::vector<v1::TimelineEvent>> IncidentsClient::ListTimeline(
    const std::string& incident_id) const {
  v1::ListTimelineEventsRequest request;
  request.set_incident_id(incident_id);
  return CallAllPages(
      *incidents_, &v1::IncidentService::Stub::ListTimelineEvents, request,
      &v1::ListTimelineEventsResponse::mutable_events, deadline_);
}

absl::StatusOr<std::vector<v1::UnmatchedAlarm>> IncidentsClient::ListUnmatched()
    const {
  return CallAllPages(
      *incidents_, &v1::IncidentService::Stub::ListUnmatchedAlarms,
      v1::ListUnmatchedAlarmsRequest(),
      &v1::ListUnmatchedAlarmsResponse::mutable_alarms, deadline_);
}

absl::StatusOr<v1::ResponsePlan> IncidentsClient::CreatePlan(
    const v1::ResponsePlan& plan) const {
  v1::CreateResponsePlanRequest request;
  *request.mutable_plan() = plan;
  return Call(*plans_, &v1::ResponsePlanService::Stub::CreateResponsePlan,
              request, deadline_);
}

absl::StatusOr<v1::ResponsePlan> IncidentsClient::UpdatePlan(
    const v1::ResponsePlan& plan, int64_t expected_version) const {
  v1::UpdateResponsePlanRequest request;
  *request.mutable_plan() = plan;
  request.set_expected_version(expected_version);
  return Call(*plans_, &v1::ResponsePlanService::Stub::UpdateResponsePlan,
              request, deadline_);
}

absl::StatusOr<v1::ResponsePlan> IncidentsClient::GetPlan(
    const std::string& name) const {
  v1::GetResponsePlanRequest request;
  request.set_name(name);
  return Call(*plans_, &v1::ResponsePlanService::Stub::GetResponsePlan, request,
              deadline_);
}

absl::StatusOr<std::vector<v1::ResponsePlan>> IncidentsClient::ListPlans()
    const {
  ASSIGN_OR_RETURN(
      v1::ListResponsePlansResponse response,
      Call(*plans_, &v1::ResponsePlanService::Stub::ListResponsePlans,
           v1::ListResponsePlansRequest(), deadline_));
  return std::vector<v1::ResponsePlan>(response.plans().begin(),
                                       response.plans().end());
}

}  // namespace tocsin::cli
