// DirectoryCore: the escalation service's directory: contacts (people,
// escalation plans, on-call schedules), the activation of their channels,
// rotations and their overrides, who is on call when, whole-file Apply and
// calendar feeds. Independent of gRPC and HTTP; every change is one store
// transaction, and the events it emits (activation codes sent as
// page.requested) go through the store's outbox in that transaction.
//
// Validation: every save checks the object alone (contacts.h ValidateContact,
// oncall::ValidateRotation through oncall_convert) and then the directory as
// it would be after the change (ValidateDirectory: references, rotation
// members are PERSONAL contacts, no escalation cycle). Deleting something
// still referred to is FailedPrecondition naming the referrer.
//
// Activation (docs: DECISIONS "Activation"): a channel new to a contact (a new
// name, or a known name with another destination) is stored PENDING with a
// 6-digit code sent to it (page.requested, purpose ACTIVATION) when
// activation_required, else ACTIVATED. A channel whose name and destination
// are unchanged keeps its activation across updates. In required mode a
// personal plan naming a channel that is not activated is refused when the
// contact is saved. Codes are valid kActivationCodeLifetime and
// kMaxActivationAttempts wrong tries; only their SHA-256 is stored, and it is
// never returned (contacts returned have code_sha256 cleared).
//
// Errors: InvalidArgument (names the object and field), NotFound,
// AlreadyExists, FailedPrecondition (a referrer, a void code), Aborted (a
// version that moved: read again and retry), Unavailable/Internal from the
// store.
//
// Thread-safe: gRPC calls and HTTP feed requests run at once.
#ifndef TOCSIN_SERVICES_ESCALATION_DIRECTORY_H_
#define TOCSIN_SERVICES_ESCALATION_DIRECTORY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"
#include "services/escalation/store.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

inline constexpr absl::Duration kActivationCodeLifetime = absl::Hours(24);
inline constexpr int kMaxActivationAttempts = 5;
// Default range of ListShifts / ListGaps without from/to: from now, a week.
inline constexpr absl::Duration kDefaultShiftRange = absl::Hours(24 * 7);
// Calendar feeds: shifts from a week ago to 8 weeks ahead.
inline constexpr absl::Duration kFeedPast = absl::Hours(24 * 7);
inline constexpr absl::Duration kFeedAhead = absl::Hours(24 * 7 * 8);

struct DirectoryOptions {
  // --channel_activation=required (true) | off (false).
  bool activation_required = true;
  // Called after commit with each event emitted, in order (metrics, logs).
  std::function<void(const Envelope&)> on_event;
  // n cryptographically random bytes (activation codes, feed tokens);
  // OpenSSL's RAND_bytes when unset. Tests make it predictable.
  std::function<std::string(int n)> random_bytes;
  // The escalation service's public HTTP base, for calendar feed URLs.
  std::string public_url = "http://127.0.0.1:7103";
};

// A rendered calendar feed.
struct CalendarDocument {
  std::string ics;  // text/calendar
};

class DirectoryCore {
 public:
  DirectoryCore(EscalationStore* store, const Clock* clock, IdGenerator* ids,
                DirectoryOptions options);

  // ---- Contacts
  absl::StatusOr<Contact> CreateContact(const Contact& contact);
  // A non-zero expected_version must equal the stored version (Aborted).
  absl::StatusOr<Contact> UpdateContact(const Contact& contact, int64_t expected_version);
  absl::StatusOr<Contact> GetContact(const std::string& name);
  absl::StatusOr<std::vector<Contact>> ListContacts();
  // FailedPrecondition while an escalation plan, rotation or override names it.
  absl::Status DeleteContact(const std::string& name);

  // ---- Activation
  // Right code: ACTIVATED. Wrong: InvalidArgument "wrong activation code"
  // (the attempt is counted). FailedPrecondition after kMaxActivationAttempts
  // wrong codes, for an expired code, or a channel with no code pending. An
  // activated channel stays activated (OK).
  absl::StatusOr<Contact> ActivateChannel(const std::string& contact, const std::string& channel,
                                          const std::string& code);
  absl::StatusOr<Contact> DeactivateChannel(const std::string& contact, const std::string& channel);
  // A new code (the old one is void), PENDING. FailedPrecondition for an
  // activated channel (deactivate it first).
  absl::StatusOr<Contact> SendActivationCode(const std::string& contact,
                                             const std::string& channel);

