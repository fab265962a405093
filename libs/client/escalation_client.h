// Client of the escalation service's gRPC API (ContactService and
// EngagementService), as plain calls that return absl::StatusOr.
//
//   auto escalation = EscalationClient::Create(MakeChannel("127.0.0.1:7003"));
//   ASSIGN_OR_RETURN(std::vector<Engagement> engaged,
//                    escalation->ListEngagements("inc-1"));
//
// Deadlines and errors as in incidents_client.h. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_ESCALATION_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_ESCALATION_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::client {

class EscalationClient {
 public:
  static std::unique_ptr<EscalationClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  EscalationClient(const EscalationClient&) = delete;
  EscalationClient& operator=(const EscalationClient&) = delete;

  absl::StatusOr<escalation::v1::Contact> CreateContact(
      const escalation::v1::Contact& contact) const;
  // Replaces the contact of the same name. A non-zero `expected_version`
  // makes the update conditional on the stored version (Aborted when it
  // differs).
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
      const ClientOptions& options);

  std::unique_ptr<escalation::v1::ContactService::Stub> contacts_;
  std::unique_ptr<escalation::v1::EngagementService::Stub> engagements_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_ESCALATION_CLIENT_H_
