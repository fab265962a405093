#include "services/escalation/directory.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/oncall/rotation.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "services/escalation/calendar.h"
#include "services/escalation/contacts.h"
#include "services/escalation/oncall_convert.h"

namespace tocsin::escalation {
namespace {

constexpr char kService[] = "escalation";

using Tx = EscalationStore::Tx;

absl::Status ContactNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("contact \"", name, "\" does not exist"));
}

absl::Status RotationNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("rotation \"", name, "\" does not exist"));
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool SameDestination(const v1::ContactChannel& a, const v1::ContactChannel& b) {
  if (a.destination_case() != b.destination_case()) return false;
  switch (a.destination_case()) {
    case v1::ContactChannel::kEmail:
      return a.email().address() == b.email().address();
    case v1::ContactChannel::kWebhook:
      return a.webhook().url() == b.webhook().url();
    case v1::ContactChannel::kSms:
      return a.sms().number() == b.sms().number();
    case v1::ContactChannel::kVoice:
      return a.voice().number() == b.voice().number();
    default:
      return false;
  }
}

// The contact as the API returns it: codes' hashes never leave the service.
Contact ForApi(Contact contact) {
  for (auto& channel : *contact.mutable_channels()) {
    channel.mutable_activation()->clear_code_sha256();
    if (channel.activation().ByteSizeLong() == 0) channel.clear_activation();
  }
  return contact;
}

// Equal apart from version and times.
template <typename T>
bool SameContent(T a, T b) {
  a.clear_version();
  a.clear_create_time();
  a.clear_update_time();
  b.clear_version();
  b.clear_create_time();
  b.clear_update_time();
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

bool SameOverride(const RotationOverride& a, const RotationOverride& b) {
  RotationOverride x = a, y = b;
  x.clear_create_time();
  y.clear_create_time();
  return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

absl::Status CheckRotation(const Rotation& rotation) {
  RETURN_IF_ERROR(ValidateName("rotation", rotation.name()));
  if (!rotation.has_start_time()) {
    return absl::InvalidArgumentError(
        absl::StrCat("rotation \"", rotation.name(), "\": start_time is required"));
  }
  ASSIGN_OR_RETURN(oncall::RotationSpec spec, ToRotationSpec(rotation));
  return oncall::ValidateRotation(spec);
}

absl::Status CheckOverride(const RotationOverride& o) {
  RETURN_IF_ERROR(ValidateName("override", o.name()));
  RETURN_IF_ERROR(ValidateName("rotation", o.rotation()));
  if (!o.has_start() || !o.has_end()) {
    return absl::InvalidArgumentError(absl::StrCat("override \"", o.name(), "\" of rotation \"",
                                                   o.rotation(), "\": start and end are required"));
  }
  const oncall::Override converted = ToOncallOverride(o);
  return oncall::ValidateOverrides(absl::MakeConstSpan(&converted, 1));
}

// Overlaps among one rotation's overrides (InvalidArgument naming both).
absl::Status CheckOverlaps(const std::string& rotation,
                           const std::vector<RotationOverride>& overrides) {
  absl::Status s = oncall::ValidateOverrides(ToOncallOverrides(overrides));
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat("rotation \"", rotation, "\": ", s.message()));
}

struct Directory {
  std::vector<Contact> contacts;
  std::vector<Rotation> rotations;
};

absl::StatusOr<Directory> LoadDirectory(Tx& tx) {
  Directory d;
  ASSIGN_OR_RETURN(d.contacts, tx.ListContacts());
  ASSIGN_OR_RETURN(d.rotations, tx.ListRotations());
  return d;
}

template <typename T>
void Put(std::vector<T>& items, const T& item) {
  for (T& existing : items) {
    if (existing.name() == item.name()) {
      existing = item;
      return;
    }
  }
  items.push_back(item);
}

// The rotations a name stands for: an on-call schedule's, or one rotation.
struct OnCallTarget {
  std::vector<oncall::ScheduleRotation> rotations;
  std::vector<std::string> names;
  bool schedule = false;
};

absl::StatusOr<oncall::ScheduleRotation> LoadRotationSpec(Tx& tx, const Rotation& rotation) {
  oncall::ScheduleRotation out;
  ASSIGN_OR_RETURN(out.spec, ToRotationSpec(rotation));
  ASSIGN_OR_RETURN(std::vector<RotationOverride> overrides, tx.ListOverrides(rotation.name()));
  out.overrides = ToOncallOverrides(overrides);
  return out;
}

absl::StatusOr<OnCallTarget> Resolve(Tx& tx, const std::string& name) {
  OnCallTarget target;
  ASSIGN_OR_RETURN(std::optional<Contact> contact, tx.GetContact(name));
  if (contact.has_value() && TypeOf(*contact) == v1::CONTACT_TYPE_ONCALL_SCHEDULE) {
    target.schedule = true;
    for (const std::string& r : contact->schedule().rotation_ids()) {
      ASSIGN_OR_RETURN(std::optional<Rotation> rotation, tx.GetRotation(r));
      if (!rotation.has_value()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "schedule \"", name, "\" names rotation \"", r, "\", which does not exist"));
      }
      ASSIGN_OR_RETURN(oncall::ScheduleRotation spec, LoadRotationSpec(tx, *rotation));
      target.rotations.push_back(std::move(spec));
      target.names.push_back(r);
    }
    return target;
  }
  ASSIGN_OR_RETURN(std::optional<Rotation> rotation, tx.GetRotation(name));
  if (!rotation.has_value()) {
    if (contact.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("contact \"", name, "\" is a ", TypeName(TypeOf(*contact)),
                       " contact, not a rotation or an on-call schedule"));
    }
    return absl::NotFoundError(
        absl::StrCat("no rotation or on-call schedule is named \"", name, "\""));
  }
  ASSIGN_OR_RETURN(oncall::ScheduleRotation spec, LoadRotationSpec(tx, *rotation));
  target.rotations.push_back(std::move(spec));
  target.names.push_back(name);
  return target;
}

