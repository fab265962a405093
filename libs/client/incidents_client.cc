#include "libs/client/incidents_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::incidents::v1;
using internal::Call;
using internal::CallAllPages;

std::unique_ptr<IncidentsClient> IncidentsClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<IncidentsClient>(
      new IncidentsClient(v1::IncidentService::NewStub(channel),
                          v1::ResponsePlanService::NewStub(channel), options));
}

IncidentsClient::IncidentsClient(
    std::unique_ptr<v1::IncidentService::Stub> incidents,
    std::unique_ptr<v1::ResponsePlanService::Stub> plans,
    const ClientOptions& options)
    : incidents_(std::move(incidents)),
      plans_(std::move(plans)),
      options_(options) {}

absl::StatusOr<v1::Incident> IncidentsClient::GetIncident(
    const std::string& id) const {
  v1::GetIncidentRequest request;
  request.set_id(id);
  return Call(*incidents_, &v1::IncidentService::Stub::GetIncident, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::Incident>> IncidentsClient::ListIncidents(
    const ListIncidentsParams& params) const {
  v1::ListIncidentsRequest request;
  request.set_status(params.status);
  request.set_response_plan(params.response_plan);
  return CallAllPages(*incidents_, &v1::IncidentService::Stub::ListIncidents,
                      request, &v1::ListIncidentsResponse::mutable_incidents,
                      options_.deadline);
}

absl::StatusOr<v1::Incident> IncidentsClient::ResolveIncident(
    const std::string& id, const std::string& note,
    const std::string& author) const {
  v1::ResolveIncidentRequest request;
  request.set_id(id);
  request.set_note(note);
  request.set_author(author);
  return Call(*incidents_, &v1::IncidentService::Stub::ResolveIncident, request,
              options_.deadline);
}

absl::StatusOr<v1::Incident> IncidentsClient::UpdateIncident(
    const v1::UpdateIncidentRequest& request) const {
  return Call(*incidents_, &v1::IncidentService::Stub::UpdateIncident, request,
              options_.deadline);
}

absl::StatusOr<v1::TimelineEvent> IncidentsClient::AddTimelineEvent(
    const v1::AddTimelineEventRequest& request) const {
  return Call(*incidents_, &v1::IncidentService::Stub::AddTimelineEvent, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::IncidentAlarm>> IncidentsClient::ListIncidentAlarms(
    const std::string& incident_id, int page_size) const {
  v1::ListIncidentAlarmsRequest request;
  request.set_incident_id(incident_id);
  request.set_page_size(page_size);
  ASSIGN_OR_RETURN(v1::ListIncidentAlarmsResponse response,
                   Call(*incidents_, &v1::IncidentService::Stub::ListIncidentAlarms, request,
                        options_.deadline));
  return std::vector<v1::IncidentAlarm>(response.alarms().begin(), response.alarms().end());
}

absl::StatusOr<std::vector<v1::TimelineEvent>> IncidentsClient::ListTimeline(
    const std::string& incident_id) const {
  v1::ListTimelineEventsRequest request;
  request.set_incident_id(incident_id);
  return CallAllPages(
      *incidents_, &v1::IncidentService::Stub::ListTimelineEvents, request,
      &v1::ListTimelineEventsResponse::mutable_events, options_.deadline);
}

absl::StatusOr<std::vector<v1::IncidentAlarm>> IncidentsClient::ListAllIncidentAlarms(
    const std::string& incident_id) const {
  v1::ListIncidentAlarmsRequest request;
  request.set_incident_id(incident_id);
  return CallAllPages(*incidents_, &v1::IncidentService::Stub::ListIncidentAlarms, request,
                      &v1::ListIncidentAlarmsResponse::mutable_alarms, options_.deadline);
}

absl::StatusOr<std::vector<v1::UnmatchedAlarm>> IncidentsClient::ListUnmatched()
    const {
  return CallAllPages(
      *incidents_, &v1::IncidentService::Stub::ListUnmatchedAlarms,
      v1::ListUnmatchedAlarmsRequest(),
      &v1::ListUnmatchedAlarmsResponse::mutable_alarms, options_.deadline);
}

absl::StatusOr<v1::TestAlarmResponse> IncidentsClient::TestAlarm(
    const v1::Alarm& alarm) const {
  v1::TestAlarmRequest request;
  *request.mutable_alarm() = alarm;
  return Call(*incidents_, &v1::IncidentService::Stub::TestAlarm, request,
              options_.deadline);
}

absl::StatusOr<v1::ResponsePlan> IncidentsClient::CreatePlan(
    const v1::ResponsePlan& plan) const {
  v1::CreateResponsePlanRequest request;
  *request.mutable_plan() = plan;
  return Call(*plans_, &v1::ResponsePlanService::Stub::CreateResponsePlan,
              request, options_.deadline);
}

absl::StatusOr<v1::ResponsePlan> IncidentsClient::UpdatePlan(
    const v1::ResponsePlan& plan, int64_t expected_version) const {
  v1::UpdateResponsePlanRequest request;
  *request.mutable_plan() = plan;
  request.set_expected_version(expected_version);
  return Call(*plans_, &v1::ResponsePlanService::Stub::UpdateResponsePlan,
              request, options_.deadline);
}

absl::StatusOr<v1::ResponsePlan> IncidentsClient::GetPlan(
    const std::string& name) const {
  v1::GetResponsePlanRequest request;
  request.set_name(name);
  return Call(*plans_, &v1::ResponsePlanService::Stub::GetResponsePlan, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::ResponsePlan>> IncidentsClient::ListPlans()
    const {
  ASSIGN_OR_RETURN(
      v1::ListResponsePlansResponse response,
      Call(*plans_, &v1::ResponsePlanService::Stub::ListResponsePlans,
           v1::ListResponsePlansRequest(), options_.deadline));
  return internal::ToVector(response.mutable_plans());
}

}  // namespace tocsin::client
