// The paging service's two durable consumers, wired to the core's handlers,
// added to the service's ConsumerRegistry (libs/service), which subscribes
// them once the bus is up and reports them in /readyz.
//
//   Ticker* deliveries = host.AddTicker("deliveries", ..., DispatchDueDeliveries);
//   AddConsumers(host, core, deliveries);
//
// kPageRequestsConsumer receives page.requested (HandlePageRequested); once
// a page is accepted the delivery ticker is woken, so it is delivered at once
// rather than at the next tick. kIncidentsConsumer receives
// incident.resolved (HandleIncidentResolved). One domain per consumer.
#ifndef TOCSIN_SERVICES_PAGING_CONSUMERS_H_
#define TOCSIN_SERVICES_PAGING_CONSUMERS_H_

#include "libs/bus/event_bus.h"
#include "libs/service/consumers.h"
#include "libs/service/ticker.h"
#include "services/paging/core.h"

namespace tocsin::paging {

// The consumers' options: durable name, types, and redelivery (10
// deliveries, 2 s apart, before a message is dead-lettered).
bus::ConsumerOptions PageRequestsConsumerOptions();
bus::ConsumerOptions IncidentResolvedConsumerOptions();

// Adds both consumers to `consumers` (the service host, or a ConsumerSet in
// tests). core and deliveries must outlive them (the host stops consumers
// before tickers).
void AddConsumers(service::ConsumerRegistry& consumers, PagingCore* core,
                  service::Ticker* deliveries);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CONSUMERS_H_