struct Range {
  absl::Time from;
  absl::Time to;
};

Range RangeOf(const google::protobuf::Timestamp* from, const google::protobuf::Timestamp* to,
              absl::Time now) {
  Range r;
  r.from = from != nullptr ? FromProtoTime(*from) : now;
  r.to = to != nullptr ? FromProtoTime(*to) : r.from + kDefaultShiftRange;
  return r;
}

absl::StatusOr<std::vector<v1::Shift>> ShiftsOf(const OnCallTarget& target, absl::Time from,
                                                absl::Time to) {
  std::vector<v1::Shift> out;
  for (size_t i = 0; i < target.rotations.size(); ++i) {
    ASSIGN_OR_RETURN(
        std::vector<oncall::Shift> shifts,
        oncall::Shifts(target.rotations[i].spec, target.rotations[i].overrides, from, to));
    for (const oncall::Shift& s : shifts) out.push_back(ToProtoShift(s, target.names[i]));
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::Shift& a, const v1::Shift& b) {
    return FromProtoTime(a.start()) < FromProtoTime(b.start());
  });
  return out;
}

}  // namespace

DirectoryCore::DirectoryCore(EscalationStore* store, const Clock* clock, IdGenerator* ids,
                             DirectoryOptions options)
    : store_(store), clock_(clock), ids_(ids), options_(std::move(options)) {}

absl::Status DirectoryCore::Write(const std::function<absl::Status(Tx&, Events&)>& body) {
  Events emitted;
  RETURN_IF_ERROR(store_->Write([&](Tx& tx) -> absl::Status {
    emitted.clear();  // a retried body starts over
    RETURN_IF_ERROR(body(tx, emitted));
    for (const Envelope& e : emitted) RETURN_IF_ERROR(tx.Emit(e));
    return absl::OkStatus();
  }));
  if (options_.on_event) {
    for (const Envelope& e : emitted) options_.on_event(e);
  }
  return absl::OkStatus();
}

std::string DirectoryCore::RandomBytes(int n) {
  if (options_.random_bytes) return options_.random_bytes(n);
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), n) != 1) {
    // RAND_bytes fails only without an entropy source; never hand out a
    // predictable secret.
    abort();
  }
  return out;
}

std::string DirectoryCore::NewCode() {
  // Uniform over 000000..999999: 4294 * 10^6 is the largest multiple of 10^6
  // below 2^32; values at or above it are drawn again.
  while (true) {
    const std::string bytes = RandomBytes(4);
    uint32_t v = 0;
    for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
    if (v >= 4294000000u) continue;
    return absl::StrFormat("%06u", v % 1000000u);
  }
}

void DirectoryCore::SendCode(const std::string& contact, v1::ContactChannel& channel,
                             Events& emitted) {
  const std::string code = NewCode();
  const absl::Time now = clock_->Now();
  v1::ChannelActivation* a = channel.mutable_activation();
  a->Clear();
  a->set_state(v1::ACTIVATION_STATE_PENDING);
  a->set_code_sha256(Sha256(code));
  *a->mutable_code_sent_time() = ToProtoTime(now);

  v1::PageRequested page;
  page.set_page_id(ids_->Next("pg"));
  page.set_contact(contact);
  *page.mutable_channel() = channel;
  page.mutable_channel()->clear_activation();
  page.set_purpose(v1::PAGE_PURPOSE_ACTIVATION);
  page.set_activation_code(code);
  emitted.push_back(bus::NewEvent(*ids_, *clock_, kService, events::kPageRequested, "", "", page));
}

void DirectoryCore::PrepareChannels(Contact& incoming, const Contact* stored, Events& emitted) {
  for (v1::ContactChannel& channel : *incoming.mutable_channels()) {
    channel.clear_activation();  // the service's, never the user's
    const v1::ContactChannel* before = nullptr;
    if (stored != nullptr) {
      for (const v1::ContactChannel& c : stored->channels()) {
        if (c.name() == channel.name() && SameDestination(c, channel)) before = &c;
      }
    }
    if (before != nullptr) {
      if (before->has_activation()) *channel.mutable_activation() = before->activation();
    } else if (options_.activation_required) {
      SendCode(incoming.name(), channel, emitted);
    } else {
      channel.mutable_activation()->set_state(v1::ACTIVATION_STATE_ACTIVATED);
      *channel.mutable_activation()->mutable_activated_time() = ToProtoTime(clock_->Now());
    }
  }
}

