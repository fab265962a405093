// The runbook service's durable consumer "runbook-incidents": incident.opened
// and incident.resolved, each recorded once (libs/event_record, for
// ListReceivedEvents); incident.opened also starts the response plan's
// runbook, once per incident (RunbookEngine::StartForOpenedIncident, keyed by
// the incident). The start comes before the record, so an event redelivered
// after a crash between the two still starts nothing twice. A transient
// failure (the incidents service or the database busy) naks the event: it is
// redelivered (10 deliveries, then dead-lettered and replayable).
#ifndef TOCSIN_SERVICES_RUNBOOK_CONSUMERS_H_
#define TOCSIN_SERVICES_RUNBOOK_CONSUMERS_H_

#include "libs/event_record/event_record.h"
#include "libs/event_record/recording_consumer.h"
#include "libs/service/consumers.h"
#include "services/runbook/engine.h"

namespace tocsin::runbook {

inline constexpr char kIncidentsConsumer[] = "runbook-incidents";

// engine and record outlive the consumer. observe may be empty.
void AddConsumers(service::ConsumerRegistry& consumers, RunbookEngine* engine,
                  event_record::EventRecord* record,
                  event_record::DeliveryObserver observe = nullptr);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_CONSUMERS_H_
