#include "libs/event_record/recording_consumer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/events/types.h"
#include "libs/status/status_macros.h"

namespace tocsin::event_record {
namespace {

// The incident id of the event's payload, which must be the type's
// (InvalidArgument otherwise).
template <typename T>
absl::StatusOr<std::string> PayloadIncidentId(const bus::Envelope& event,
                                              const events::EventType<T>& type) {
  ASSIGN_OR_RETURN(T payload, events::Payload(event, type));
  return payload.incident().id();
}

// The event as recorded: its incident id from the envelope, else from the
// payload.
absl::StatusOr<bus::Envelope> AsRecorded(const bus::Envelope& event) {
  absl::StatusOr<std::string> payload_incident_id;
  if (events::Is(event, events::kIncidentOpened)) {
    payload_incident_id = PayloadIncidentId(event, events::kIncidentOpened);
  } else if (events::Is(event, events::kIncidentResolved)) {
    payload_incident_id = PayloadIncidentId(event, events::kIncidentResolved);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.event_id(), " has type \"", event.type(),
                     "\"; a recording consumer takes ", events::kIncidentOpened.name, " and ",
                     events::kIncidentResolved.name));
  }
  RETURN_IF_ERROR(payload_incident_id.status());
  bus::Envelope recorded = event;
  if (recorded.incident_id().empty()) recorded.set_incident_id(*payload_incident_id);
  if (recorded.incident_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event ", event.event_id(), " names no incident in its envelope or its payload"));
  }
  return recorded;
}

}  // namespace

std::vector<std::string> RecordedEventTypes() {
  return {events::kIncidentOpened.name, events::kIncidentResolved.name};
}

bus::ConsumerOptions RecordingConsumerOptions(const std::string& durable_name) {
  bus::ConsumerOptions options;
  options.durable_name = durable_name;
  options.types = RecordedEventTypes();
  return options;
}

bus::Handler RecordingHandler(EventRecord& record, const std::string& durable_name,
                              DeliveryObserver observe) {
  return [&record, durable_name, observe = std::move(observe)](const bus::Envelope& event) {
    absl::StatusOr<bool> recorded = [&]() -> absl::StatusOr<bool> {
      ASSIGN_OR_RETURN(bus::Envelope as_recorded, AsRecorded(event));
      return record.Record(durable_name, as_recorded);
    }();
    if (observe) observe(event, recorded);
    return recorded.status();
  };
}

absl::StatusOr<std::unique_ptr<bus::Subscription>> SubscribeRecordingConsumer(
    bus::EventBus& bus, EventRecord& record, const std::string& durable_name,
    DeliveryObserver observe) {
  return bus.Subscribe(RecordingConsumerOptions(durable_name),
                       RecordingHandler(record, durable_name, std::move(observe)));
}

}  // namespace tocsin::event_record
