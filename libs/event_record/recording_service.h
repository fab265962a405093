// RunRecordingService: the whole life of a service whose state, for now, is
// the record of the incident events it consumes (runbook, postmortem).
//
// It opens the EventRecord, connects to NATS lazily and subscribes the
// recording consumer, retrying every subscribe_retry until the bus answers
// (so the service starts before NATS); serves the service's gRPC API and
// /metrics, /healthz, /readyz (checks "database", "bus", "consumers"); writes
// the ports file; and runs until SIGINT or SIGTERM. A binary's main parses its
// flags into the options and hands over its gRPC service:
//
//   RecordingServiceOptions options;
//   options.service = "runbook";
//   options.durable_name = "runbook-incidents";
//   options.db = absl::GetFlag(FLAGS_db);  ... and the other flags
//   return RunRecordingService(options, [](EventRecord* record) {
//     return std::make_unique<RunbookServiceImpl>(record);
//   });
//
// Metric: tocsin_<service>_events_received_total{type, outcome}, outcome one
// of recorded, duplicate, rejected (the event is malformed), failed.
#ifndef TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_H_
#define TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/impl/service_type.h"
#include "libs/event_record/event_record.h"

namespace tocsin::event_record {

struct RecordingServiceOptions {
  // The service's name: its log name, metric prefix and NATS client name.
  std::string service;
  // The recording consumer's durable name, e.g. "runbook-incidents".
  std::string durable_name;
  // gRPC address (host:port; port 0 picks one).
  std::string grpc_listen;
  // Address of /metrics, /healthz, /readyz (port 0 picks one).
  std::string http_host = "127.0.0.1";
  int http_port = 0;
  // SQLite file of the EventRecord.
  std::string db;
  std::string nats_url;
  // NATS credentials file; empty for none.
  std::string nats_credentials_file;
  // If set, the chosen ports are written here as JSON.
  std::string ports_file;
  std::string log_level = "info";
  // Pause between attempts to subscribe while the bus is unreachable.
  absl::Duration subscribe_retry = absl::Seconds(1);
};

// Builds the service's gRPC API over the record (which outlives it).
using GrpcServiceFactory = std::function<std::unique_ptr<grpc::Service>(EventRecord* record)>;

// Runs until SIGINT or SIGTERM. Returns the process's exit code: 0 after a
// shutdown signal, 1 when it cannot start (the reason is logged).
int RunRecordingService(const RecordingServiceOptions& options,
                        const GrpcServiceFactory& make_grpc_service);

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_H_
