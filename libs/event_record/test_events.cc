#include "libs/event_record/test_events.h"

#include "libs/events/types.h"

namespace tocsin::event_record {

bus::Envelope IncidentEvent(const std::string& type, const std::string& event_id,
                            const std::string& incident_id) {
  incidents::v1::Incident incident;
  incident.set_id(incident_id);
  incident.set_title("CPU high on web-1");
  bus::Envelope event;
  event.set_event_id(event_id);
  event.set_type(type);
  event.set_source("incidents");
  event.set_incident_id(incident_id);
  if (type == events::kIncidentResolved.name) {
    incident.set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
    incidents::v1::IncidentResolved payload;
    *payload.mutable_incident() = incident;
    event.mutable_payload()->PackFrom(payload);
  } else {
    incident.set_status(incidents::v1::INCIDENT_STATUS_OPEN);
    incidents::v1::IncidentOpened payload;
    *payload.mutable_incident() = incident;
    event.mutable_payload()->PackFrom(payload);
  }
  return event;
}

}  // namespace tocsin::event_record
