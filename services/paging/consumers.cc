#include "services/paging/consumers.h"

#include <utility>

#include "libs/events/types.h"

namespace tocsin::paging {
namespace {

bus::ConsumerOptions WithRedelivery(bus::ConsumerOptions options) {
  options.max_failures = 10;
  options.ack_wait = absl::Seconds(30);
  options.nak_delay = absl::Seconds(2);
  return options;
}

}  // namespace

bus::ConsumerOptions PageRequestsConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kPageRequestsConsumer;
  options.types = {events::kPageRequested.name};
  return WithRedelivery(std::move(options));
}

bus::ConsumerOptions IncidentResolvedConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kIncidentsConsumer;
  options.types = {events::kIncidentResolved.name};
  return WithRedelivery(std::move(options));
}

void AddConsumers(service::ConsumerRegistry& consumers, PagingCore* core,
                  service::Ticker* deliveries) {
  consumers.AddConsumer(PageRequestsConsumerOptions(), [core, deliveries](const bus::Envelope& e) {
    absl::Status handled = core->HandlePageRequested(e);
    if (handled.ok()) deliveries->Wake();
    return handled;
  });
  consumers.AddConsumer(IncidentResolvedConsumerOptions(), [core](const bus::Envelope& e) {
    return core->HandleIncidentResolved(e);
  });
}

}  // namespace tocsin::paging
