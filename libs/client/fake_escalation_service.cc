#include "libs/client/fake_escalation_service.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/client/fake_time.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::escalation::v1;
using ::google::protobuf::util::MessageDifferencer;

// Like escalation.proto says: a channel without a delay waits 5 minutes.
v1::Contact WithDefaults(v1::Contact contact) {
  for (auto& channel : *contact.mutable_channels()) {
    if (!channel.has_delay()) channel.mutable_delay()->set_seconds(300);
  }
  return contact;
}

// What a user declares of a contact: without what the service sets.
v1::Contact Declared(v1::Contact contact) {
  contact.clear_version();
  contact.clear_create_time();
  contact.clear_update_time();
  for (auto& channel : *contact.mutable_channels()) channel.clear_activation();
  return WithDefaults(std::move(contact));
}

// Channels new to the contact (by name and destination) are PENDING; the
// others keep their activation.
void CarryActivation(const v1::Contact* before, v1::Contact& after) {
  for (v1::ContactChannel& channel : *after.mutable_channels()) {
    channel.clear_activation();
    if (before != nullptr) {
      for (const v1::ContactChannel& old : before->channels()) {
        v1::ContactChannel old_bare = old;
        old_bare.clear_activation();
        old_bare.clear_delay();
        v1::ContactChannel new_bare = channel;
        new_bare.clear_delay();
        if (MessageDifferencer::Equals(old_bare, new_bare)) {
          *channel.mutable_activation() = old.activation();
        }
      }
    }
    if (!channel.has_activation()) {
      channel.mutable_activation()->set_state(v1::ACTIVATION_STATE_PENDING);
      channel.mutable_activation()->mutable_code_sent_time()->set_seconds(
          kFakeNowSeconds);
    }
  }
}

grpc::Status NotFound(const std::string& what, const std::string& name) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat(what, " \"", name, "\" not found"));
}

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

bool Overlap(int64_t start_a, int64_t end_a, const v1::Shift& shift) {
  return shift.start().seconds() < end_a && shift.end().seconds() > start_a;
}

}  // namespace

// ---- FakeRotationService ----

std::map<std::string, v1::Rotation> FakeRotationService::rotations() {
  absl::MutexLock lock(&mu_);
  return rotations_;
}

std::vector<v1::RotationOverride> FakeRotationService::overrides(
    const std::string& rotation) {
  absl::MutexLock lock(&mu_);
  return overrides_[rotation];
}

bool FakeRotationService::HasRotation(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return rotations_.count(name) > 0;
}

void FakeRotationService::SetShifts(const std::string& name,
                                    const std::vector<v1::Shift>& shifts) {
  absl::MutexLock lock(&mu_);
  shifts_[name] = shifts;
}

void FakeRotationService::SetGaps(const std::string& name,
                                  const std::vector<v1::Gap>& gaps) {
  absl::MutexLock lock(&mu_);
  gaps_[name] = gaps;
}

void FakeRotationService::SetOnCall(const v1::OnCall& on_call) {
  absl::MutexLock lock(&mu_);
  on_call_[on_call.name()] = on_call;
}

void FakeRotationService::SetPreviewShifts(
    const std::vector<v1::Shift>& shifts) {
  absl::MutexLock lock(&mu_);
  preview_shifts_ = shifts;
}

std::vector<v1::PreviewShiftsRequest> FakeRotationService::preview_requests() {
  absl::MutexLock lock(&mu_);
  return preview_requests_;
}

std::vector<v1::GetOnCallRequest> FakeRotationService::on_call_requests() {
  absl::MutexLock lock(&mu_);
  return on_call_requests_;
}

std::string FakeRotationService::StoreRotation(const v1::Rotation& rotation) {
  absl::MutexLock lock(&mu_);
  return StoreRotationLocked(rotation);
}

