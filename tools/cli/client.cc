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
namespace escalation_v1 = ::tocsin::escalation::v1;
namespace paging_v1 = ::tocsin::paging::v1;

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

// ---- IncidentsClient ----

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

// ---- EscalationClient ----

std::unique_ptr<EscalationClient> EscalationClient::Create(
    std::shared_ptr<grpc::Channel> channel, absl::Duration deadline) {
  return std::unique_ptr<EscalationClient>(new EscalationClient(
      escalation_v1::ContactService::NewStub(channel),
      escalation_v1::EngagementService::NewStub(channel), deadline));
}

EscalationClient::EscalationClient(
    std::unique_ptr<escalation_v1::ContactService::Stub> contacts,
    std::unique_ptr<escalation_v1::EngagementService::Stub> engagements,
    absl::Duration deadline)
    : contacts_(std::move(contacts)),
      engagements_(std::move(engagements)),
      deadline_(deadline) {}

absl::StatusOr<escalation_v1::Contact> EscalationClient::CreateContact(
    const escalation_v1::Contact& contact) const {
  escalation_v1::CreateContactRequest request;
  *request.mutable_contact() = contact;
  return Call(*contacts_, &escalation_v1::ContactService::Stub::CreateContact,
              request, deadline_);
}

absl::StatusOr<escalation_v1::Contact> EscalationClient::UpdateContact(
    const escalation_v1::Contact& contact, int64_t expected_version) const {
  escalation_v1::UpdateContactRequest request;
  *request.mutable_contact() = contact;
  request.set_expected_version(expected_version);
  return Call(*contacts_, &escalation_v1::ContactService::Stub::UpdateContact,
              request, deadline_);
}

absl::StatusOr<escalation_v1::Contact> EscalationClient::GetContact(
    const std::string& name) const {
  escalation_v1::GetContactRequest request;
  request.set_name(name);
  return Call(*contacts_, &escalation_v1::ContactService::Stub::GetContact,
              request, deadline_);
}

absl::StatusOr<std::vector<escalation_v1::Contact>>
EscalationClient::ListContacts() const {
  ASSIGN_OR_RETURN(
      escalation_v1::ListContactsResponse response,
      Call(*contacts_, &escalation_v1::ContactService::Stub::ListContacts,
           escalation_v1::ListContactsRequest(), deadline_));
  return std::vector<escalation_v1::Contact>(response.contacts().begin(),
                                             response.contacts().end());
}

absl::StatusOr<std::vector<escalation_v1::Engagement>>
EscalationClient::ListEngagements(const std::string& incident_id) const {
  escalation_v1::ListEngagementsRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(
      escalation_v1::ListEngagementsResponse response,
      Call(*engagements_,
           &escalation_v1::EngagementService::Stub::ListEngagements, request,
           deadline_));
  return std::vector<escalation_v1::Engagement>(response.engagements().begin(),
                                                response.engagements().end());
}

// ---- PagingClient ----

std::unique_ptr<PagingClient> PagingClient::Create(
    std::shared_ptr<grpc::Channel> channel, absl::Duration deadline) {
  return std::unique_ptr<PagingClient>(
      new PagingClient(paging_v1::PagingService::NewStub(channel), deadline));
}

PagingClient::PagingClient(
    std::unique_ptr<paging_v1::PagingService::Stub> pages,
    absl::Duration deadline)
    : pages_(std::move(pages)), deadline_(deadline) {}

absl::StatusOr<paging_v1::Page> PagingClient::AcceptPage(
    const std::string& page_id, const std::string& accept_code,
    const std::string& author) const {
  paging_v1::AcceptPageRequest request;
  request.set_page_id(page_id);
  request.set_accept_code(accept_code);
  request.set_author(author);
  return Call(*pages_, &paging_v1::PagingService::Stub::AcceptPage, request,
              deadline_);
}

absl::StatusOr<std::vector<paging_v1::Page>> PagingClient::ListPages(
    const std::string& incident_id) const {
  paging_v1::ListPagesRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(paging_v1::ListPagesResponse response,
                   Call(*pages_, &paging_v1::PagingService::Stub::ListPages,
                        request, deadline_));
  return std::vector<paging_v1::Page>(response.pages().begin(),
                                      response.pages().end());
}

absl::StatusOr<paging_v1::Page> PagingClient::GetPage(
    const std::string& page_id) const {
  paging_v1::GetPageRequest request;
  request.set_page_id(page_id);
  return Call(*pages_, &paging_v1::PagingService::Stub::GetPage, request,
              deadline_);
}

}  // namespace tocsin::cli
