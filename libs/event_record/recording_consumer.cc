#include "libs/event_record/recording_consumer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::event_record {
namespace {

constexpr char kOpened[] = "incident.opened";
constexpr char kResolved[] = "incident.resolved";

// The incident id of a payload of type Payload, which must unpack.
template <typename Payload>
absl::StatusOr<std::string> PayloadIncidentId(const bus::Envelope& event) {
  Payload payload;
  if (!event.payload().UnpackTo(&payload)) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.event_id(), " of type ", event.type(), " carries payload \"",
                     event.payload().type_url(), "\", which is not a parseable ",
                     Payload::descriptor()->full_name()));
  }
  return payload.incident().id();
}

// The event as recorded: its incident id from the envelope, else from the
// payload.
absl::StatusOr<bus::Envelope> AsRecorded(const bus::Envelope& event) {
  absl::StatusOr<std::string> payload_incident_id;
  if (event.type() == kOpened) {
    payload_incident_id = PayloadIncidentId<incidents::v1::IncidentOpened>(event);
  } else if (event.type() == kResolved) {
    payload_incident_id = PayloadIncidentId<incidents::v1::IncidentResolved>(event);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("event ", event.event_id(), " has type \"",
                                                   event.type(), "\"; a recording consumer takes ",
                                                   kOpened, " and ", kResolved));
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

std::vector<std::string> RecordedEventTypes() { return {kOpened, kResolved}; }

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