// ---- Contacts ----

absl::StatusOr<Contact> DirectoryCore::SaveContact(Tx& tx, const Contact& request, bool create,
                                                   int64_t expected_version, Events& emitted) {
  RETURN_IF_ERROR(ValidateContact(request));
  Contact contact = ContactWithDefaults(request);
  ASSIGN_OR_RETURN(std::optional<Contact> existing, tx.GetContact(contact.name()));
  if (create && existing.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("contact \"", contact.name(), "\" already exists; update it instead"));
  }
  if (!create && !existing.has_value()) return ContactNotFound(contact.name());
  if (existing.has_value() && expected_version != 0 && existing->version() != expected_version) {
    return absl::AbortedError(absl::StrCat("contact \"", contact.name(), "\" is at version ",
                                           existing->version(), ", not ", expected_version,
                                           "; read it again and retry"));
  }
  PrepareChannels(contact, existing.has_value() ? &*existing : nullptr, emitted);
  if (options_.activation_required) RETURN_IF_ERROR(ValidatePlanChannelsActivated(contact));
  ASSIGN_OR_RETURN(Directory d, LoadDirectory(tx));
  Put(d.contacts, contact);
  RETURN_IF_ERROR(ValidateDirectory(d.contacts, d.rotations, {}));

  const absl::Time now = clock_->Now();
  *contact.mutable_update_time() = ToProtoTime(now);
  if (!existing.has_value()) {
    contact.set_version(1);
    *contact.mutable_create_time() = ToProtoTime(now);
    RETURN_IF_ERROR(tx.InsertContact(contact));
  } else {
    contact.set_version(existing->version() + 1);
    *contact.mutable_create_time() = existing->create_time();
    ASSIGN_OR_RETURN(bool written, tx.UpdateContact(contact, existing->version()));
    if (!written) {
      return absl::AbortedError(absl::StrCat("contact \"", contact.name(),
                                             "\" changed meanwhile; read it again and retry"));
    }
  }
  return contact;
}

absl::StatusOr<Contact> DirectoryCore::CreateContact(const Contact& request) {
  Contact saved;
  RETURN_IF_ERROR(Write([&](Tx& tx, Events& emitted) -> absl::Status {
    ASSIGN_OR_RETURN(saved, SaveContact(tx, request, /*create=*/true, 0, emitted));
    return absl::OkStatus();
  }));
  return ForApi(saved);
}

absl::StatusOr<Contact> DirectoryCore::UpdateContact(const Contact& request,
                                                     int64_t expected_version) {
  Contact saved;
  RETURN_IF_ERROR(Write([&](Tx& tx, Events& emitted) -> absl::Status {
    ASSIGN_OR_RETURN(saved, SaveContact(tx, request, /*create=*/false, expected_version, emitted));
    return absl::OkStatus();
  }));
  return ForApi(saved);
}

absl::StatusOr<Contact> DirectoryCore::GetContact(const std::string& name) {
  std::optional<Contact> contact;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(contact, tx.GetContact(name));
    return absl::OkStatus();
  }));
  if (!contact.has_value()) return ContactNotFound(name);
  return ForApi(*std::move(contact));
}

absl::StatusOr<std::vector<Contact>> DirectoryCore::ListContacts() {
  std::vector<Contact> contacts;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(contacts, tx.ListContacts());
    return absl::OkStatus();
  }));
  for (Contact& c : contacts) c = ForApi(std::move(c));
  return contacts;
}

absl::Status DirectoryCore::DeleteContact(const std::string& name) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Contact> existing, tx.GetContact(name));
    if (!existing.has_value()) return ContactNotFound(name);
    ASSIGN_OR_RETURN(Directory d, LoadDirectory(tx));
    std::vector<std::string> referrers = ContactReferrers(name, d.contacts, d.rotations);
    for (const Rotation& r : d.rotations) {
      ASSIGN_OR_RETURN(std::vector<RotationOverride> overrides, tx.ListOverrides(r.name()));
      for (const RotationOverride& o : overrides) {
        if (std::find(o.contacts().begin(), o.contacts().end(), name) != o.contacts().end()) {
          referrers.push_back(
              absl::StrCat("override \"", o.name(), "\" of rotation \"", r.name(), "\""));
        }
      }
    }
    if (!referrers.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("contact \"", name, "\" is still used by ",
                                                        absl::StrJoin(referrers, ", "),
                                                        "; remove it there first"));
    }
    ASSIGN_OR_RETURN(bool deleted, tx.DeleteContact(name));
    if (!deleted) return ContactNotFound(name);
    return absl::OkStatus();
  });
}

// ---- Activation ----

