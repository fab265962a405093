// RunRecordingService: a service whose state, for now, is the record of the
// incident events it consumes (runbook, postmortem), on the service host
// (libs/service/host.h): it opens the EventRecord, subscribes the recording
// consumer and serves the service's gRPC API; the host does the rest
// (flags, bus, metrics, /readyz, dead letters, shutdown).
//
//   int main(int argc, char** argv) {
//     return RunRecordingService(argc, argv, {.name = "runbook", ...}, "runbook-incidents",
//                                [](EventRecord* record) {
//                                  return std::make_unique<RunbookServiceImpl>(record);
//                                });
//   }
//
// Metric: tocsin_<service>_events_received_total{type, outcome}, outcome one
// of recorded, duplicate, rejected (the event is malformed), failed.
#ifndef TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_H_
#define TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "grpcpp/impl/service_type.h"
#include "libs/event_record/event_record.h"
#include "libs/event_record/recording_consumer.h"
#include "prometheus/registry.h"
#include "libs/service/host.h"

namespace tocsin::event_record {

// Counts (tocsin_<service>_events_received_total) and logs each delivery a
// recording consumer handled; for services that wire the consumer themselves.
DeliveryObserver ObserveDeliveries(const std::string& service, prometheus::Registry& registry);

// Builds the service's gRPC API over the record (which outlives it).
using GrpcServiceFactory = std::function<std::unique_ptr<grpc::Service>(EventRecord* record)>;

// The wiring: for a host's Wiring, or a test's ServiceHost::Start.
absl::Status WireRecordingService(service::ServiceHost& host, const std::string& durable_name,
                                  const GrpcServiceFactory& make_grpc_service);

// ServiceHost::Main with that wiring.
int RunRecordingService(int argc, char** argv, service::ServiceSpec spec,
                        const std::string& durable_name,
                        const GrpcServiceFactory& make_grpc_service);

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_H_