  // ---- Rotations
  absl::StatusOr<Rotation> CreateRotation(const Rotation& rotation);
  absl::StatusOr<Rotation> UpdateRotation(const Rotation& rotation, int64_t expected_version);
  absl::StatusOr<Rotation> GetRotation(const std::string& name);
  absl::StatusOr<std::vector<Rotation>> ListRotations();
  // FailedPrecondition while a schedule names it. Deletes its overrides.
  absl::Status DeleteRotation(const std::string& name);

  // Name unique per rotation (AlreadyExists); overlapping another override
  // of the rotation is InvalidArgument naming both.
  absl::StatusOr<RotationOverride> CreateOverride(const RotationOverride& override_);
  absl::StatusOr<std::vector<RotationOverride>> ListOverrides(
      const v1::ListOverridesRequest& request);
  absl::Status DeleteOverride(const std::string& rotation, const std::string& name);

  // ---- Who is on call. `name` is a rotation or an on-call schedule (its
  // rotations together). Unset from/to: now and now + kDefaultShiftRange.
  absl::StatusOr<v1::ListShiftsResponse> ListShifts(const v1::ListShiftsRequest& request);
  absl::StatusOr<v1::ListShiftsResponse> PreviewShifts(const v1::PreviewShiftsRequest& request);
  absl::StatusOr<v1::ListGapsResponse> ListGaps(const v1::ListGapsRequest& request);
  // Unset at: now. In a gap on_call is empty and reason says why.
  absl::StatusOr<v1::OnCall> GetOnCall(const v1::GetOnCallRequest& request);

  // ---- Apply: contacts, rotations and overrides validated together against
  // the stored directory, in one transaction, all or nothing. Objects not in
  // the request are left alone. Outcomes in request order (contacts,
  // rotations, overrides): "created", "updated" or "unchanged". dry_run:
  // the same checks and outcomes, nothing stored, no code sent.
  absl::StatusOr<v1::ApplyResponse> Apply(const v1::ApplyRequest& request);

  // ---- Calendar feeds
  // Exactly one of rotation and contact (a PERSONAL one). The URL holds a
  // 256-bit random token, returned only here; only its SHA-256 is stored.
  absl::StatusOr<v1::CalendarFeed> CreateCalendarFeed(const v1::CreateCalendarFeedRequest& request);
  // The feed of a token (from kFeedPast ago to kFeedAhead from now).
  // NotFound (saying nothing more) for a token no feed has.
  absl::StatusOr<CalendarDocument> RenderCalendarFeed(const std::string& token);

 private:
  using Events = std::vector<Envelope>;
  absl::Status Write(const std::function<absl::Status(EscalationStore::Tx&, Events&)>& body);
  std::string RandomBytes(int n);
  std::string NewCode();

  // Gives every channel of `incoming` its activation: kept from `stored`
  // when the name and destination are the same, else new (PENDING with a
  // code sent, or ACTIVATED when activation is off).
  void PrepareChannels(Contact& incoming, const Contact* stored, Events& emitted);
  // Sends a fresh code to channel (PENDING); emits page.requested.
  void SendCode(const std::string& contact, v1::ContactChannel& channel, Events& emitted);
  // The contact as saved: validated, defaults, activation, version, times;
  // checked against the directory with it in place.
  absl::StatusOr<Contact> SaveContact(EscalationStore::Tx& tx, const Contact& request, bool create,
                                      int64_t expected_version, Events& emitted);
  // Changes one channel of a stored contact under compare-and-set.
  absl::StatusOr<Contact> ChangeChannel(
      const std::string& contact, const std::string& channel,
      const std::function<absl::Status(v1::ContactChannel&, Events&)>& change);

  EscalationStore* store_;
  const Clock* clock_;
  IdGenerator* ids_;
  DirectoryOptions options_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_DIRECTORY_H_
