#include "libs/client/fake_incidents_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/client/fake_time.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::incidents::v1;

// Copies all[token..] (at most page_size) into `items` and sets the token
// of the next page, "" after the last.
template <typename T, typename Items>
grpc::Status ServePage(const std::vector<T>& all, const std::string& token,
                       int page_size, Items* items, std::string* next_token) {
  size_t start = 0;
  if (!token.empty() &&
      (!absl::SimpleAtoi(token, &start) || start > all.size())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("bad page token \"", token, "\""));
  }
  const size_t end = std::min(all.size(), start + page_size);
  for (size_t i = start; i < end; ++i) *items->Add() = all[i];
  *next_token = end < all.size() ? absl::StrCat(end) : "";
  return grpc::Status::OK;
}

grpc::Status IncidentNotFound(const std::string& id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("incident \"", id, "\" not found"));
}

grpc::Status PlanNotFound(const std::string& name) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("response plan \"", name, "\" not found"));
}

// Like the incidents service: an impact left out is stored as 3.
v1::ResponsePlan WithDefaults(v1::ResponsePlan plan) {
  if (plan.incident_template().impact() == 0) {
    plan.mutable_incident_template()->set_impact(3);
  }
  return plan;
}

}  // namespace

// ---- FakeIncidentService ----

void FakeIncidentService::AddIncident(const v1::Incident& incident) {
  absl::MutexLock lock(&mu_);
  incidents_[incident.id()] = incident;
}

void FakeIncidentService::AddTimelineEvent(const v1::TimelineEvent& event) {
  absl::MutexLock lock(&mu_);
  timeline_.push_back(event);
}

void FakeIncidentService::AddUnmatched(const v1::UnmatchedAlarm& alarm) {
  absl::MutexLock lock(&mu_);
  unmatched_.push_back(alarm);
}

v1::Incident FakeIncidentService::incident(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return incidents_.at(id);
}

std::vector<v1::ResolveIncidentRequest> FakeIncidentService::resolves() {
  absl::MutexLock lock(&mu_);
  return resolves_;
}

grpc::Status FakeIncidentService::GetIncident(
    grpc::ServerContext*, const v1::GetIncidentRequest* request,
    v1::Incident* response) {
  absl::MutexLock lock(&mu_);
  auto it = incidents_.find(request->id());
  if (it == incidents_.end()) return IncidentNotFound(request->id());
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakeIncidentService::ListIncidents(
    grpc::ServerContext*, const v1::ListIncidentsRequest* request,
    v1::ListIncidentsResponse* response) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Incident> matching;
  for (const auto& [id, incident] : incidents_) {
    if (request->status() != v1::INCIDENT_STATUS_UNSPECIFIED &&
        incident.status() != request->status()) {
      continue;
    }
    if (!request->response_plan().empty() &&
        incident.response_plan() != request->response_plan()) {
      continue;
    }
    matching.push_back(incident);
  }
  return ServePage(matching, request->page_token(), kPageSize,
                   response->mutable_incidents(),
                   response->mutable_next_page_token());
}

grpc::Status FakeIncidentService::ResolveIncident(
    grpc::ServerContext*, const v1::ResolveIncidentRequest* request,
    v1::Incident* response) {
  absl::MutexLock lock(&mu_);
  auto it = incidents_.find(request->id());
  if (it == incidents_.end()) return IncidentNotFound(request->id());
  resolves_.push_back(*request);
  it->second.set_status(v1::INCIDENT_STATUS_RESOLVED);
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakeIncidentService::ListTimelineEvents(
    grpc::ServerContext*, const v1::ListTimelineEventsRequest* request,
    v1::ListTimelineEventsResponse* response) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::TimelineEvent> events;
  for (const v1::TimelineEvent& event : timeline_) {
    if (event.incident_id() == request->incident_id()) events.push_back(event);
  }
  return ServePage(events, request->page_token(), kPageSize,
                   response->mutable_events(),
                   response->mutable_next_page_token());
}

grpc::Status FakeIncidentService::ListUnmatchedAlarms(
    grpc::ServerContext*, const v1::ListUnmatchedAlarmsRequest* request,
    v1::ListUnmatchedAlarmsResponse* response) {
  absl::MutexLock lock(&mu_);
  return ServePage(unmatched_, request->page_token(), kPageSize,
                   response->mutable_alarms(),
                   response->mutable_next_page_token());
}

void FakeIncidentService::SetTestAlarmResponse(
    const v1::TestAlarmResponse& response) {
  absl::MutexLock lock(&mu_);
  test_alarm_response_ = response;
}

std::vector<v1::Alarm> FakeIncidentService::tested_alarms() {
  absl::MutexLock lock(&mu_);
  return tested_alarms_;
}

grpc::Status FakeIncidentService::TestAlarm(grpc::ServerContext*,
                                            const v1::TestAlarmRequest* request,
                                            v1::TestAlarmResponse* response) {
  absl::MutexLock lock(&mu_);
  tested_alarms_.push_back(request->alarm());
  *response = test_alarm_response_;
  return grpc::Status::OK;
}

// ---- FakeResponsePlanService ----

std::map<std::string, v1::ResponsePlan> FakeResponsePlanService::plans() {
  absl::MutexLock lock(&mu_);
  return plans_;
}

int FakeResponsePlanService::writes() {
  absl::MutexLock lock(&mu_);
  return writes_;
}

grpc::Status FakeResponsePlanService::CreateResponsePlan(
    grpc::ServerContext*, const v1::CreateResponsePlanRequest* request,
    v1::ResponsePlan* response) {
  absl::MutexLock lock(&mu_);
  const std::string& name = request->plan().name();
  if (plans_.count(name) > 0) {
    return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                        absl::StrCat("response plan \"", name, "\" exists"));
  }
  v1::ResponsePlan& plan = plans_[name] = WithDefaults(request->plan());
  plan.set_version(1);
  plan.mutable_create_time()->set_seconds(kFakeNowSeconds);
  plan.mutable_update_time()->set_seconds(kFakeNowSeconds);
  ++writes_;
  *response = plan;
  return grpc::Status::OK;
}

grpc::Status FakeResponsePlanService::UpdateResponsePlan(
    grpc::ServerContext*, const v1::UpdateResponsePlanRequest* request,
    v1::ResponsePlan* response) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(request->plan().name());
  if (it == plans_.end()) return PlanNotFound(request->plan().name());
  if (request->expected_version() != 0 &&
      request->expected_version() != it->second.version()) {
    return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
  }
  v1::ResponsePlan plan = WithDefaults(request->plan());
  plan.set_version(it->second.version() + 1);
  *plan.mutable_create_time() = it->second.create_time();
  plan.mutable_update_time()->set_seconds(kFakeNowSeconds + 60);
  it->second = plan;
  ++writes_;
  *response = plan;
  return grpc::Status::OK;
}

grpc::Status FakeResponsePlanService::GetResponsePlan(
    grpc::ServerContext*, const v1::GetResponsePlanRequest* request,
    v1::ResponsePlan* response) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(request->name());
  if (it == plans_.end()) return PlanNotFound(request->name());
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakeResponsePlanService::ListResponsePlans(
    grpc::ServerContext*, const v1::ListResponsePlansRequest*,
    v1::ListResponsePlansResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, plan] : plans_) *response->add_plans() = plan;
  return grpc::Status::OK;
}

}  // namespace tocsin::client
