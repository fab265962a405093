// Contacts as users submit them: the checks a contact must pass before the
// escalation service stores it, the checks a whole directory (contacts and
// rotations together) must pass, and the defaults filled in. Pure functions,
// no I/O, thread-safe, so the CLI can check a manifest with the server's own
// rules.
//
//   RETURN_IF_ERROR(ValidateContact(contact));   // InvalidArgument names the field
//   RETURN_IF_ERROR(ValidateDirectory(all_contacts, all_rotations, overrides));
//   Contact stored = ContactWithDefaults(contact);
//   absl::Duration delay = ChannelDelay(stored.channels(1));
//
// The three contact types (ContactType; unset means PERSONAL):
//   PERSONAL        at least one channel; channel names unique; each channel
//                   exactly one destination: an email address, an http(s)
//                   webhook URL, or an SMS / voice number in E.164 ("+", then
//                   8 to 15 digits, the first not 0). Optional personal_plan:
//                   1 to kMaxStages stages, each lasting 0 to
//                   kMaxPersonalStageMinutes minutes (0 only when the stage has
//                   targets: a stage that pages nobody must wait), each target
//                   naming a channel of this contact at most once per stage,
//                   with a retry interval from 0 to the stage's duration.
//   ESCALATION      no channels; escalation_plan with 1 to kMaxStages stages,
//                   each lasting 0 to kMaxEscalationStageMinutes minutes, each
//                   with at least one target contact (each at most once per
//                   stage); repeat 0 to kMaxRepeat.
//   ONCALL_SCHEDULE no channels; schedule with at least one rotation name
//                   (each once); no ack timeout.
// ack_timeout_in_minutes: 0 to kMaxAckTimeoutMinutes (PERSONAL, ESCALATION).
// A plan of another type than the contact's is refused.
#ifndef TOCSIN_SERVICES_ESCALATION_CONTACTS_H_
#define TOCSIN_SERVICES_ESCALATION_CONTACTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

using ::tocsin::escalation::v1::Contact;
using ::tocsin::escalation::v1::ContactChannel;

// Delay of a channel whose delay is unset.
inline constexpr absl::Duration kDefaultChannelDelay = absl::Minutes(5);
// The longest delay a channel may have: a stage due later than this is no
// escalation anyone waits for (and keeps timestamps far from overflow).
inline constexpr absl::Duration kMaxChannelDelay = absl::Hours(24 * 7);
// A personal plan stage lasts at most 30 minutes (AWS's bound).
inline constexpr int kMaxPersonalStageMinutes = 30;
// An escalation plan stage lasts at most a day (AWS allows 30 minutes; a
// schedule-of-schedules with a follow-the-sun hand-over needs longer).
inline constexpr int kMaxEscalationStageMinutes = 1440;
// Stages of one plan at most.
inline constexpr int kMaxStages = 20;
// An escalation plan runs at most 1 + 10 times.
inline constexpr int kMaxRepeat = 10;
// An acknowledged, unresolved incident pages again after at most a day.
inline constexpr int kMaxAckTimeoutMinutes = 1440;

// Checks a name (contact, channel, rotation): 1 to 128 letters, digits, '-',
// '_', '.'.
absl::Status ValidateName(absl::string_view what, absl::string_view name);

// The contact's type, PERSONAL when unset.
v1::ContactType TypeOf(const Contact& contact);
// "personal", "escalation plan", "on-call schedule".
absl::string_view TypeName(v1::ContactType type);

// Checks one contact a user submits, alone (see the rules above; references
// to other contacts and rotations are ValidateDirectory's). InvalidArgument
// names the contact, the channel or stage (1-based) and target, and the value.
absl::Status ValidateContact(const Contact& contact);

// A channel is paged only when activated; channels stored before activation
// existed (state UNSPECIFIED) count as activated.
bool IsActivated(const ContactChannel& channel);

// In required-activation mode: every channel the contact's personal plan
// targets is activated. InvalidArgument naming the contact, the stage, the
// channel and the command that activates it.
absl::Status ValidatePlanChannelsActivated(const Contact& contact);

// Checks the references of a whole directory (after a change): escalation
// targets are existing contacts; schedules name existing rotations; rotation
// members and override contacts are existing PERSONAL contacts; no
// escalation plan reaches itself (the message shows the cycle, "contact
// \"a\": escalation cycle a -> b -> a"). Each contact and rotation is assumed
// valid alone. InvalidArgument naming the referrer and the missing name.
absl::Status ValidateDirectory(absl::Span<const Contact> contacts,
                               absl::Span<const v1::Rotation> rotations,
                               absl::Span<const v1::RotationOverride> overrides);

// What in the directory refers to contact `name`, one description each
// ("escalation plan \"sre\" stage 1", "rotation \"tokyo\""), for refusing its
// deletion. Empty when nothing does.
std::vector<std::string> ContactReferrers(absl::string_view name,
                                          absl::Span<const Contact> contacts,
                                          absl::Span<const v1::Rotation> rotations);
// The schedules that name rotation `name`.
std::vector<std::string> RotationReferrers(absl::string_view name,
                                           absl::Span<const Contact> contacts);

// The contact with defaults filled in: kDefaultChannelDelay on each channel
// without a delay (PERSONAL contacts). The type is left as given.
Contact ContactWithDefaults(Contact contact);

// The channel's delay as a Duration (kDefaultChannelDelay when unset).
absl::Duration ChannelDelay(const ContactChannel& channel);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CONTACTS_H_
