// Incident events as the incidents service emits them, for the tests of
// recording consumers and services (testonly).
//
//   bus::Envelope opened = IncidentEvent("incident.opened", "evt-1", "inc-1");
#ifndef TOCSIN_LIBS_EVENT_RECORD_TEST_EVENTS_H_
#define TOCSIN_LIBS_EVENT_RECORD_TEST_EVENTS_H_

#include <string>

#include "libs/bus/event_bus.h"

namespace tocsin::event_record {

// An event of type "incident.opened" or "incident.resolved" about incident_id
// (in the envelope and in the payload), with the payload of its type.
bus::Envelope IncidentEvent(const std::string& type, const std::string& event_id,
                            const std::string& incident_id);

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_TEST_EVENTS_H_
