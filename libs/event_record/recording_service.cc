#include "libs/event_record/recording_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/event_record/recording_consumer.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"
#include "prometheus/counter.h"

namespace tocsin::event_record {
// Counts and logs each delivery the consumer handled.
DeliveryObserver ObserveDeliveries(const std::string& service, prometheus::Registry& registry) {
  auto* received = &prometheus::BuildCounter()
                        .Name(absl::StrCat("tocsin_", service, "_events_received_total"))
                        .Help("Incident events delivered to the service, by type and outcome.")
                        .Register(registry);
  return [received](const bus::Envelope& event, const absl::StatusOr<bool>& recorded) {
    const char* outcome = "failed";
    if (recorded.ok()) {
      outcome = *recorded ? "recorded" : "duplicate";
    } else if (absl::IsInvalidArgument(recorded.status())) {
      outcome = "rejected";
    }
    received->Add({{"type", event.type()}, {"outcome", outcome}}).Increment();
    if (recorded.ok()) {
      log::Info("event received", {{"event_id", event.event_id()},
                                   {"type", event.type()},
                                   {"incident_id", event.incident_id()},
                                   {"outcome", outcome}});
    }
  };
}

absl::Status WireRecordingService(service::ServiceHost& host, const std::string& durable_name,
                                  const GrpcServiceFactory& make_grpc_service) {
  ASSIGN_OR_RETURN(std::unique_ptr<EventRecord> opened,
                   EventRecord::Open(host.db_path(), host.clock()));
  EventRecord* record = host.Own(std::move(opened));
  RETURN_IF_ERROR(host.UseDatabase(record->database()));
  host.AddConsumer(RecordingConsumerOptions(durable_name),
                   RecordingHandler(*record, durable_name,
                                    ObserveDeliveries(host.name(), host.registry())));
  host.AddGrpcService(host.Own(make_grpc_service(record)));
  return absl::OkStatus();
}

int RunRecordingService(int argc, char** argv, service::ServiceSpec spec,
                        const std::string& durable_name,
                        const GrpcServiceFactory& make_grpc_service) {
  return service::ServiceHost::Main(
      argc, argv, std::move(spec), [&](service::ServiceHost& host) {
        return WireRecordingService(host, durable_name, make_grpc_service);
      });
}

}  // namespace tocsin::event_record
