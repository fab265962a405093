// NewEvent: the one way a service builds the Envelope of an event it emits:
// a fresh event id ("evt-…"), the type, the time by the service's clock, the
// emitting service, the incident it concerns, the id of what caused it, and
// the typed payload.
#ifndef TOCSIN_LIBS_BUS_NEW_EVENT_H_
#define TOCSIN_LIBS_BUS_NEW_EVENT_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"

namespace tocsin::bus {

Envelope NewEvent(IdGenerator& ids, const Clock& clock, absl::string_view source,
                  absl::string_view type, absl::string_view incident_id,
                  absl::string_view causation_id, const google::protobuf::Message& payload);

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_NEW_EVENT_H_
