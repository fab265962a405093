#include "services/escalation/grpc_service.h"

#include <utility>

#include "libs/grpc/status.h"

namespace tocsin::escalation {
// ---- ContactService ----

grpc::Status ContactServiceImpl::CreateContact(grpc::ServerContext*,
                                               const v1::CreateContactRequest* req, Contact* resp) {
  return Answer(resp, [&] { return directory_->CreateContact(req->contact()); });
}

grpc::Status ContactServiceImpl::UpdateContact(grpc::ServerContext*,
                                               const v1::UpdateContactRequest* req, Contact* resp) {
  return Answer(resp,
                [&] { return directory_->UpdateContact(req->contact(), req->expected_version()); });
}

grpc::Status ContactServiceImpl::GetContact(grpc::ServerContext*, const v1::GetContactRequest* req,
                                            Contact* resp) {
  return Answer(resp, [&] { return directory_->GetContact(req->name()); });
}

grpc::Status ContactServiceImpl::ListContacts(grpc::ServerContext*, const v1::ListContactsRequest*,
                                              v1::ListContactsResponse* resp) {
  return AnswerList(resp->mutable_contacts(), [&] { return directory_->ListContacts(); });
}

grpc::Status ContactServiceImpl::DeleteContact(grpc::ServerContext*,
                                               const v1::DeleteContactRequest* req,
                                               v1::DeleteContactResponse*) {
  return ToGrpcStatus(directory_->DeleteContact(req->name()));
}

grpc::Status ContactServiceImpl::ActivateChannel(grpc::ServerContext*,
                                                 const v1::ActivateChannelRequest* req,
                                                 Contact* resp) {
  return Answer(resp, [&] {
    return directory_->ActivateChannel(req->contact(), req->channel(), req->code());
  });
}

grpc::Status ContactServiceImpl::DeactivateChannel(grpc::ServerContext*,
                                                   const v1::DeactivateChannelRequest* req,
                                                   Contact* resp) {
  return Answer(resp,
                [&] { return directory_->DeactivateChannel(req->contact(), req->channel()); });
}

grpc::Status ContactServiceImpl::SendActivationCode(grpc::ServerContext*,
                                                    const v1::SendActivationCodeRequest* req,
                                                    Contact* resp) {
  return Answer(resp,
                [&] { return directory_->SendActivationCode(req->contact(), req->channel()); });
}

grpc::Status ContactServiceImpl::Apply(grpc::ServerContext*, const v1::ApplyRequest* req,
                                       v1::ApplyResponse* resp) {
  return Answer(resp, [&] { return directory_->Apply(*req); });
}

// ---- RotationService ----

grpc::Status RotationServiceImpl::CreateRotation(grpc::ServerContext*,
                                                 const v1::CreateRotationRequest* req,
                                                 Rotation* resp) {
  return Answer(resp, [&] { return directory_->CreateRotation(req->rotation()); });
}

grpc::Status RotationServiceImpl::UpdateRotation(grpc::ServerContext*,
                                                 const v1::UpdateRotationRequest* req,
                                                 Rotation* resp) {
  return Answer(
      resp, [&] { return directory_->UpdateRotation(req->rotation(), req->expected_version()); });
}

grpc::Status RotationServiceImpl::GetRotation(grpc::ServerContext*,
                                              const v1::GetRotationRequest* req, Rotation* resp) {
  return Answer(resp, [&] { return directory_->GetRotation(req->name()); });
}

grpc::Status RotationServiceImpl::ListRotations(grpc::ServerContext*,
                                                const v1::ListRotationsRequest*,
                                                v1::ListRotationsResponse* resp) {
  return AnswerList(resp->mutable_rotations(), [&] { return directory_->ListRotations(); });
}

grpc::Status RotationServiceImpl::DeleteRotation(grpc::ServerContext*,
                                                 const v1::DeleteRotationRequest* req,
                                                 v1::DeleteRotationResponse*) {
  return ToGrpcStatus(directory_->DeleteRotation(req->name()));
}

grpc::Status RotationServiceImpl::CreateOverride(grpc::ServerContext*,
                                                 const v1::CreateOverrideRequest* req,
                                                 RotationOverride* resp) {
  return Answer(resp, [&] { return directory_->CreateOverride(req->override()); });
}

grpc::Status RotationServiceImpl::ListOverrides(grpc::ServerContext*,
                                                const v1::ListOverridesRequest* req,
                                                v1::ListOverridesResponse* resp) {
  return AnswerList(resp->mutable_overrides(), [&] { return directory_->ListOverrides(*req); });
}

grpc::Status RotationServiceImpl::DeleteOverride(grpc::ServerContext*,
                                                 const v1::DeleteOverrideRequest* req,
                                                 v1::DeleteOverrideResponse*) {
  return ToGrpcStatus(directory_->DeleteOverride(req->rotation(), req->name()));
}

grpc::Status RotationServiceImpl::ListShifts(grpc::ServerContext*, const v1::ListShiftsRequest* req,
                                             v1::ListShiftsResponse* resp) {
  return Answer(resp, [&] { return directory_->ListShifts(*req); });
}

grpc::Status RotationServiceImpl::PreviewShifts(grpc::ServerContext*,
                                                const v1::PreviewShiftsRequest* req,
                                                v1::ListShiftsResponse* resp) {
  return Answer(resp, [&] { return directory_->PreviewShifts(*req); });
}

grpc::Status RotationServiceImpl::ListGaps(grpc::ServerContext*, const v1::ListGapsRequest* req,
                                           v1::ListGapsResponse* resp) {
  return Answer(resp, [&] { return directory_->ListGaps(*req); });
}

grpc::Status RotationServiceImpl::GetOnCall(grpc::ServerContext*, const v1::GetOnCallRequest* req,
                                            v1::OnCall* resp) {
  return Answer(resp, [&] { return directory_->GetOnCall(*req); });
}

grpc::Status RotationServiceImpl::CreateCalendarFeed(grpc::ServerContext*,
                                                     const v1::CreateCalendarFeedRequest* req,
                                                     v1::CalendarFeed* resp) {
  return Answer(resp, [&] { return directory_->CreateCalendarFeed(*req); });
}

// ---- EngagementService ----

}  // namespace tocsin::escalation
