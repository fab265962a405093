// Clients of the Tocsin gRPC APIs as plain calls that return absl::StatusOr,
// one class per service:
//   IncidentsClient   incidents (IncidentService, ResponsePlanService)
//   EscalationClient  escalation (ContactService, EngagementService)
//   PagingClient      paging (PagingService)
//
//   auto client = IncidentsClient::Create(
//       grpc::CreateChannel("127.0.0.1:7002",
//       grpc::InsecureChannelCredentials()), absl::Seconds(10));
//   ASSIGN_OR_RETURN(Incident incident, client->GetIncident("inc-1"));
//
// Every RPC carries a deadline of `deadline` from when it starts. A gRPC
// error becomes the absl::Status with the same code and the server's message.
// List calls return every item, following page tokens where the API has
// them.
#ifndef TOCSIN_TOOLS_CLI_CLIENT_H_
#define TOCSIN_TOOLS_CLI_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::cli {

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
      std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

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
  absl::StatusOr<std::vector<incidents::v1::TimelineEvent>> ListTimeline(
      const std::string& incident_id) const;
  // Alarms that matched no response plan.
  absl::StatusOr<std::vector<incidents::v1::UnmatchedAlarm>> ListUnmatched()
      const;

  absl::StatusOr<incidents::v1::ResponsePlan> CreatePlan(
      const incidents::v1::ResponsePlan& plan) const;
  // Replaces the plan of the same name. A non-zero `expected_version` makes
  // the update conditional on the stored version (optimistic concurrency).
  absl::StatusOr<incidents::v1::ResponsePlan> UpdatePlan(
      const incidents::v1::ResponsePlan& plan, int64_t expected_version) const;
  absl::StatusOr<incidents::v1::ResponsePlan> GetPlan(
      const std::string& name) const;
  absl::StatusOr<std::vector<incidents::v1::ResponsePlan>> ListPlans() const;

 private:
  IncidentsClient(
      std::unique_ptr<incidents::v1::IncidentService::Stub> incidents,
      std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plans,
      absl::Duration deadline);

  std::unique_ptr<incidents::v1::IncidentService::Stub> incidents_;
  std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plans_;
  absl::Duration deadline_;
};

class EscalationClient {
 public:
  static std::unique_ptr<EscalationClient> Create(
      std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

  EscalationClient(const EscalationClient&) = delete;
  EscalationClient& operator=(const EscalationClient&) = delete;

  absl::StatusOr<escalation::v1::Contact> CreateContact(
      const escalation::v1::Contact& contact) const;
  // Replaces the contact of the same name. A non-zero `expected_version`
  // makes the update conditional on the stored version.
  absl::StatusOr<escalation::v1::Contact> UpdateContact(
      const escalation::v1::Contact& contact, int64_t expected_version) const;
  absl::StatusOr<escalation::v1::Contact> GetContact(
      const std::string& name) const;
  absl::StatusOr<std::vector<escalation::v1::Contact>> ListContacts() const;
  // The engagements of one incident; an empty `incident_id` lists every
  // active engagement.
  absl::StatusOr<std::vector<escalation::v1::Engagement>> ListEngagements(
      const std::string& incident_id) const;

 private:
  EscalationClient(
      std::unique_ptr<escalation::v1::ContactService::Stub> contacts,
      std::unique_ptr<escalation::v1::EngagementService::Stub> engagements,
      absl::Duration deadline);

  std::unique_ptr<escalation::v1::ContactService::Stub> contacts_;
  std::unique_ptr<escalation::v1::EngagementService::Stub> engagements_;
  absl::Duration deadline_;
};

class PagingClient {
 public:
  static std::unique_ptr<PagingClient> Create(
      std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

  PagingClient(const PagingClient&) = delete;
  PagingClient& operator=(const PagingClient&) = delete;

  // Acknowledges a page with the code its recipient was given. `author` is
  // recorded on the timeline, e.g. "cli:alice".
  absl::StatusOr<paging::v1::Page> AcceptPage(const std::string& page_id,
                                              const std::string& accept_code,
                                              const std::string& author) const;
  // The pages of one incident.
  absl::StatusOr<std::vector<paging::v1::Page>> ListPages(
      const std::string& incident_id) const;
  absl::StatusOr<paging::v1::Page> GetPage(const std::string& page_id) const;

 private:
  PagingClient(std::unique_ptr<paging::v1::PagingService::Stub> pages,
               absl::Duration deadline);

  std::unique_ptr<paging::v1::PagingService::Stub> pages_;
  absl::Duration deadline_;
};

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_CLIENT_H_