absl::StatusOr<Contact> DirectoryCore::ChangeChannel(
    const std::string& contact_name, const std::string& channel_name,
    const std::function<absl::Status(v1::ContactChannel&, Events&)>& change) {
  Contact saved;
  // An error to answer after the change committed (a wrong code counted).
  absl::Status answer;
  RETURN_IF_ERROR(Write([&](Tx& tx, Events& emitted) -> absl::Status {
    answer = absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<Contact> existing, tx.GetContact(contact_name));
    if (!existing.has_value()) return ContactNotFound(contact_name);
    Contact contact = *existing;
    v1::ContactChannel* channel = nullptr;
    for (auto& c : *contact.mutable_channels()) {
      if (c.name() == channel_name) channel = &c;
    }
    if (channel == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("contact \"", contact_name, "\" has no channel \"", channel_name, "\""));
    }
    absl::Status s = change(*channel, emitted);
    if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) return s;
    answer = s;
    if (google::protobuf::util::MessageDifferencer::Equals(contact, *existing)) {
      saved = std::move(contact);  // nothing changed (an activated channel activated again)
      return absl::OkStatus();
    }
    contact.set_version(existing->version() + 1);
    *contact.mutable_update_time() = ToProtoTime(clock_->Now());
    ASSIGN_OR_RETURN(bool written, tx.UpdateContact(contact, existing->version()));
    if (!written) {
      return absl::AbortedError(
          absl::StrCat("contact \"", contact_name, "\" changed meanwhile; retry"));
    }
    saved = std::move(contact);
    return absl::OkStatus();
  }));
  if (!answer.ok()) return answer;
  return ForApi(saved);
}

absl::StatusOr<Contact> DirectoryCore::ActivateChannel(const std::string& contact,
                                                       const std::string& channel,
                                                       const std::string& code) {
  const std::string send_code = absl::StrCat("tocsin contacts send-code ", contact, " ", channel);
  return ChangeChannel(contact, channel, [&](v1::ContactChannel& ch, Events&) -> absl::Status {
    v1::ChannelActivation* a = ch.mutable_activation();
    if (IsActivated(ch)) return absl::OkStatus();
    if (a->code_sha256().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("channel \"", channel, "\" of contact \"", contact,
                       "\" has no activation code pending; send one: ", send_code));
    }
    if (a->failed_attempts() >= kMaxActivationAttempts) {
      return absl::FailedPreconditionError(
          absl::StrCat("too many wrong codes; send a new one: ", send_code));
    }
    if (clock_->Now() - FromProtoTime(a->code_sent_time()) > kActivationCodeLifetime) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the activation code expired (codes are valid 24 hours); send a new one: ", send_code));
    }
    if (Sha256(code) != a->code_sha256()) {
      a->set_failed_attempts(a->failed_attempts() + 1);
      return absl::InvalidArgumentError("wrong activation code");
    }
    a->set_state(v1::ACTIVATION_STATE_ACTIVATED);
    a->clear_code_sha256();
    a->set_failed_attempts(0);
    *a->mutable_activated_time() = ToProtoTime(clock_->Now());
    return absl::OkStatus();
  });
}

absl::StatusOr<Contact> DirectoryCore::DeactivateChannel(const std::string& contact,
                                                         const std::string& channel) {
  return ChangeChannel(contact, channel, [&](v1::ContactChannel& ch, Events&) -> absl::Status {
    v1::ChannelActivation* a = ch.mutable_activation();
    a->set_state(v1::ACTIVATION_STATE_DEACTIVATED);
    a->clear_code_sha256();
    a->set_failed_attempts(0);
    return absl::OkStatus();
  });
}

absl::StatusOr<Contact> DirectoryCore::SendActivationCode(const std::string& contact,
                                                          const std::string& channel) {
  return ChangeChannel(
      contact, channel, [&](v1::ContactChannel& ch, Events& emitted) -> absl::Status {
        if (IsActivated(ch)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "channel \"", channel, "\" of contact \"", contact, "\" is already activated"));
        }
        SendCode(contact, ch, emitted);
        return absl::OkStatus();
      });
}

// ---- Rotations ----

absl::StatusOr<Rotation> DirectoryCore::CreateRotation(const Rotation& request) {
  RETURN_IF_ERROR(CheckRotation(request));
  Rotation rotation = request;
  RETURN_IF_ERROR(store_->Write([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Rotation> existing, tx.GetRotation(rotation.name()));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("rotation \"", rotation.name(), "\" already exists; update it instead"));
    }
    ASSIGN_OR_RETURN(Directory d, LoadDirectory(tx));
    Put(d.rotations, rotation);
    RETURN_IF_ERROR(ValidateDirectory(d.contacts, d.rotations, {}));
    const absl::Time now = clock_->Now();
    rotation.set_version(1);
    *rotation.mutable_create_time() = ToProtoTime(now);
    *rotation.mutable_update_time() = ToProtoTime(now);
    return tx.InsertRotation(rotation);
  }));
  return rotation;
}