std::string FakeRotationService::StoreRotationLocked(
    const v1::Rotation& rotation) {
  v1::Rotation stored = rotation;
  auto it = rotations_.find(rotation.name());
  if (it == rotations_.end()) {
    stored.set_version(1);
    stored.mutable_create_time()->set_seconds(kFakeNowSeconds);
    stored.mutable_update_time()->set_seconds(kFakeNowSeconds);
    rotations_[rotation.name()] = stored;
    return "created";
  }
  v1::Rotation current = it->second;
  current.clear_version();
  current.clear_create_time();
  current.clear_update_time();
  if (MessageDifferencer::Equals(current, rotation)) return "unchanged";
  stored.set_version(it->second.version() + 1);
  *stored.mutable_create_time() = it->second.create_time();
  stored.mutable_update_time()->set_seconds(kFakeNowSeconds + 60);
  it->second = stored;
  return "updated";
}

grpc::Status FakeRotationService::CheckOverride(
    const v1::RotationOverride& override_) {
  absl::MutexLock lock(&mu_);
  return CheckOverrideLocked(override_);
}

grpc::Status FakeRotationService::CheckOverrideLocked(
    const v1::RotationOverride& override_) {
  if (override_.end().seconds() <= override_.start().seconds()) {
    return Invalid(absl::StrCat("override \"", override_.name(),
                                "\" must end after it starts"));
  }
  for (const v1::RotationOverride& other : overrides_[override_.rotation()]) {
    if (other.name() == override_.name()) continue;
    if (other.start().seconds() < override_.end().seconds() &&
        other.end().seconds() > override_.start().seconds()) {
      return Invalid(absl::StrCat(
          "override \"", override_.name(), "\" overlaps override \"",
          other.name(), "\" of rotation \"", override_.rotation(), "\""));
    }
  }
  return grpc::Status::OK;
}

std::string FakeRotationService::StoreOverride(
    const v1::RotationOverride& override_) {
  absl::MutexLock lock(&mu_);
  for (v1::RotationOverride& stored : overrides_[override_.rotation()]) {
    if (stored.name() != override_.name()) continue;
    v1::RotationOverride current = stored;
    current.clear_create_time();
    if (MessageDifferencer::Equals(current, override_)) return "unchanged";
    const auto created = stored.create_time();
    stored = override_;
    *stored.mutable_create_time() = created;
    return "updated";
  }
  v1::RotationOverride& stored =
      overrides_[override_.rotation()].emplace_back(override_);
  stored.mutable_create_time()->set_seconds(kFakeNowSeconds);
  return "created";
}

