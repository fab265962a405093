// A durable consumer that records the incident events it receives.
//
// It receives incident.opened and incident.resolved and records each once in
// an EventRecord (the durable name is the inbox's consumer name):
//
//   ASSIGN_OR_RETURN(std::unique_ptr<bus::Subscription> subscription,
//                    SubscribeRecordingConsumer(bus, *record, "runbook-incidents"));
//
// An event whose payload is not its type's message (IncidentOpened,
// IncidentResolved), or that names no incident in its envelope nor in its
// payload, is refused with InvalidArgument: the bus retries it up to
// max_failures times, then dead-letters it, and the events after it are
// recorded meanwhile. An event with an empty envelope incident id is recorded
// under its payload's incident id.
#ifndef TOCSIN_LIBS_EVENT_RECORD_RECORDING_CONSUMER_H_
#define TOCSIN_LIBS_EVENT_RECORD_RECORDING_CONSUMER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/bus/event_bus.h"
#include "libs/event_record/event_record.h"

namespace tocsin::event_record {

// The event types a recording consumer receives.
std::vector<std::string> RecordedEventTypes();

// Told of every delivery once it is handled: true when the event was
// recorded, false for a repeat, or the error the delivery is nak'ed with.
// Runs on the bus's thread.
using DeliveryObserver =
    std::function<void(const bus::Envelope& event, const absl::StatusOr<bool>& recorded)>;

// The durable consumer durable_name on RecordedEventTypes()
// (bus::ConsumerOptions defaults for redelivery).
bus::ConsumerOptions RecordingConsumerOptions(const std::string& durable_name);

// The handler that records each delivery into record (which must outlive
// it) under durable_name. observe may be empty.
bus::Handler RecordingHandler(EventRecord& record, const std::string& durable_name,
                              DeliveryObserver observe = nullptr);

// Subscribes RecordingHandler with RecordingConsumerOptions.
absl::StatusOr<std::unique_ptr<bus::Subscription>> SubscribeRecordingConsumer(
    bus::EventBus& bus, EventRecord& record, const std::string& durable_name,
    DeliveryObserver observe = nullptr);

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_RECORDING_CONSUMER_H_
