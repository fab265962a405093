#include "libs/client/fake_escalation_service.h"

#include "absl/strings/str_cat.h"
#include "libs/client/fake_time.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::escalation::v1;

// Like escalation.proto says: a channel without a delay waits 5 minutes.
v1::Contact WithDefaults(v1::Contact contact) {
  for (auto& channel : *contact.mutable_channels()) {
    if (!channel.has_delay()) channel.mutable_delay()->set_seconds(300);
  }
  return contact;
}

grpc::Status ContactNotFound(const std::string& name) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("contact \"", name, "\" not found"));
}

}  // namespace

// ---- FakeContactService ----

std::map<std::string, v1::Contact> FakeContactService::contacts() {
  absl::MutexLock lock(&mu_);
  return contacts_;
}

int FakeContactService::writes() {
  absl::MutexLock lock(&mu_);
  return writes_;
}

grpc::Status FakeContactService::CreateContact(
    grpc::ServerContext*, const v1::CreateContactRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  const std::string& name = request->contact().name();
  if (contacts_.count(name) > 0) {
    return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                        absl::StrCat("contact \"", name, "\" exists"));
  }
  v1::Contact& contact = contacts_[name] = WithDefaults(request->contact());
  contact.set_version(1);
  contact.mutable_create_time()->set_seconds(kFakeNowSeconds);
  contact.mutable_update_time()->set_seconds(kFakeNowSeconds);
  ++writes_;
  *response = contact;
  return grpc::Status::OK;
}

grpc::Status FakeContactService::UpdateContact(
    grpc::ServerContext*, const v1::UpdateContactRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  auto it = contacts_.find(request->contact().name());
  if (it == contacts_.end()) return ContactNotFound(request->contact().name());
  if (request->expected_version() != 0 &&
      request->expected_version() != it->second.version()) {
    return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
  }
  v1::Contact contact = WithDefaults(request->contact());
  contact.set_version(it->second.version() + 1);
  *contact.mutable_create_time() = it->second.create_time();
  contact.mutable_update_time()->set_seconds(kFakeNowSeconds + 60);
  it->second = contact;
  ++writes_;
  *response = contact;
  return grpc::Status::OK;
}

grpc::Status FakeContactService::GetContact(
    grpc::ServerContext*, const v1::GetContactRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  auto it = contacts_.find(request->name());
  if (it == contacts_.end()) return ContactNotFound(request->name());
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakeContactService::ListContacts(
    grpc::ServerContext*, const v1::ListContactsRequest*,
    v1::ListContactsResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, contact] : contacts_) {
    *response->add_contacts() = contact;
  }
  return grpc::Status::OK;
}

// ---- FakeEngagementService ----

void FakeEngagementService::AddEngagement(const v1::Engagement& engagement) {
  absl::MutexLock lock(&mu_);
  engagements_.push_back(engagement);
}

grpc::Status FakeEngagementService::ListEngagements(
    grpc::ServerContext*, const v1::ListEngagementsRequest* request,
    v1::ListEngagementsResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const v1::Engagement& engagement : engagements_) {
    const bool listed =
        request->incident_id().empty()
            ? engagement.state() == v1::ENGAGEMENT_STATE_ACTIVE
            : engagement.incident_id() == request->incident_id();
    if (listed) *response->add_engagements() = engagement;
  }
  return grpc::Status::OK;
}

}  // namespace tocsin::client
