// Contacts as users submit them: the checks a contact must pass before the
// escalation service stores it, and the defaults it fills in. Pure functions,
// no I/O, so the CLI can check a manifest with the server's own rules.
//
//   RETURN_IF_ERROR(ValidateContact(contact));   // InvalidArgument names the field
//   Contact stored = ContactWithDefaults(contact);
//   absl::Duration delay = ChannelDelay(stored.channels(1));
#ifndef TOCSIN_SERVICES_ESCALATION_CONTACTS_H_
#define TOCSIN_SERVICES_ESCALATION_CONTACTS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

using ::tocsin::escalation::v1::Contact;
using ::tocsin::escalation::v1::ContactChannel;

// Delay of a channel whose delay is unset.
inline constexpr absl::Duration kDefaultChannelDelay = absl::Minutes(5);
// The longest delay a channel may have: a stage due later than this is no
// escalation anyone waits for (and keeps timestamps far from overflow).
inline constexpr absl::Duration kMaxChannelDelay = absl::Hours(24 * 7);

// Checks a name (contact, channel): 1 to 128 letters, digits, '-', '_', '.'.
absl::Status ValidateName(absl::string_view what, absl::string_view name);

// Checks a contact a user submits: its name; at least one channel; channel
// names valid and unique; each channel with exactly one destination (an
// email address with one '@' and no spaces, or an http:// or https:// URL);
// delays >= 0 and at most kMaxChannelDelay. InvalidArgument names the
// contact, the channel and the value.
absl::Status ValidateContact(const Contact& contact);

// The contact with defaults filled in: kDefaultChannelDelay on each channel
// without a delay.
Contact ContactWithDefaults(Contact contact);

// The channel's delay as a Duration (kDefaultChannelDelay when unset).
absl::Duration ChannelDelay(const ContactChannel& channel);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CONTACTS_H_
