// EventType<T>: an event type's name bound to its payload message, so the
// two can never disagree. Each domain declares its types once (incident.h,
// engagement.h, page.h, system.h); producers and consumers use the constants:
//
//   ASSIGN_OR_RETURN(incidents::v1::IncidentOpened opened,
//                    events::Payload(envelope, events::kIncidentOpened));
//   if (events::Is(envelope, events::kIncidentResolved)) { ... }
//
// Payload() checks the envelope's type and unpacks the payload together:
// InvalidArgument (permanent: the bus sets such a message aside) names the
// event id and what was expected when either does not match.
#ifndef TOCSIN_LIBS_EVENTS_EVENT_TYPE_H_
#define TOCSIN_LIBS_EVENTS_EVENT_TYPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::events {

using Envelope = ::tocsin::events::v1::Envelope;

template <typename T>
struct EventType {
  // "incident.opened"; also the subject's tail (tocsin.incident.opened).
  const char* name;
};

template <typename T>
bool Is(const Envelope& envelope, const EventType<T>& type) {
  return envelope.type() == type.name;
}

template <typename T>
absl::StatusOr<T> Payload(const Envelope& envelope, const EventType<T>& type) {
  T payload;
  if (envelope.type() != type.name) {
    return absl::InvalidArgumentError(absl::StrCat("event \"", envelope.event_id(), "\" is a ",
                                                   envelope.type(), ", not a ", type.name));
  }
  if (!envelope.payload().UnpackTo(&payload)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event \"", envelope.event_id(), "\" of type ", type.name, " carries ",
        envelope.payload().type_url().empty() ? std::string("no payload")
                                              : envelope.payload().type_url(),
        ", not a ", T::descriptor()->full_name()));
  }
  return payload;
}

}  // namespace tocsin::events

#endif  // TOCSIN_LIBS_EVENTS_EVENT_TYPE_H_
