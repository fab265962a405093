#include "libs/client/escalation_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::escalation::v1;
using internal::Call;

std::unique_ptr<EscalationClient> EscalationClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<EscalationClient>(
      new EscalationClient(v1::ContactService::NewStub(channel),
                           v1::RotationService::NewStub(channel),
                           v1::EngagementService::NewStub(channel), options));
}

EscalationClient::EscalationClient(
    std::unique_ptr<v1::ContactService::Stub> contacts,
    std::unique_ptr<v1::RotationService::Stub> rotations,
    std::unique_ptr<v1::EngagementService::Stub> engagements,
    const ClientOptions& options)
    : contacts_(std::move(contacts)),
      rotations_(std::move(rotations)),
      engagements_(std::move(engagements)),
      options_(options) {}

// ---- ContactService ----

absl::StatusOr<v1::Contact> EscalationClient::CreateContact(
    const v1::Contact& contact) const {
  v1::CreateContactRequest request;
  *request.mutable_contact() = contact;
  return Call(*contacts_, &v1::ContactService::Stub::CreateContact, request,
              options_.deadline);
}

absl::StatusOr<v1::Contact> EscalationClient::UpdateContact(
    const v1::Contact& contact, int64_t expected_version) const {
  v1::UpdateContactRequest request;
  *request.mutable_contact() = contact;
  request.set_expected_version(expected_version);
  return Call(*contacts_, &v1::ContactService::Stub::UpdateContact, request,
              options_.deadline);
}

