#include "services/postmortem/consumers.h"

#include <utility>

#include "libs/events/types.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"

namespace tocsin::postmortem {

void AddConsumers(service::ConsumerRegistry& consumers, PostmortemCore* core,
                  event_record::EventRecord* record, event_record::DeliveryObserver observe) {
  bus::Handler recording =
      event_record::RecordingHandler(*record, kIncidentsConsumer, std::move(observe));
  consumers.AddConsumer(event_record::RecordingConsumerOptions(kIncidentsConsumer),
                        [core, recording](const bus::Envelope& event) -> absl::Status {
                          if (events::Is(event, events::kIncidentResolved)) {
                            ASSIGN_OR_RETURN(incidents::v1::IncidentResolved resolved,
                                             events::Payload(event, events::kIncidentResolved));
                            incidents::v1::Incident incident = resolved.incident();
                            if (incident.id().empty()) incident.set_id(event.incident_id());
                            absl::Status made = core->AnalyseResolved(incident);
                            if (made.code() == absl::StatusCode::kNotFound) {
                              // The incidents service does not know it:
                              // nothing to analyse, now or later.
                              log::Warn("resolved incident unknown to the incidents service; "
                                        "no analysis",
                                        {{"event_id", event.event_id()},
                                         {"incident_id", event.incident_id()}});
                            } else if (!made.ok()) {
                              return made;
                            }
                          }
                          return recording(event);
                        });
}

}  // namespace tocsin::postmortem
