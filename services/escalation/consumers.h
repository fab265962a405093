// The escalation service's two durable consumers, wired to the core's
// handlers, added to the service's ConsumerSet (libs/service), which
// subscribes them once the bus is up and reports them in /readyz.
//
//   AddConsumers(host, core);   // host: the service's ServiceHost
//
// kIncidentsConsumer receives incident.opened and incident.resolved;
// kPagesConsumer receives page.acknowledged, kPageFailuresConsumer
// page.failed (one domain per consumer; a durable of its own, so the filter of
// an existing kPagesConsumer never has to change).
#ifndef TOCSIN_SERVICES_ESCALATION_CONSUMERS_H_
#define TOCSIN_SERVICES_ESCALATION_CONSUMERS_H_

#include <memory>

#include "absl/status/status.h"
#include "libs/bus/event_bus.h"
#include "libs/service/consumers.h"
#include "services/escalation/core.h"

namespace tocsin::escalation {

// The consumers' options: durable name, types, and redelivery (10
// deliveries, 2 s apart, before a message is dead-lettered).
bus::ConsumerOptions IncidentConsumerOptions();
bus::ConsumerOptions PageConsumerOptions();
bus::ConsumerOptions PageFailureConsumerOptions();

// Adds both consumers to `consumers` (the service host, or a ConsumerSet in
// tests); core must outlive them.
void AddConsumers(service::ConsumerRegistry& consumers, EscalationCore* core);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CONSUMERS_H_
