// tocsin-escalation: owns contacts and engagements; pages contacts stage by
// stage until a page is acknowledged or the incident resolved.
// Flags and wiring only; the behaviour is in core.h.
#include <chrono>
#include <memory>
#include <string>

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
#include "libs/service/runtime.h"
#include "libs/service/ticker.h"
#include "libs/store/outbox.h"
#include "services/escalation/consumers.h"
#include "services/escalation/core.h"
#include "services/escalation/grpc_service.h"
#include "services/escalation/metrics.h"
#include "services/escalation/sqlite_store.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

ABSL_FLAG(std::string, grpc_listen, EnvOr("TOCSIN_ESCALATION_GRPC", "127.0.0.1:7003"),
          "gRPC address (host:port; port 0 picks one). Env TOCSIN_ESCALATION_GRPC.");
ABSL_FLAG(std::string, http_host, EnvOr("TOCSIN_ESCALATION_HTTP_HOST", "127.0.0.1"),
          "Host for /metrics, /healthz, /readyz. Env TOCSIN_ESCALATION_HTTP_HOST.");
ABSL_FLAG(int, http_port, EnvOrInt("TOCSIN_ESCALATION_HTTP_PORT", 7103),
          "Port for /metrics, /healthz, /readyz (0 picks one). Env TOCSIN_ESCALATION_HTTP_PORT.");
ABSL_FLAG(std::string, db, EnvOr("TOCSIN_ESCALATION_DB", ".state/escalation.db"),
          "SQLite database file. Env TOCSIN_ESCALATION_DB.");

namespace tocsin::escalation {
namespace {

// How often due stage timers are fired, and missing consumers subscribed.
constexpr absl::Duration kTick = absl::Milliseconds(250);

int Run() {
  log::Init("escalation", service::LogLevelFlag());
  service::BlockShutdownSignals();
  const Clock* clock = RealClock::Get();
  auto fail = [](absl::string_view what, const absl::Status& s) {
    log::Error(what, {{"error", s.ToString()}});
    return 1;
  };

  auto store = SqliteEscalationStore::Open(absl::GetFlag(FLAGS_db), clock);
  if (!store.ok()) return fail("cannot open the database", store.status());

  const bus::JetStreamBusOptions bus_options =
      service::BusOptionsFromFlags("tocsin-escalation", {"engagement", "page"});
  service::LazyJetStreamBus bus(bus_options);
  if (absl::Status s = bus.Connect(); !s.ok()) {
    log::Warn("bus not reachable yet; timers still fire and events wait in the outbox",
              {{"error", s.ToString()}});
  }
  store::OutboxRelayOptions relay_options;
  relay_options.max_backoff = absl::Seconds(2);
  relay_options.dead_letter_prefix = "escalation";
  auto relay = store::OutboxRelay::Start((*store)->database(), &bus, clock, relay_options);
  if (!relay.ok()) return fail("cannot start the outbox relay", relay.status());

  auto registry = std::make_shared<prometheus::Registry>();
  EscalationMetrics metrics(*registry);
  RandomIdGenerator ids(clock);
  EscalationOptions options;
  options.on_commit = [r = relay->get()] { r->Notify(); };
  options.on_event = [&metrics](const Envelope& e) {
    metrics.Count(e);
    log::Info("event committed",
              {{"type", e.type()}, {"event_id", e.event_id()}, {"incident_id", e.incident_id()}});
  };
  EscalationCore core(store->get(), clock, &ids, options);
  (*relay)->Notify();

  ContactServiceImpl contact_service(&core);
  EngagementServiceImpl engagement_service(&core);
  auto grpc = service::StartGrpcServer(absl::GetFlag(FLAGS_grpc_listen),
                                       {&contact_service, &engagement_service});
  if (!grpc.ok()) return fail("cannot start gRPC", grpc.status());

  // Two tickers, so a slow connection attempt never delays a stage timer.
  service::Ticker timers(kTick, [&core] {
    if (auto fired = core.RunDueTimers(); !fired.ok()) {
      log::Warn("stage timers not fired; retrying", {{"error", fired.status().ToString()}});
    }
  });
  timers.Wake();
  service::ConsumerSet consumers(&bus);
  AddConsumers(consumers, &core);
  service::Ticker subscriber(kTick, [&consumers] { consumers.Tick(); });
  subscriber.Wake();

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

  if (absl::Status s = service::AnnounceReady(service::PortsFileFlag(), "escalation", grpc->port,
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
}  // namespace tocsin::escalation

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Tocsin escalation service: contacts, engagements, stage-by-stage paging.");
  absl::ParseCommandLine(argc, argv);
  return tocsin::escalation::Run();
}
