// NewEvent: the one way a service builds the Envelope of an event it emits:
// a fresh event id ("evt-…"), the type, the time by the service's clock, the
// emitting service, the incident it concerns, the id of what caused it, and
// the typed payload.
//
// The envelope always fits the bus: FitToSize(envelope, kMaxEventBytes)
// (fit.h) makes its strings valid UTF-8 and cuts the payload's longest
// strings, with a visible "…[truncated N bytes]" marker, until it is at most
// kMaxEventBytes serialized. Keep the full text where the service stores it
// (the incidents store keeps the whole alarm).
//
// When even that cannot fit (the payload's other fields alone are too large,
// or its type is not a generated message), the payload is replaced by an
// empty message of its type, the source, incident and causation ids are cut
// to 1 KiB if they must be, and an error is logged: the event still goes out
// (never blocking the outbox behind it), its consumers refuse its empty
// payload and dead-letter it, so it is set aside where operators see it.
//
// Prefer the typed overload: the event type's constant (libs/events/types.h)
// names the payload message, so a payload of another type does not compile:
//
//   bus::NewEvent(ids, clock, "incidents", events::kIncidentOpened, id, cause, opened);
#ifndef TOCSIN_LIBS_BUS_NEW_EVENT_H_
#define TOCSIN_LIBS_BUS_NEW_EVENT_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/events/event_type.h"
#include "libs/ids/ids.h"

namespace tocsin::bus {

Envelope NewEvent(IdGenerator& ids, const Clock& clock, absl::string_view source,
                  absl::string_view type, absl::string_view incident_id,
                  absl::string_view causation_id, const google::protobuf::Message& payload);

// The same, with the type and its payload checked together at compile time:
// T is deduced from both, so NewEvent(..., events::kIncidentOpened, ...,
// IncidentResolved()) is a compile error.
template <typename T>
Envelope NewEvent(IdGenerator& ids, const Clock& clock, absl::string_view source,
                  const events::EventType<T>& type, absl::string_view incident_id,
                  absl::string_view causation_id, const T& payload) {
  return NewEvent(ids, clock, source, absl::string_view(type.name), incident_id, causation_id,
                  static_cast<const google::protobuf::Message&>(payload));
}

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_NEW_EVENT_H_