absl::StatusOr<Rotation> DirectoryCore::UpdateRotation(const Rotation& request,
                                                       int64_t expected_version) {
  RETURN_IF_ERROR(CheckRotation(request));
  Rotation rotation = request;
  RETURN_IF_ERROR(store_->Write([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Rotation> existing, tx.GetRotation(rotation.name()));
    if (!existing.has_value()) return RotationNotFound(rotation.name());
    if (expected_version != 0 && existing->version() != expected_version) {
      return absl::AbortedError(absl::StrCat("rotation \"", rotation.name(), "\" is at version ",
                                             existing->version(), ", not ", expected_version,
                                             "; read it again and retry"));
    }
    ASSIGN_OR_RETURN(Directory d, LoadDirectory(tx));
    Put(d.rotations, rotation);
    RETURN_IF_ERROR(ValidateDirectory(d.contacts, d.rotations, {}));
    rotation.set_version(existing->version() + 1);
    *rotation.mutable_create_time() = existing->create_time();
    *rotation.mutable_update_time() = ToProtoTime(clock_->Now());
    ASSIGN_OR_RETURN(bool written, tx.UpdateRotation(rotation, existing->version()));
    if (!written) {
      return absl::AbortedError(absl::StrCat("rotation \"", rotation.name(),
                                             "\" changed meanwhile; read it again and retry"));
    }
    return absl::OkStatus();
  }));
  return rotation;
}

absl::StatusOr<Rotation> DirectoryCore::GetRotation(const std::string& name) {
  std::optional<Rotation> rotation;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(rotation, tx.GetRotation(name));
    return absl::OkStatus();
  }));
  if (!rotation.has_value()) return RotationNotFound(name);
  return *std::move(rotation);
}

absl::StatusOr<std::vector<Rotation>> DirectoryCore::ListRotations() {
  std::vector<Rotation> rotations;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(rotations, tx.ListRotations());
    return absl::OkStatus();
  }));
  return rotations;
}

absl::Status DirectoryCore::DeleteRotation(const std::string& name) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Contact> contacts, tx.ListContacts());
    std::vector<std::string> referrers = RotationReferrers(name, contacts);
    ASSIGN_OR_RETURN(std::optional<Rotation> existing, tx.GetRotation(name));
    if (!existing.has_value()) return RotationNotFound(name);
    if (!referrers.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("rotation \"", name, "\" is still used by ",
                                                        absl::StrJoin(referrers, ", "),
                                                        "; remove it there first"));
    }
    ASSIGN_OR_RETURN(bool deleted, tx.DeleteRotation(name));
    if (!deleted) return RotationNotFound(name);
    return absl::OkStatus();
  });
}

absl::StatusOr<RotationOverride> DirectoryCore::CreateOverride(const RotationOverride& request) {
  RETURN_IF_ERROR(CheckOverride(request));
  RotationOverride o = request;
  *o.mutable_create_time() = ToProtoTime(clock_->Now());
  RETURN_IF_ERROR(store_->Write([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Rotation> rotation, tx.GetRotation(o.rotation()));
    if (!rotation.has_value()) return RotationNotFound(o.rotation());
    ASSIGN_OR_RETURN(Directory d, LoadDirectory(tx));
    RETURN_IF_ERROR(ValidateDirectory(d.contacts, d.rotations, {o}));
    ASSIGN_OR_RETURN(std::vector<RotationOverride> overrides, tx.ListOverrides(o.rotation()));
    for (const RotationOverride& existing : overrides) {
      if (existing.name() == o.name()) {
        return absl::AlreadyExistsError(absl::StrCat("override \"", o.name(), "\" of rotation \"",
                                                     o.rotation(), "\" already exists"));
      }
    }
    overrides.push_back(o);
    RETURN_IF_ERROR(CheckOverlaps(o.rotation(), overrides));
    return tx.InsertOverride(o);
  }));
  return o;
}

absl::StatusOr<std::vector<RotationOverride>> DirectoryCore::ListOverrides(
    const v1::ListOverridesRequest& request) {
  std::vector<RotationOverride> overrides;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Rotation> rotation, tx.GetRotation(request.rotation()));
    if (!rotation.has_value()) return RotationNotFound(request.rotation());
    ASSIGN_OR_RETURN(overrides, tx.ListOverrides(request.rotation()));
    return absl::OkStatus();
  }));
  std::vector<RotationOverride> out;
  for (RotationOverride& o : overrides) {
    if (request.has_from() && FromProtoTime(o.end()) <= FromProtoTime(request.from())) continue;
    if (request.has_to() && FromProtoTime(o.start()) >= FromProtoTime(request.to())) continue;
    out.push_back(std::move(o));
  }
  return out;
}

absl::Status DirectoryCore::DeleteOverride(const std::string& rotation, const std::string& name) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool deleted, tx.DeleteOverride(rotation, name));
    if (!deleted) {
      return absl::NotFoundError(
          absl::StrCat("override \"", name, "\" of rotation \"", rotation, "\" does not exist"));
    }
    return absl::OkStatus();
  });
}

// ---- Who is on call ----

absl::StatusOr<v1::ListShiftsResponse> DirectoryCore::ListShifts(
    const v1::ListShiftsRequest& request) {
  OnCallTarget target;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(target, Resolve(tx, request.name()));
    return absl::OkStatus();
  }));
  const Range range = RangeOf(request.has_from() ? &request.from() : nullptr,
                              request.has_to() ? &request.to() : nullptr, clock_->Now());
  ASSIGN_OR_RETURN(std::vector<v1::Shift> shifts, ShiftsOf(target, range.from, range.to));
  v1::ListShiftsResponse response;
  for (v1::Shift& s : shifts) *response.add_shifts() = std::move(s);
  return response;
}

