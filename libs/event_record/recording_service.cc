#include "libs/event_record/recording_service.h"

#include <chrono>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/event_record/recording_consumer.h"
#include "libs/http/http_server.h"
#include "libs/log/log.h"
#include "libs/metrics/admin.h"
#include "libs/service/runtime.h"
#include "libs/service/consumers.h"
#include "libs/service/ticker.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace tocsin::event_record {
namespace {

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
    } else {
      log::Warn("event not recorded; the bus redelivers it, then dead-letters it",
                {{"event_id", event.event_id()},
                 {"type", event.type()},
                 {"outcome", outcome},
                 {"error", recorded.status().ToString()}});
    }
  };
}

}  // namespace

int RunRecordingService(const RecordingServiceOptions& options,
                        const GrpcServiceFactory& make_grpc_service) {
  log::Init(options.service, options.log_level);
  service::BlockShutdownSignals();
  const Clock* clock = RealClock::Get();
  auto fail = [](absl::string_view what, const absl::Status& s) {
    log::Error(what, {{"error", s.ToString()}});
    return 1;
  };

  auto record = EventRecord::Open(options.db, clock);
  if (!record.ok()) return fail("cannot open the database", record.status());

  bus::JetStreamBusOptions bus_options;
  bus_options.url = options.nats_url;
  bus_options.client_name = "tocsin-" + options.service;
  bus_options.credentials_file = options.nats_credentials_file;
  service::LazyJetStreamBus bus(bus_options);

  auto registry = std::make_shared<prometheus::Registry>();
  service::ConsumerSet consumers(&bus);
  consumers.Add(RecordingConsumerOptions(options.durable_name),
                RecordingHandler(**record, options.durable_name,
                                 ObserveDeliveries(options.service, *registry)));
  service::Ticker subscriber(options.subscribe_retry, [&consumers] { consumers.Tick(); });
  subscriber.Wake();

  std::unique_ptr<grpc::Service> api = make_grpc_service(record->get());
  auto grpc = service::StartGrpcServer(options.grpc_listen, {api.get()});
  if (!grpc.ok()) return fail("cannot start gRPC", grpc.status());

  http::HttpServerOptions http_options;
  http_options.host = options.http_host;
  http_options.port = options.http_port;
  http_options.num_threads = 4;
  auto http = http::HttpServer::Start(http_options);
  if (!http.ok()) return fail("cannot start HTTP", http.status());
  metrics::RegisterAdminEndpoints(
      **http, registry,
      {{"database", [r = record->get()] { return r->Ping(); }},
       {"bus", [&bus] { return bus.Ready(); }},
       {"consumers", [&consumers] { return consumers.Ready(); }}});

  if (absl::Status s = service::AnnounceReady(options.ports_file, options.service, grpc->port,
                                              (*http)->port(), options.db);
      !s.ok()) {
    return fail("cannot write the ports file", s);
  }
  std::string sig = service::WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  grpc->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace tocsin::event_record
