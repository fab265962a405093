#include "services/runbook/consumers.h"

#include <utility>

#include "libs/events/types.h"
#include "libs/status/status_macros.h"

namespace tocsin::runbook {

void AddConsumers(service::ConsumerRegistry& consumers, RunbookEngine* engine,
                  event_record::EventRecord* record, event_record::DeliveryObserver observe) {
  bus::Handler recording =
      event_record::RecordingHandler(*record, kIncidentsConsumer, std::move(observe));
  consumers.AddConsumer(event_record::RecordingConsumerOptions(kIncidentsConsumer),
                        [engine, recording](const bus::Envelope& event) -> absl::Status {
                          if (events::Is(event, events::kIncidentOpened)) {
                            ASSIGN_OR_RETURN(incidents::v1::IncidentOpened opened,
                                             events::Payload(event, events::kIncidentOpened));
                            RETURN_IF_ERROR(
                                engine->StartForOpenedIncident(opened, event.event_id()));
                          }
                          return recording(event);
                        });
}

}  // namespace tocsin::runbook