absl::StatusOr<v1::Contact> EscalationClient::GetContact(
    const std::string& name) const {
  v1::GetContactRequest request;
  request.set_name(name);
  return Call(*contacts_, &v1::ContactService::Stub::GetContact, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::Contact>> EscalationClient::ListContacts()
    const {
  ASSIGN_OR_RETURN(v1::ListContactsResponse response,
                   Call(*contacts_, &v1::ContactService::Stub::ListContacts,
                        v1::ListContactsRequest(), options_.deadline));
  return internal::ToVector(response.mutable_contacts());
}

absl::StatusOr<v1::Contact> EscalationClient::ActivateChannel(
    const std::string& contact, const std::string& channel,
    const std::string& code) const {
  v1::ActivateChannelRequest request;
  request.set_contact(contact);
  request.set_channel(channel);
  request.set_code(code);
  return Call(*contacts_, &v1::ContactService::Stub::ActivateChannel, request,
              options_.deadline);
}

absl::StatusOr<v1::Contact> EscalationClient::DeactivateChannel(
    const std::string& contact, const std::string& channel) const {
  v1::DeactivateChannelRequest request;
  request.set_contact(contact);
  request.set_channel(channel);
  return Call(*contacts_, &v1::ContactService::Stub::DeactivateChannel, request,
              options_.deadline);
}

absl::StatusOr<v1::Contact> EscalationClient::SendActivationCode(
    const std::string& contact, const std::string& channel) const {
  v1::SendActivationCodeRequest request;
  request.set_contact(contact);
  request.set_channel(channel);
  return Call(*contacts_, &v1::ContactService::Stub::SendActivationCode,
              request, options_.deadline);
}

absl::StatusOr<v1::ApplyResponse> EscalationClient::Apply(
    const v1::ApplyRequest& request) const {
  return Call(*contacts_, &v1::ContactService::Stub::Apply, request,
              options_.deadline);
}

// ---- RotationService ----

absl::StatusOr<v1::Rotation> EscalationClient::CreateRotation(
    const v1::Rotation& rotation) const {
  v1::CreateRotationRequest request;
  *request.mutable_rotation() = rotation;
  return Call(*rotations_, &v1::RotationService::Stub::CreateRotation, request,
              options_.deadline);
}

absl::StatusOr<v1::Rotation> EscalationClient::UpdateRotation(
    const v1::Rotation& rotation, int64_t expected_version) const {
  v1::UpdateRotationRequest request;
  *request.mutable_rotation() = rotation;
  request.set_expected_version(expected_version);
  return Call(*rotations_, &v1::RotationService::Stub::UpdateRotation, request,
              options_.deadline);
}

absl::StatusOr<v1::Rotation> EscalationClient::GetRotation(
    const std::string& name) const {
  v1::GetRotationRequest request;
  request.set_name(name);
  return Call(*rotations_, &v1::RotationService::Stub::GetRotation, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::Rotation>> EscalationClient::ListRotations()
    const {
  ASSIGN_OR_RETURN(v1::ListRotationsResponse response,
                   Call(*rotations_, &v1::RotationService::Stub::ListRotations,
                        v1::ListRotationsRequest(), options_.deadline));
  return internal::ToVector(response.mutable_rotations());
}

absl::Status EscalationClient::DeleteRotation(const std::string& name) const {
  v1::DeleteRotationRequest request;
  request.set_name(name);
  return Call(*rotations_, &v1::RotationService::Stub::DeleteRotation, request,
              options_.deadline)
      .status();
}

absl::StatusOr<v1::RotationOverride> EscalationClient::CreateOverride(
    const v1::RotationOverride& override_) const {
  v1::CreateOverrideRequest request;
  *request.mutable_override() = override_;
  return Call(*rotations_, &v1::RotationService::Stub::CreateOverride, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::RotationOverride>>
EscalationClient::ListOverrides(const std::string& rotation,
                                const TimeRangeParams& range) const {
  v1::ListOverridesRequest request;
  request.set_rotation(rotation);
  if (range.from) *request.mutable_from() = ToProtoTime(*range.from);
  if (range.to) *request.mutable_to() = ToProtoTime(*range.to);
  ASSIGN_OR_RETURN(v1::ListOverridesResponse response,
                   Call(*rotations_, &v1::RotationService::Stub::ListOverrides,
                        request, options_.deadline));
  return internal::ToVector(response.mutable_overrides());
}

absl::Status EscalationClient::DeleteOverride(const std::string& rotation,
                                              const std::string& name) const {
  v1::DeleteOverrideRequest request;
  request.set_rotation(rotation);
  request.set_name(name);
  return Call(*rotations_, &v1::RotationService::Stub::DeleteOverride, request,
              options_.deadline)
      .status();
}

absl::StatusOr<std::vector<v1::Shift>> EscalationClient::ListShifts(
    const std::string& name, absl::Time from, absl::Time to) const {
  v1::ListShiftsRequest request;
  request.set_name(name);
  *request.mutable_from() = ToProtoTime(from);
  *request.mutable_to() = ToProtoTime(to);
  ASSIGN_OR_RETURN(v1::ListShiftsResponse response,
                   Call(*rotations_, &v1::RotationService::Stub::ListShifts,
                        request, options_.deadline));
  return internal::ToVector(response.mutable_shifts());
}

absl::StatusOr<std::vector<v1::Shift>> EscalationClient::PreviewShifts(
    const v1::Rotation& rotation,
    const std::vector<v1::RotationOverride>& overrides, absl::Time from,
    absl::Time to) const {
  v1::PreviewShiftsRequest request;
  *request.mutable_rotation() = rotation;
  for (const v1::RotationOverride& override_ : overrides) {
    *request.add_overrides() = override_;
  }
  *request.mutable_from() = ToProtoTime(from);
  *request.mutable_to() = ToProtoTime(to);
  ASSIGN_OR_RETURN(v1::ListShiftsResponse response,
                   Call(*rotations_, &v1::RotationService::Stub::PreviewShifts,
                        request, options_.deadline));
  return internal::ToVector(response.mutable_shifts());
}

absl::StatusOr<std::vector<v1::Gap>> EscalationClient::ListGaps(
    const std::string& name, absl::Time from, absl::Time to) const {
  v1::ListGapsRequest request;
  request.set_name(name);
  *request.mutable_from() = ToProtoTime(from);
  *request.mutable_to() = ToProtoTime(to);
  ASSIGN_OR_RETURN(v1::ListGapsResponse response,
                   Call(*rotations_, &v1::RotationService::Stub::ListGaps,
                        request, options_.deadline));
  return internal::ToVector(response.mutable_gaps());
}

absl::StatusOr<v1::OnCall> EscalationClient::GetOnCall(
    const std::string& name, std::optional<absl::Time> at) const {
  v1::GetOnCallRequest request;
  request.set_name(name);
  if (at) *request.mutable_at() = ToProtoTime(*at);
  return Call(*rotations_, &v1::RotationService::Stub::GetOnCall, request,
              options_.deadline);
}

absl::StatusOr<v1::CalendarFeed> EscalationClient::CreateCalendarFeed(
    const std::string& rotation, const std::string& contact) const {
  v1::CreateCalendarFeedRequest request;
  request.set_rotation(rotation);
  request.set_contact(contact);
  return Call(*rotations_, &v1::RotationService::Stub::CreateCalendarFeed,
              request, options_.deadline);
}

// ---- EngagementService ----

absl::StatusOr<std::vector<v1::Engagement>> EscalationClient::ListEngagements(
    const std::string& incident_id) const {
  v1::ListEngagementsRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(
      v1::ListEngagementsResponse response,
      Call(*engagements_, &v1::EngagementService::Stub::ListEngagements,
           request, options_.deadline));
  return internal::ToVector(response.mutable_engagements());
}

absl::StatusOr<v1::Engagement> EscalationClient::StartEngagement(
    const StartEngagementParams& params) const {
  v1::StartEngagementRequest request;
  request.set_contact(params.contact);
  request.set_incident_id(params.incident_id);
  request.set_sender(params.sender);
  request.set_subject(params.subject);
  request.set_content(params.content);
  return Call(*engagements_, &v1::EngagementService::Stub::StartEngagement,
              request, options_.deadline);
}

absl::StatusOr<v1::Engagement> EscalationClient::GetEngagement(
    const std::string& id) const {
  v1::GetEngagementRequest request;
  request.set_id(id);
  return Call(*engagements_, &v1::EngagementService::Stub::GetEngagement,
              request, options_.deadline);
}

absl::StatusOr<v1::Engagement> EscalationClient::StopEngagement(
    const std::string& id, const std::string& reason) const {
  v1::StopEngagementRequest request;
  request.set_id(id);
  request.set_reason(reason);
  return Call(*engagements_, &v1::EngagementService::Stub::StopEngagement,
              request, options_.deadline);
}

absl::StatusOr<std::vector<v1::PlannedPage>>
EscalationClient::PreviewEngagement(const std::vector<std::string>& contacts,
                                    std::optional<absl::Time> at) const {
  v1::PreviewEngagementRequest request;
  for (const std::string& contact : contacts) request.add_contacts(contact);
  if (at) *request.mutable_at() = ToProtoTime(*at);
  ASSIGN_OR_RETURN(
      v1::PreviewEngagementResponse response,
      Call(*engagements_, &v1::EngagementService::Stub::PreviewEngagement,
           request, options_.deadline));
  return internal::ToVector(response.mutable_pages());
}

}  // namespace tocsin::client