grpc::Status FakeRotationService::CreateRotation(
    grpc::ServerContext*, const v1::CreateRotationRequest* request,
    v1::Rotation* response) {
  absl::MutexLock lock(&mu_);
  const std::string& name = request->rotation().name();
  if (rotations_.count(name) > 0) {
    return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                        absl::StrCat("rotation \"", name, "\" exists"));
  }
  StoreRotationLocked(request->rotation());
  *response = rotations_[name];
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::UpdateRotation(
    grpc::ServerContext*, const v1::UpdateRotationRequest* request,
    v1::Rotation* response) {
  absl::MutexLock lock(&mu_);
  const std::string& name = request->rotation().name();
  auto it = rotations_.find(name);
  if (it == rotations_.end()) return NotFound("rotation", name);
  if (request->expected_version() != 0 &&
      request->expected_version() != it->second.version()) {
    return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
  }
  StoreRotationLocked(request->rotation());
  *response = rotations_[name];
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::GetRotation(
    grpc::ServerContext*, const v1::GetRotationRequest* request,
    v1::Rotation* response) {
  absl::MutexLock lock(&mu_);
  auto it = rotations_.find(request->name());
  if (it == rotations_.end()) return NotFound("rotation", request->name());
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::ListRotations(
    grpc::ServerContext*, const v1::ListRotationsRequest*,
    v1::ListRotationsResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, rotation] : rotations_) {
    *response->add_rotations() = rotation;
  }
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::DeleteRotation(
    grpc::ServerContext*, const v1::DeleteRotationRequest* request,
    v1::DeleteRotationResponse*) {
  absl::MutexLock lock(&mu_);
  if (rotations_.erase(request->name()) == 0) {
    return NotFound("rotation", request->name());
  }
  overrides_.erase(request->name());
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::CreateOverride(
    grpc::ServerContext*, const v1::CreateOverrideRequest* request,
    v1::RotationOverride* response) {
  const v1::RotationOverride& override_ = request->override();
  {
    absl::MutexLock lock(&mu_);
    if (rotations_.count(override_.rotation()) == 0) {
      return NotFound("rotation", override_.rotation());
    }
    for (const v1::RotationOverride& other : overrides_[override_.rotation()]) {
      if (other.name() == override_.name()) {
        return grpc::Status(
            grpc::StatusCode::ALREADY_EXISTS,
            absl::StrCat("override \"", override_.name(), "\" exists"));
      }
    }
    grpc::Status checked = CheckOverrideLocked(override_);
    if (!checked.ok()) return checked;
  }
  StoreOverride(override_);
  absl::MutexLock lock(&mu_);
  *response = overrides_[override_.rotation()].back();
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::ListOverrides(
    grpc::ServerContext*, const v1::ListOverridesRequest* request,
    v1::ListOverridesResponse* response) {
  absl::MutexLock lock(&mu_);
  if (rotations_.count(request->rotation()) == 0) {
    return NotFound("rotation", request->rotation());
  }
  for (const v1::RotationOverride& override_ :
       overrides_[request->rotation()]) {
    if (request->has_from() &&
        override_.end().seconds() <= request->from().seconds()) {
      continue;
    }
    if (request->has_to() &&
        override_.start().seconds() >= request->to().seconds()) {
      continue;
    }
    *response->add_overrides() = override_;
  }
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::DeleteOverride(
    grpc::ServerContext*, const v1::DeleteOverrideRequest* request,
    v1::DeleteOverrideResponse*) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::RotationOverride>& all = overrides_[request->rotation()];
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (it->name() == request->name()) {
      all.erase(it);
      return grpc::Status::OK;
    }
  }
  return NotFound(
      absl::StrCat("override of rotation \"", request->rotation(), "\""),
      request->name());
}

grpc::Status FakeRotationService::ListShifts(
    grpc::ServerContext*, const v1::ListShiftsRequest* request,
    v1::ListShiftsResponse* response) {
  absl::MutexLock lock(&mu_);
  auto it = shifts_.find(request->name());
  if (it == shifts_.end()) return NotFound("rotation", request->name());
  for (const v1::Shift& shift : it->second) {
    if (Overlap(request->from().seconds(), request->to().seconds(), shift)) {
      *response->add_shifts() = shift;
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::PreviewShifts(
    grpc::ServerContext*, const v1::PreviewShiftsRequest* request,
    v1::ListShiftsResponse* response) {
  absl::MutexLock lock(&mu_);
  preview_requests_.push_back(*request);
  for (const v1::Shift& shift : preview_shifts_)
    *response->add_shifts() = shift;
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::ListGaps(grpc::ServerContext*,
                                           const v1::ListGapsRequest* request,
                                           v1::ListGapsResponse* response) {
  absl::MutexLock lock(&mu_);
  auto it = gaps_.find(request->name());
  if (it == gaps_.end()) return NotFound("rotation", request->name());
  for (const v1::Gap& gap : it->second) *response->add_gaps() = gap;
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::GetOnCall(grpc::ServerContext*,
                                            const v1::GetOnCallRequest* request,
                                            v1::OnCall* response) {
  absl::MutexLock lock(&mu_);
  on_call_requests_.push_back(*request);
  auto it = on_call_.find(request->name());
  if (it == on_call_.end()) {
    return NotFound("schedule or rotation", request->name());
  }
  *response = it->second;
  if (request->has_at()) {
    *response->mutable_at() = request->at();
  } else {
    response->mutable_at()->set_seconds(kFakeNowSeconds);
  }
  return grpc::Status::OK;
}

grpc::Status FakeRotationService::CreateCalendarFeed(
    grpc::ServerContext*, const v1::CreateCalendarFeedRequest* request,
    v1::CalendarFeed* response) {
  absl::MutexLock lock(&mu_);
  if (request->rotation().empty() == request->contact().empty()) {
    return Invalid("a calendar feed is of exactly one rotation or contact");
  }
  if (!request->rotation().empty() &&
      rotations_.count(request->rotation()) == 0) {
    return NotFound("rotation", request->rotation());
  }
  response->set_url(absl::StrCat("http://127.0.0.1:7013/v1/calendars/tok-",
                                 ++feeds_, ".ics"));
  response->set_rotation(request->rotation());
  response->set_contact(request->contact());
  return grpc::Status::OK;
}

// ---- FakeContactService ----

std::map<std::string, v1::Contact> FakeContactService::contacts() {
  absl::MutexLock lock(&mu_);
  return contacts_;
}

int FakeContactService::writes() {
  absl::MutexLock lock(&mu_);
  return writes_;
}

std::vector<v1::ApplyRequest> FakeContactService::apply_requests() {
  absl::MutexLock lock(&mu_);
  return apply_requests_;
}

std::string FakeContactService::StoreContact(const v1::Contact& desired) {
  auto it = contacts_.find(desired.name());
  v1::Contact contact = WithDefaults(desired);
  if (it == contacts_.end()) {
    CarryActivation(nullptr, contact);
    contact.set_version(1);
    contact.mutable_create_time()->set_seconds(kFakeNowSeconds);
    contact.mutable_update_time()->set_seconds(kFakeNowSeconds);
    contacts_[desired.name()] = contact;
    return "created";
  }
  if (MessageDifferencer::Equals(Declared(it->second), Declared(desired))) {
    return "unchanged";
  }
  CarryActivation(&it->second, contact);
  contact.set_version(it->second.version() + 1);
  *contact.mutable_create_time() = it->second.create_time();
  contact.mutable_update_time()->set_seconds(kFakeNowSeconds + 60);
  it->second = contact;
  return "updated";
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
  StoreContact(request->contact());
  ++writes_;
  *response = contacts_[name];
  return grpc::Status::OK;
}

grpc::Status FakeContactService::UpdateContact(
    grpc::ServerContext*, const v1::UpdateContactRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  const std::string& name = request->contact().name();
  auto it = contacts_.find(name);
  if (it == contacts_.end()) return NotFound("contact", name);
  if (request->expected_version() != 0 &&
      request->expected_version() != it->second.version()) {
    return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
  }
  StoreContact(request->contact());
  ++writes_;
  *response = contacts_[name];
  return grpc::Status::OK;
}

grpc::Status FakeContactService::GetContact(
    grpc::ServerContext*, const v1::GetContactRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  auto it = contacts_.find(request->name());
  if (it == contacts_.end()) return NotFound("contact", request->name());
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

grpc::Status FakeContactService::FindChannel(
    const std::string& contact, const std::string& channel,
    v1::Contact** found_contact, v1::ContactChannel** found_channel) {
  auto it = contacts_.find(contact);
  if (it == contacts_.end()) return NotFound("contact", contact);
  for (v1::ContactChannel& candidate : *it->second.mutable_channels()) {
    if (candidate.name() == channel) {
      *found_contact = &it->second;
      *found_channel = &candidate;
      return grpc::Status::OK;
    }
  }
  return NotFound(absl::StrCat("channel of contact \"", contact, "\""),
                  channel);
}

grpc::Status FakeContactService::ActivateChannel(
    grpc::ServerContext*, const v1::ActivateChannelRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  v1::Contact* contact;
  v1::ContactChannel* channel;
  grpc::Status found =
      FindChannel(request->contact(), request->channel(), &contact, &channel);
  if (!found.ok()) return found;
  v1::ChannelActivation& activation = *channel->mutable_activation();
  if (request->code() != kFakeActivationCode) {
    activation.set_failed_attempts(activation.failed_attempts() + 1);
    return Invalid("wrong activation code");
  }
  activation.set_state(v1::ACTIVATION_STATE_ACTIVATED);
  activation.mutable_activated_time()->set_seconds(kFakeNowSeconds + 60);
  activation.set_failed_attempts(0);
  contact->set_version(contact->version() + 1);
  *response = *contact;
  return grpc::Status::OK;
}

grpc::Status FakeContactService::DeactivateChannel(
    grpc::ServerContext*, const v1::DeactivateChannelRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  v1::Contact* contact;
  v1::ContactChannel* channel;
  grpc::Status found =
      FindChannel(request->contact(), request->channel(), &contact, &channel);
  if (!found.ok()) return found;
  channel->mutable_activation()->set_state(v1::ACTIVATION_STATE_DEACTIVATED);
  contact->set_version(contact->version() + 1);
  *response = *contact;
  return grpc::Status::OK;
}

grpc::Status FakeContactService::SendActivationCode(
    grpc::ServerContext*, const v1::SendActivationCodeRequest* request,
    v1::Contact* response) {
  absl::MutexLock lock(&mu_);
  v1::Contact* contact;
  v1::ContactChannel* channel;
  grpc::Status found =
      FindChannel(request->contact(), request->channel(), &contact, &channel);
  if (!found.ok()) return found;
  v1::ChannelActivation& activation = *channel->mutable_activation();
  activation.set_state(v1::ACTIVATION_STATE_PENDING);
  activation.mutable_code_sent_time()->set_seconds(kFakeNowSeconds + 60);
  activation.set_failed_attempts(0);
  contact->set_version(contact->version() + 1);
  *response = *contact;
  return grpc::Status::OK;
}

grpc::Status FakeContactService::CheckApply(const v1::ApplyRequest& request) {
  std::set<std::string> contacts;
  for (const auto& [name, contact] : contacts_) contacts.insert(name);
  for (const v1::Contact& contact : request.contacts()) {
    contacts.insert(contact.name());
  }
  std::set<std::string> rotations;
  for (const v1::Rotation& rotation : request.rotations()) {
    rotations.insert(rotation.name());
  }
  auto is_rotation = [&](const std::string& name) {
    return rotations.count(name) > 0 ||
           (rotations_ != nullptr && rotations_->HasRotation(name));
  };
  if (rotations_ == nullptr &&
      (request.rotations_size() > 0 || request.overrides_size() > 0)) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "this fake stores no rotations");
  }
  for (const v1::Contact& contact : request.contacts()) {
    for (int s = 0; s < contact.escalation_plan().stages_size(); ++s) {
      for (const v1::ContactTarget& target :
           contact.escalation_plan().stages(s).targets()) {
        if (contacts.count(target.contact()) == 0) {
          return Invalid(absl::StrCat("contact \"", contact.name(),
                                      "\": stage ", s + 1, " target \"",
                                      target.contact(), "\" is not a contact"));
        }
      }
    }
    for (const std::string& rotation : contact.schedule().rotation_ids()) {
      if (!is_rotation(rotation)) {
        return Invalid(absl::StrCat("contact \"", contact.name(),
                                    "\": rotation \"", rotation,
                                    "\" is not a rotation"));
      }
    }
  }
  for (const v1::Rotation& rotation : request.rotations()) {
    for (const std::string& member : rotation.contacts()) {
      if (contacts.count(member) == 0) {
        return Invalid(absl::StrCat("rotation \"", rotation.name(),
                                    "\": member \"", member,
                                    "\" is not a contact"));
      }
    }
  }
  for (int i = 0; i < request.overrides_size(); ++i) {
    const v1::RotationOverride& override_ = request.overrides(i);
    if (!is_rotation(override_.rotation())) {
      return Invalid(absl::StrCat("override \"", override_.name(),
                                  "\": rotation \"", override_.rotation(),
                                  "\" is not a rotation"));
    }
    grpc::Status checked = rotations_->CheckOverride(override_);
    if (!checked.ok()) return checked;
    for (int k = 0; k < i; ++k) {
      const v1::RotationOverride& other = request.overrides(k);
      if (other.rotation() == override_.rotation() &&
          other.start().seconds() < override_.end().seconds() &&
          other.end().seconds() > override_.start().seconds()) {
        return Invalid(absl::StrCat(
            "override \"", override_.name(), "\" overlaps override \"",
            other.name(), "\" of rotation \"", override_.rotation(), "\""));
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeContactService::Apply(grpc::ServerContext*,
                                       const v1::ApplyRequest* request,
                                       v1::ApplyResponse* response) {
  absl::MutexLock lock(&mu_);
  apply_requests_.push_back(*request);
  grpc::Status checked = CheckApply(*request);
  if (!checked.ok()) return checked;
  if (request->dry_run()) {
    // What each object would become, without storing it.
    for (const v1::Contact& contact : request->contacts()) {
      auto it = contacts_.find(contact.name());
      response->add_outcomes(
          it == contacts_.end() ? "created"
          : MessageDifferencer::Equals(Declared(it->second), Declared(contact))
              ? "unchanged"
              : "updated");
    }
    return grpc::Status::OK;
  }
  for (const v1::Contact& contact : request->contacts()) {
    response->add_outcomes(StoreContact(contact));
  }
  for (const v1::Rotation& rotation : request->rotations()) {
    response->add_outcomes(rotations_->StoreRotation(rotation));
  }
  for (const v1::RotationOverride& override_ : request->overrides()) {
    response->add_outcomes(rotations_->StoreOverride(override_));
  }
  for (const std::string& outcome : response->outcomes()) {
    if (outcome != "unchanged") {
      ++writes_;
      break;
    }
  }
  return grpc::Status::OK;
}

// ---- FakeEngagementService ----

void FakeEngagementService::AddEngagement(const v1::Engagement& engagement) {
  absl::MutexLock lock(&mu_);
  engagements_.push_back(engagement);
}

v1::Engagement FakeEngagementService::engagement(const std::string& id) {
  absl::MutexLock lock(&mu_);
  v1::Engagement* found = Find(id);
  return found != nullptr ? *found : v1::Engagement();
}

void FakeEngagementService::SetPreview(
    const std::vector<v1::PlannedPage>& pages) {
  absl::MutexLock lock(&mu_);
  preview_ = pages;
}

std::vector<v1::PreviewEngagementRequest>
FakeEngagementService::preview_requests() {
  absl::MutexLock lock(&mu_);
  return preview_requests_;
}

v1::Engagement* FakeEngagementService::Find(const std::string& id) {
  for (v1::Engagement& engagement : engagements_) {
    if (engagement.id() == id) return &engagement;
  }
  return nullptr;
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

grpc::Status FakeEngagementService::StartEngagement(
    grpc::ServerContext*, const v1::StartEngagementRequest* request,
    v1::Engagement* response) {
  absl::MutexLock lock(&mu_);
  if (request->contact().empty()) return Invalid("contact is required");
  v1::Engagement& engagement = engagements_.emplace_back();
  engagement.set_id(absl::StrCat("eng-", ++started_));
  engagement.set_root_id(engagement.id());
  engagement.set_incident_id(request->incident_id());
  engagement.set_contact(request->contact());
  engagement.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  engagement.mutable_start_time()->set_seconds(kFakeNowSeconds);
  engagement.set_sender(request->sender());
  engagement.set_subject(request->subject());
  engagement.set_content(request->content());
  engagement.set_version(1);
  *response = engagement;
  return grpc::Status::OK;
}

grpc::Status FakeEngagementService::GetEngagement(
    grpc::ServerContext*, const v1::GetEngagementRequest* request,
    v1::Engagement* response) {
  absl::MutexLock lock(&mu_);
  v1::Engagement* found = Find(request->id());
  if (found == nullptr) return NotFound("engagement", request->id());
  *response = *found;
  return grpc::Status::OK;
}

grpc::Status FakeEngagementService::StopEngagement(
    grpc::ServerContext*, const v1::StopEngagementRequest* request,
    v1::Engagement* response) {
  absl::MutexLock lock(&mu_);
  v1::Engagement* found = Find(request->id());
  if (found == nullptr) return NotFound("engagement", request->id());
  std::set<std::string> stopping = {request->id()};
  // Parents come before their children in the list.
  for (v1::Engagement& engagement : engagements_) {
    if (stopping.count(engagement.parent_id()) > 0) {
      stopping.insert(engagement.id());
    }
    if (stopping.count(engagement.id()) > 0 &&
        engagement.state() == v1::ENGAGEMENT_STATE_ACTIVE) {
      engagement.set_state(v1::ENGAGEMENT_STATE_STOPPED);
      engagement.set_stop_reason(request->reason());
      engagement.mutable_stop_time()->set_seconds(kFakeNowSeconds + 60);
      engagement.clear_next_due();
      engagement.set_version(engagement.version() + 1);
    }
  }
  *response = *Find(request->id());
  return grpc::Status::OK;
}

grpc::Status FakeEngagementService::PreviewEngagement(
    grpc::ServerContext*, const v1::PreviewEngagementRequest* request,
    v1::PreviewEngagementResponse* response) {
  absl::MutexLock lock(&mu_);
  preview_requests_.push_back(*request);
  for (const v1::PlannedPage& page : preview_) *response->add_pages() = page;
  return grpc::Status::OK;
}

}  // namespace tocsin::client
