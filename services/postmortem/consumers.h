// The postmortem service's durable consumer "postmortem-incidents": every
// incident event is recorded once (libs/event_record, for
// ListReceivedEvents); incident.resolved also gives the incident its
// automatic analysis (PostmortemCore::AnalyseResolved, once per incident,
// keyed by the incident). The analysis comes before the record, so an event
// redelivered after a crash between the two still makes nothing twice. A
// transient failure (the incidents service or the database busy) naks the
// event: it is redelivered (10 deliveries, then dead-lettered and
// replayable with `tocsin deadletters replay`). An incident the incidents
// service does not know (NotFound) is logged and gets no analysis.
#ifndef TOCSIN_SERVICES_POSTMORTEM_CONSUMERS_H_
#define TOCSIN_SERVICES_POSTMORTEM_CONSUMERS_H_

#include "libs/event_record/event_record.h"
#include "libs/event_record/recording_consumer.h"
#include "libs/service/consumers.h"
#include "services/postmortem/core.h"

namespace tocsin::postmortem {

inline constexpr char kIncidentsConsumer[] = "postmortem-incidents";

// core and record outlive the consumer. observe may be empty.
void AddConsumers(service::ConsumerRegistry& consumers, PostmortemCore* core,
                  event_record::EventRecord* record,
                  event_record::DeliveryObserver observe = nullptr);

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_CONSUMERS_H_