absl::StatusOr<v1::ListShiftsResponse> DirectoryCore::PreviewShifts(
    const v1::PreviewShiftsRequest& request) {
  RETURN_IF_ERROR(CheckRotation(request.rotation()));
  OnCallTarget target;
  oncall::ScheduleRotation r;
  ASSIGN_OR_RETURN(r.spec, ToRotationSpec(request.rotation()));
  for (const RotationOverride& o : request.overrides()) {
    RotationOverride named = o;
    named.set_rotation(request.rotation().name());
    RETURN_IF_ERROR(CheckOverride(named));
    r.overrides.push_back(ToOncallOverride(named));
  }
  target.rotations.push_back(std::move(r));
  target.names.push_back(request.rotation().name());
  const Range range = RangeOf(request.has_from() ? &request.from() : nullptr,
                              request.has_to() ? &request.to() : nullptr, clock_->Now());
  ASSIGN_OR_RETURN(std::vector<v1::Shift> shifts, ShiftsOf(target, range.from, range.to));
  v1::ListShiftsResponse response;
  for (v1::Shift& s : shifts) *response.add_shifts() = std::move(s);
  return response;
}

absl::StatusOr<v1::ListGapsResponse> DirectoryCore::ListGaps(const v1::ListGapsRequest& request) {
  OnCallTarget target;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(target, Resolve(tx, request.name()));
    return absl::OkStatus();
  }));
  const Range range = RangeOf(request.has_from() ? &request.from() : nullptr,
                              request.has_to() ? &request.to() : nullptr, clock_->Now());
  std::vector<oncall::TimeRange> gaps;
  if (target.schedule) {
    ASSIGN_OR_RETURN(gaps, oncall::ScheduleGaps(target.rotations, range.from, range.to));
  } else {
    ASSIGN_OR_RETURN(gaps, oncall::Gaps(target.rotations[0].spec, target.rotations[0].overrides,
                                        range.from, range.to));
  }
  v1::ListGapsResponse response;
  for (const oncall::TimeRange& g : gaps) {
    v1::Gap* gap = response.add_gaps();
    *gap->mutable_start() = ToProtoTime(g.start);
    *gap->mutable_end() = ToProtoTime(g.end);
  }
  return response;
}

absl::StatusOr<v1::OnCall> DirectoryCore::GetOnCall(const v1::GetOnCallRequest& request) {
  OnCallTarget target;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(target, Resolve(tx, request.name()));
    return absl::OkStatus();
  }));
  const absl::Time at = request.has_at() ? FromProtoTime(request.at()) : clock_->Now();
  v1::OnCall out;
  out.set_name(request.name());
  *out.mutable_at() = ToProtoTime(at);
  if (target.schedule) {
    ASSIGN_OR_RETURN(oncall::ScheduleOnCall now, oncall::ScheduleOnCallAt(target.rotations, at));
    for (const std::string& c : now.contacts) out.add_on_call(c);
    if (now.contacts.empty()) {
      out.set_reason(now.explanation);
    } else {
      if (now.unchanged.start != absl::InfinitePast()) {
        *out.mutable_shift_start() = ToProtoTime(now.unchanged.start);
      }
      if (now.unchanged.end != absl::InfiniteFuture()) {
        *out.mutable_shift_end() = ToProtoTime(now.unchanged.end);
      }
    }
    return out;
  }
  ASSIGN_OR_RETURN(oncall::OnCall now,
                   oncall::OnCallAt(target.rotations[0].spec, target.rotations[0].overrides, at));
  for (const std::string& c : now.contacts) out.add_on_call(c);
  if (now.shift.has_value()) {
    *out.mutable_shift_start() = ToProtoTime(now.shift->start);
    *out.mutable_shift_end() = ToProtoTime(now.shift->end);
  }
  if (now.nobody.has_value()) out.set_reason(now.nobody->explanation);
  return out;
}

// ---- Apply ----

