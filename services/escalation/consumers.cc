#include "services/escalation/consumers.h"

#include <string>
#include <utility>

#include "libs/events/types.h"

namespace tocsin::escalation {
namespace {

bus::ConsumerOptions WithRedelivery(bus::ConsumerOptions options) {
  options.max_failures = 10;
  options.ack_wait = absl::Seconds(30);
  options.nak_delay = absl::Seconds(2);
  return options;
}

}  // namespace

bus::ConsumerOptions IncidentConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kIncidentsConsumer;
  options.types = {events::kIncidentOpened.name, events::kIncidentUpdated.name,
                   events::kIncidentResolved.name};
  return WithRedelivery(std::move(options));
}

bus::ConsumerOptions PageConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kPagesConsumer;
  options.types = {events::kPageAcknowledged.name};
  return WithRedelivery(std::move(options));
}

bus::ConsumerOptions PageFailureConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kPageFailuresConsumer;
  options.types = {events::kPageFailed.name};
  return WithRedelivery(std::move(options));
}

void AddConsumers(service::ConsumerRegistry& consumers, EscalationCore* core) {
  consumers.AddConsumer(IncidentConsumerOptions(),
                [core](const bus::Envelope& e) { return core->HandleIncidentEvent(e); });
  consumers.AddConsumer(PageConsumerOptions(),
                [core](const bus::Envelope& e) { return core->HandlePageEvent(e); });
  consumers.AddConsumer(PageFailureConsumerOptions(),
                [core](const bus::Envelope& e) { return core->HandlePageEvent(e); });
}

}  // namespace tocsin::escalation
