// tocsin-incidents: owns response plans, incidents and their timeline.
// Flags and wiring only; the behaviour is in core.h.
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "libs/service/flags.h"
#include "libs/clock/clock.h"
#include "libs/config/config.h"
#include "libs/http/http_server.h"
#include "libs/ids/ids.h"
#include "libs/log/log.h"
#include "libs/metrics/admin.h"
#include "libs/service/consumers.h"
#include "libs/service/runtime.h"
#include "libs/service/ticker.h"
#include "libs/store/outbox.h"
#include "services/incidents/core.h"
#include "services/incidents/grpc_service.h"
#include "services/incidents/reported_events.h"
#include "services/incidents/sqlite_store.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

ABSL_FLAG(std::string, grpc_listen, EnvOr("TOCSIN_INCIDENTS_GRPC", "127.0.0.1:7002"),
          "gRPC address (host:port; port 0 picks one). Env TOCSIN_INCIDENTS_GRPC.");
ABSL_FLAG(std::string, http_host, EnvOr("TOCSIN_INCIDENTS_HTTP_HOST", "127.0.0.1"),
          "Host for /metrics, /healthz, /readyz. Env TOCSIN_INCIDENTS_HTTP_HOST.");
ABSL_FLAG(int, http_port, EnvOrInt("TOCSIN_INCIDENTS_HTTP_PORT", 7102),
          "Port for /metrics, /healthz, /readyz (0 picks one). Env TOCSIN_INCIDENTS_HTTP_PORT.");
ABSL_FLAG(std::string, db, EnvOr("TOCSIN_INCIDENTS_DB", ".state/incidents.db"),
          "SQLite database file. Env TOCSIN_INCIDENTS_DB.");
ABSL_FLAG(std::string, default_plan, EnvOr("TOCSIN_DEFAULT_PLAN", ""),
          "Response plan for alarms that match none; empty keeps them as unmatched.");

namespace tocsin::incidents {
namespace {

int Run() {
  log::Init("incidents", service::LogLevelFlag());
  service::BlockShutdownSignals();
  const Clock* clock = RealClock::Get();
  auto fail = [](absl::string_view what, const absl::Status& s) {
    log::Error(what, {{"error", s.ToString()}});
    return 1;
  };

  auto store = SqliteIncidentStore::Open(absl::GetFlag(FLAGS_db), clock);
  if (!store.ok()) return fail("cannot open the database", store.status());

  const bus::JetStreamBusOptions bus_options =
      service::BusOptionsFromFlags("tocsin-incidents", {"incident", "timeline"});
  service::LazyJetStreamBus bus(bus_options);
  if (absl::Status s = bus.Connect(); !s.ok()) {
    log::Warn("bus not reachable yet; alarms are still accepted and events wait in the outbox",
              {{"error", s.ToString()}});
  }
  store::OutboxRelayOptions relay_options;
  relay_options.max_backoff = absl::Seconds(2);
  relay_options.dead_letter_prefix = "incidents";
  auto relay = store::OutboxRelay::Start((*store)->database(), &bus, clock, relay_options);
  if (!relay.ok()) return fail("cannot start the outbox relay", relay.status());

  RandomIdGenerator ids(clock);
  IncidentsOptions options;
  options.default_plan = absl::GetFlag(FLAGS_default_plan);
  options.on_commit = [r = relay->get()] { r->Notify(); };
  IncidentsCore core(store->get(), clock, &ids, options);
  (*relay)->Notify();  // publish what a previous run committed but did not publish

  // What escalation and paging report goes onto the incident's timeline.
  service::ConsumerSet consumers(&bus);
  auto record = [&core](const bus::Envelope& e) { return RecordReportedEvent(core, e); };
  consumers.Add({.durable_name = "incidents-engagements", .types = ReportedEngagementTypes()},
                record);
  consumers.Add({.durable_name = "incidents-pages", .types = ReportedPageTypes()}, record);
  consumers.Tick();
  service::Ticker subscriber(absl::Milliseconds(250), [&consumers] { consumers.Tick(); });

  auto registry = std::make_shared<prometheus::Registry>();
  IncidentServiceImpl incident_service(&core, *registry);
  ResponsePlanServiceImpl plan_service(&core);
  auto grpc = service::StartGrpcServer(absl::GetFlag(FLAGS_grpc_listen),
                                       {&incident_service, &plan_service});
  if (!grpc.ok()) return fail("cannot start gRPC", grpc.status());

  http::HttpServerOptions http_options;
  http_options.host = absl::GetFlag(FLAGS_http_host);
  http_options.port = absl::GetFlag(FLAGS_http_port);
  http_options.num_threads = 4;
  auto http = http::HttpServer::Start(http_options);
  if (!http.ok()) return fail("cannot start HTTP", http.status());
  metrics::RegisterAdminEndpoints(
      **http, registry,
      {{"database", [s = store->get()] { return s->Ping(); }},
       {"bus", [&bus] { return bus.Ready(); }},
       {"consumers", [&consumers] { return consumers.Ready(); }}});

  if (absl::Status s = service::AnnounceReady(service::PortsFileFlag(), "incidents", grpc->port,
                                              (*http)->port(), absl::GetFlag(FLAGS_db));
      !s.ok()) {
    return fail("cannot write the ports file", s);
  }
  std::string sig = service::WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  grpc->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  (*relay)->Stop();
  return 0;
}

}  // namespace
}  // namespace tocsin::incidents

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Tocsin incidents service: response plans, incidents, timeline.");
  absl::ParseCommandLine(argc, argv);
  return tocsin::incidents::Run();
}