absl::StatusOr<v1::ApplyResponse> DirectoryCore::Apply(const v1::ApplyRequest& request) {
  // Each object alone, and names unique within the request.
  absl::flat_hash_set<std::string> names;
  for (const Contact& c : request.contacts()) {
    RETURN_IF_ERROR(ValidateContact(c));
    if (!names.insert(c.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("contact \"", c.name(), "\" is in the request twice"));
    }
  }
  names.clear();
  for (const Rotation& r : request.rotations()) {
    RETURN_IF_ERROR(CheckRotation(r));
    if (!names.insert(r.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("rotation \"", r.name(), "\" is in the request twice"));
    }
  }
  names.clear();
  for (const RotationOverride& o : request.overrides()) {
    RETURN_IF_ERROR(CheckOverride(o));
    if (!names.insert(absl::StrCat(o.rotation(), "/", o.name())).second) {
      return absl::InvalidArgumentError(absl::StrCat("override \"", o.name(), "\" of rotation \"",
                                                     o.rotation(), "\" is in the request twice"));
    }
  }

  v1::ApplyResponse response;
  RETURN_IF_ERROR(Write([&](Tx& tx, Events& emitted) -> absl::Status {
    response.Clear();
    const absl::Time now = clock_->Now();
    ASSIGN_OR_RETURN(Directory d, LoadDirectory(tx));
    absl::flat_hash_map<std::string, Contact> stored_contacts;
    for (const Contact& c : d.contacts) stored_contacts[c.name()] = c;
    absl::flat_hash_map<std::string, Rotation> stored_rotations;
    for (const Rotation& r : d.rotations) stored_rotations[r.name()] = r;

    // Contacts as they would be stored.
    struct ContactWrite {
      Contact contact;
      std::optional<int64_t> expected_version;  // unset: insert
      bool changed = false;
    };
    std::vector<ContactWrite> contact_writes;
    for (const Contact& request_contact : request.contacts()) {
      ContactWrite w;
      w.contact = ContactWithDefaults(request_contact);
      auto it = stored_contacts.find(w.contact.name());
      const Contact* stored = it == stored_contacts.end() ? nullptr : &it->second;
      PrepareChannels(w.contact, stored, emitted);
      if (stored == nullptr) {
        w.changed = true;
        w.contact.set_version(1);
        *w.contact.mutable_create_time() = ToProtoTime(now);
        *w.contact.mutable_update_time() = ToProtoTime(now);
        response.add_outcomes("created");
      } else if (SameContent(w.contact, *stored)) {
        response.add_outcomes("unchanged");
      } else {
        w.changed = true;
        w.expected_version = stored->version();
        w.contact.set_version(stored->version() + 1);
        *w.contact.mutable_create_time() = stored->create_time();
        *w.contact.mutable_update_time() = ToProtoTime(now);
        response.add_outcomes("updated");
      }
      if (w.changed && options_.activation_required) {
        RETURN_IF_ERROR(ValidatePlanChannelsActivated(w.contact));
      }
      Put(d.contacts, w.contact);
      contact_writes.push_back(std::move(w));
    }

    struct RotationWrite {
      Rotation rotation;
      std::optional<int64_t> expected_version;
      bool changed = false;
    };
    std::vector<RotationWrite> rotation_writes;
    for (const Rotation& request_rotation : request.rotations()) {
      RotationWrite w;
      w.rotation = request_rotation;
      auto it = stored_rotations.find(w.rotation.name());
      if (it == stored_rotations.end()) {
        w.changed = true;
        w.rotation.set_version(1);
        *w.rotation.mutable_create_time() = ToProtoTime(now);
        *w.rotation.mutable_update_time() = ToProtoTime(now);
        response.add_outcomes("created");
      } else if (SameContent(w.rotation, it->second)) {
        response.add_outcomes("unchanged");
      } else {
        w.changed = true;
        w.expected_version = it->second.version();
        w.rotation.set_version(it->second.version() + 1);
        *w.rotation.mutable_create_time() = it->second.create_time();
        *w.rotation.mutable_update_time() = ToProtoTime(now);
        response.add_outcomes("updated");
      }
      Put(d.rotations, w.rotation);
      rotation_writes.push_back(std::move(w));
    }

    std::vector<RotationOverride> request_overrides(request.overrides().begin(),
                                                    request.overrides().end());
    RETURN_IF_ERROR(ValidateDirectory(d.contacts, d.rotations, request_overrides));

    // Overrides: each rotation's stored ones with the request's in place.
    struct OverrideWrite {
      RotationOverride override_;
      bool replace = false;  // delete the stored one of that name first
    };
    std::vector<OverrideWrite> override_writes;
    absl::flat_hash_map<std::string, std::vector<RotationOverride>> by_rotation;
    for (const RotationOverride& o : request_overrides) {
      if (!by_rotation.contains(o.rotation())) {
        std::vector<RotationOverride> existing;
        if (stored_rotations.contains(o.rotation())) {
          ASSIGN_OR_RETURN(existing, tx.ListOverrides(o.rotation()));
        }
        by_rotation[o.rotation()] = std::move(existing);
      }
      std::vector<RotationOverride>& all = by_rotation[o.rotation()];
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const RotationOverride& x) { return x.name() == o.name(); });
      RotationOverride stored_form = o;
      if (it == all.end()) {
        *stored_form.mutable_create_time() = ToProtoTime(now);
        all.push_back(stored_form);
        override_writes.push_back({stored_form, false});
        response.add_outcomes("created");
      } else if (SameOverride(*it, o)) {
        response.add_outcomes("unchanged");
      } else {
        *stored_form.mutable_create_time() = ToProtoTime(now);
        *it = stored_form;
        override_writes.push_back({stored_form, true});
        response.add_outcomes("updated");
      }
    }
    for (const auto& [rotation, overrides] : by_rotation) {
      RETURN_IF_ERROR(CheckOverlaps(rotation, overrides));
    }

    if (request.dry_run()) {
      emitted.clear();  // no code is sent for a dry run
      return absl::OkStatus();
    }
    for (const ContactWrite& w : contact_writes) {
      if (!w.changed) continue;
      if (!w.expected_version.has_value()) {
        RETURN_IF_ERROR(tx.InsertContact(w.contact));
      } else {
        ASSIGN_OR_RETURN(bool written, tx.UpdateContact(w.contact, *w.expected_version));
        if (!written) {
          return absl::AbortedError(
              absl::StrCat("contact \"", w.contact.name(), "\" changed meanwhile; apply again"));
        }
      }
    }
    for (const RotationWrite& w : rotation_writes) {
      if (!w.changed) continue;
      if (!w.expected_version.has_value()) {
        RETURN_IF_ERROR(tx.InsertRotation(w.rotation));
      } else {
        ASSIGN_OR_RETURN(bool written, tx.UpdateRotation(w.rotation, *w.expected_version));
        if (!written) {
          return absl::AbortedError(
              absl::StrCat("rotation \"", w.rotation.name(), "\" changed meanwhile; apply again"));
        }
      }
    }
    for (const OverrideWrite& w : override_writes) {
      if (w.replace) {
        RETURN_IF_ERROR(tx.DeleteOverride(w.override_.rotation(), w.override_.name()).status());
      }
      RETURN_IF_ERROR(tx.InsertOverride(w.override_));
    }
    return absl::OkStatus();
  }));
  return response;
}

