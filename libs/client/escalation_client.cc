#include "libs/client/escalation_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::escalation::v1;
using internal::Call;

std::unique_ptr<EscalationClient> EscalationClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<EscalationClient>(
      new EscalationClient(v1::ContactService::NewStub(channel),
                           v1::EngagementService::NewStub(channel), options));
}

EscalationClient::EscalationClient(
    std::unique_ptr<v1::ContactService::Stub> contacts,
    std::unique_ptr<v1::EngagementService::Stub> engagements,
    const ClientOptions& options)
    : contacts_(std::move(contacts)),
      engagements_(std::move(engagements)),
      options_(options) {}

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

}  // namespace tocsin::client
