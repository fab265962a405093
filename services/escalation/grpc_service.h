// The escalation service's directory API: ContactService and RotationService
// over DirectoryCore (EngagementService is in engagement_service.h); thin
// adapters from protos to the core with absl -> gRPC status mapping (libs/grpc/status.h:
// the codes pass through unchanged). Thread-safe as the cores are.
#ifndef TOCSIN_SERVICES_ESCALATION_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_ESCALATION_GRPC_SERVICE_H_

#include "services/escalation/directory.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"

namespace tocsin::escalation {

class ContactServiceImpl final : public v1::ContactService::Service {
 public:
  explicit ContactServiceImpl(DirectoryCore* directory) : directory_(directory) {}

  grpc::Status CreateContact(grpc::ServerContext*, const v1::CreateContactRequest*,
                             Contact*) override;
  grpc::Status UpdateContact(grpc::ServerContext*, const v1::UpdateContactRequest*,
                             Contact*) override;
  grpc::Status GetContact(grpc::ServerContext*, const v1::GetContactRequest*, Contact*) override;
  grpc::Status ListContacts(grpc::ServerContext*, const v1::ListContactsRequest*,
                            v1::ListContactsResponse*) override;
  grpc::Status DeleteContact(grpc::ServerContext*, const v1::DeleteContactRequest*,
                             v1::DeleteContactResponse*) override;
  grpc::Status ActivateChannel(grpc::ServerContext*, const v1::ActivateChannelRequest*,
                               Contact*) override;
  grpc::Status DeactivateChannel(grpc::ServerContext*, const v1::DeactivateChannelRequest*,
                                 Contact*) override;
  grpc::Status SendActivationCode(grpc::ServerContext*, const v1::SendActivationCodeRequest*,
                                  Contact*) override;
  grpc::Status Apply(grpc::ServerContext*, const v1::ApplyRequest*, v1::ApplyResponse*) override;

 private:
  DirectoryCore* directory_;
};

class RotationServiceImpl final : public v1::RotationService::Service {
 public:
  explicit RotationServiceImpl(DirectoryCore* directory) : directory_(directory) {}

  grpc::Status CreateRotation(grpc::ServerContext*, const v1::CreateRotationRequest*,
                              Rotation*) override;
  grpc::Status UpdateRotation(grpc::ServerContext*, const v1::UpdateRotationRequest*,
                              Rotation*) override;
  grpc::Status GetRotation(grpc::ServerContext*, const v1::GetRotationRequest*, Rotation*) override;
  grpc::Status ListRotations(grpc::ServerContext*, const v1::ListRotationsRequest*,
                             v1::ListRotationsResponse*) override;
  grpc::Status DeleteRotation(grpc::ServerContext*, const v1::DeleteRotationRequest*,
                              v1::DeleteRotationResponse*) override;
  grpc::Status CreateOverride(grpc::ServerContext*, const v1::CreateOverrideRequest*,
                              RotationOverride*) override;
  grpc::Status ListOverrides(grpc::ServerContext*, const v1::ListOverridesRequest*,
                             v1::ListOverridesResponse*) override;
  grpc::Status DeleteOverride(grpc::ServerContext*, const v1::DeleteOverrideRequest*,
                              v1::DeleteOverrideResponse*) override;
  grpc::Status ListShifts(grpc::ServerContext*, const v1::ListShiftsRequest*,
                          v1::ListShiftsResponse*) override;
  grpc::Status PreviewShifts(grpc::ServerContext*, const v1::PreviewShiftsRequest*,
                             v1::ListShiftsResponse*) override;
  grpc::Status ListGaps(grpc::ServerContext*, const v1::ListGapsRequest*,
                        v1::ListGapsResponse*) override;
  grpc::Status GetOnCall(grpc::ServerContext*, const v1::GetOnCallRequest*, v1::OnCall*) override;
  grpc::Status CreateCalendarFeed(grpc::ServerContext*, const v1::CreateCalendarFeedRequest*,
                                  v1::CalendarFeed*) override;

 private:
  DirectoryCore* directory_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_GRPC_SERVICE_H_