// ---- Calendar feeds ----

absl::StatusOr<v1::CalendarFeed> DirectoryCore::CreateCalendarFeed(
    const v1::CreateCalendarFeedRequest& request) {
  if (request.rotation().empty() == request.contact().empty()) {
    return absl::InvalidArgumentError(
        "a calendar feed shows exactly one of a rotation and a contact");
  }
  const std::string token = absl::BytesToHexString(RandomBytes(32));
  RETURN_IF_ERROR(store_->Write([&](Tx& tx) -> absl::Status {
    if (!request.rotation().empty()) {
      ASSIGN_OR_RETURN(std::optional<Rotation> r, tx.GetRotation(request.rotation()));
      if (!r.has_value()) return RotationNotFound(request.rotation());
    } else {
      ASSIGN_OR_RETURN(std::optional<Contact> c, tx.GetContact(request.contact()));
      if (!c.has_value()) return ContactNotFound(request.contact());
      if (TypeOf(*c) != v1::CONTACT_TYPE_PERSONAL) {
        return absl::InvalidArgumentError(
            absl::StrCat("contact \"", request.contact(), "\" is an ", TypeName(TypeOf(*c)),
                         "; a calendar feed shows a person's shifts or a rotation's"));
      }
    }
    return tx.InsertCalendarFeed(absl::BytesToHexString(Sha256(token)),
                                 {request.rotation(), request.contact(), clock_->Now()});
  }));
  v1::CalendarFeed feed;
  feed.set_url(
      absl::StrCat(absl::StripSuffix(options_.public_url, "/"), "/v1/calendars/", token, ".ics"));
  feed.set_rotation(request.rotation());
  feed.set_contact(request.contact());
  return feed;
}

absl::StatusOr<CalendarDocument> DirectoryCore::RenderCalendarFeed(const std::string& token) {
  const absl::Status not_found = absl::NotFoundError("no such calendar");
  const absl::Time now = clock_->Now();
  const absl::Time from = now - kFeedPast;
  const absl::Time to = now + kFeedAhead;
  std::optional<Tx::CalendarFeedRow> feed;
  std::vector<v1::Shift> shifts;
  RETURN_IF_ERROR(store_->Read([&](Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(feed, tx.GetCalendarFeed(absl::BytesToHexString(Sha256(token))));
    if (!feed.has_value()) return not_found;
    ASSIGN_OR_RETURN(std::vector<Rotation> rotations, tx.ListRotations());
    bool found = false;
    for (const Rotation& r : rotations) {
      if (!feed->rotation.empty() && r.name() != feed->rotation) continue;
      found = true;
      OnCallTarget target;
      ASSIGN_OR_RETURN(oncall::ScheduleRotation spec, LoadRotationSpec(tx, r));
      target.rotations.push_back(std::move(spec));
      target.names.push_back(r.name());
      ASSIGN_OR_RETURN(std::vector<v1::Shift> some, ShiftsOf(target, from, to));
      for (v1::Shift& s : some) {
        if (!feed->contact.empty() && std::find(s.contacts().begin(), s.contacts().end(),
                                                feed->contact) == s.contacts().end()) {
          continue;
        }
        shifts.push_back(std::move(s));
      }
    }
    if (!feed->rotation.empty() && !found) return not_found;  // the rotation was deleted
    return absl::OkStatus();
  }));
  std::stable_sort(shifts.begin(), shifts.end(), [](const v1::Shift& a, const v1::Shift& b) {
    return FromProtoTime(a.start()) < FromProtoTime(b.start());
  });
  const std::string title = feed->rotation.empty()
                                ? absl::StrCat("Tocsin on call: ", feed->contact)
                                : absl::StrCat("Tocsin on call: rotation ", feed->rotation);
  CalendarDocument doc;
  ASSIGN_OR_RETURN(doc.ics, RenderShiftsCalendar(title, shifts, now, feed->contact));
  return doc;
}

}  // namespace tocsin::escalation
