// The escalation service's gRPC API: ContactService and EngagementService,
// thin adapters from protos to EscalationCore with absl -> gRPC status mapping.
#ifndef TOCSIN_SERVICES_ESCALATION_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_ESCALATION_GRPC_SERVICE_H_

#include "services/escalation/core.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"

namespace tocsin::escalation {

class ContactServiceImpl final : public v1::ContactService::Service {
 public:
  explicit ContactServiceImpl(EscalationCore* core) : core_(core) {}

  grpc::Status CreateContact(grpc::ServerContext*, const v1::CreateContactRequest*,
                             Contact*) override;
  grpc::Status UpdateContact(grpc::ServerContext*, const v1::UpdateContactRequest*,
                             Contact*) override;
  grpc::Status GetContact(grpc::ServerContext*, const v1::GetContactRequest*,
                          Contact*) override;
  grpc::Status ListContacts(grpc::ServerContext*, const v1::ListContactsRequest*,
                            v1::ListContactsResponse*) override;
  grpc::Status DeleteContact(grpc::ServerContext*, const v1::DeleteContactRequest*,
                             v1::DeleteContactResponse*) override;

 private:
  EscalationCore* core_;
};

class EngagementServiceImpl final : public v1::EngagementService::Service {
 public:
  explicit EngagementServiceImpl(EscalationCore* core) : core_(core) {}

  grpc::Status ListEngagements(grpc::ServerContext*, const v1::ListEngagementsRequest*,
                               v1::ListEngagementsResponse*) override;

 private:
  EscalationCore* core_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_GRPC_SERVICE_H_
