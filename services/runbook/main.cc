// tocsin-runbook: runbooks (versions) and their executions, started by hand or
// by a response plan when an incident opens. Wiring only: the behaviour is in
// engine.h, the steps that reach outside in ports.h, the service's life in
// libs/service/host.h.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/client/incidents_client.h"
#include "libs/client/options.h"
#include "libs/config/config.h"
#include "libs/event_record/event_record.h"
#include "libs/event_record/recording_service.h"
#include "libs/log/log.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "prometheus/counter.h"
#include "services/runbook/command_action.h"
#include "services/runbook/consumers.h"
#include "services/runbook/engine.h"
#include "services/runbook/grpc_service.h"
#include "services/runbook/ports.h"
#include "services/runbook/sqlite_store.h"
#include "services/runbook/workers.h"

using ::tocsin::config::EnvOr;

ABSL_FLAG(std::string, incidents_address, EnvOr("TOCSIN_INCIDENTS_ADDR", "127.0.0.1:7002"),
          "The incidents service's gRPC address (incident fields, tocsin:updateIncident). Env "
          "TOCSIN_INCIDENTS_ADDR.");
ABSL_FLAG(std::string, commands, EnvOr("TOCSIN_RUNBOOK_COMMANDS", ""),
          "The programs tocsin:command may run, as name=/absolute/path pairs separated by "
          "commas (restart=/usr/local/bin/restart-service). Empty: none. Env "
          "TOCSIN_RUNBOOK_COMMANDS.");
ABSL_FLAG(std::string, secrets_dir, EnvOr("TOCSIN_RUNBOOK_SECRETS_DIR", ""),
          "Directory of secret files for {{ secret.NAME }} in tocsin:http Headers (the file "
          "NAME, read at each call, never logged). Empty: none. Env TOCSIN_RUNBOOK_SECRETS_DIR.");
ABSL_FLAG(int, workers, 4,
          "Executions advanced at once (each tocsin:http or tocsin:command call holds one "
          "worker until it returns or times out).");
ABSL_FLAG(int, default_step_timeout_seconds, 60,
          "Timeout of one tocsin:http or tocsin:command attempt when the step sets no "
          "timeoutSeconds.");

namespace tocsin::runbook {
namespace {

// How often due executions (timers, retries, new ones) are looked for.
constexpr absl::Duration kTick = absl::Milliseconds(250);

const char* StateLabel(v1::ExecutionState s) {
  switch (s) {
    case v1::EXECUTION_STATE_PENDING: return "pending";
    case v1::EXECUTION_STATE_IN_PROGRESS: return "in_progress";
    case v1::EXECUTION_STATE_WAITING: return "waiting";
    case v1::EXECUTION_STATE_SUCCESS: return "success";
    case v1::EXECUTION_STATE_FAILED: return "failed";
    case v1::EXECUTION_STATE_TIMED_OUT: return "timed_out";
    case v1::EXECUTION_STATE_CANCELLED: return "cancelled";
    default: return "unspecified";
  }
}

absl::Status Wire(service::ServiceHost& host) {
  ASSIGN_OR_RETURN(CommandAllowList commands, ParseCommandAllowList(absl::GetFlag(FLAGS_commands)));
  ASSIGN_OR_RETURN(std::unique_ptr<event_record::EventRecord> opened,
                   event_record::EventRecord::Open(host.db_path(), host.clock(),
                                                   RunbookMigrations()));
  event_record::EventRecord* record = host.Own(std::move(opened));
  RETURN_IF_ERROR(host.UseDatabase(record->database()));
  auto* store = host.Own(std::make_unique<SqliteRunbookStore>(record->database(), host.clock()));

  auto* incidents = host.Own(std::make_unique<GrpcIncidentsPort>(client::IncidentsClient::Create(
      client::MakeChannel(absl::GetFlag(FLAGS_incidents_address)))));
  auto* runner = host.Own(std::make_unique<ActionStepRunner>(
      StepRunnerOptions{.secrets_dir = absl::GetFlag(FLAGS_secrets_dir),
                        .commands = std::move(commands)}));

  auto* events_total = &prometheus::BuildCounter()
                            .Name("tocsin_runbook_events_total")
                            .Help("Runbook events committed, by type.")
                            .Register(host.registry());
  // The workers run the engine's advances; they are stopped (joined) at
  // shutdown once the ticker that feeds them has stopped, before anything
  // they use is destroyed.
  auto* workers_slot = host.Own(std::make_unique<std::unique_ptr<Workers>>(
      std::make_unique<Workers>(std::max(1, absl::GetFlag(FLAGS_workers)))));
  host.OnShutdown([workers_slot] { workers_slot->reset(); });
  EngineOptions options;
  options.http_timeout = absl::Seconds(std::max(1, absl::GetFlag(FLAGS_default_step_timeout_seconds)));
  options.command_timeout = options.http_timeout;
  options.executor = [workers_slot](std::function<void()> work) {
    if (*workers_slot != nullptr) (*workers_slot)->Run(std::move(work));
  };
  options.on_event = [events_total](const events::v1::Envelope& e) {
    events_total->Add({{"type", e.type()}}).Increment();
    log::Info("event committed",
              {{"type", e.type()}, {"event_id", e.event_id()}, {"incident_id", e.incident_id()}});
  };
  auto* engine = host.Own(std::make_unique<RunbookEngine>(store, incidents, runner, host.clock(),
                                                          host.ids(), std::move(options)));
  RETURN_IF_ERROR(engine->Recover());
  for (v1::ExecutionState state :
       {v1::EXECUTION_STATE_PENDING, v1::EXECUTION_STATE_IN_PROGRESS,
        v1::EXECUTION_STATE_WAITING}) {
    host.gauges().Add("tocsin_runbook_executions", "Executions not ended, by state.",
                      {{"state", StateLabel(state)}}, [engine, state]() -> absl::StatusOr<double> {
                        ASSIGN_OR_RETURN(auto counts, engine->CountByState());
                        for (const auto& [s, n] : counts) {
                          if (s == state) return static_cast<double>(n);
                        }
                        return 0.0;
                      });
  }
  AddConsumers(host, engine, record,
               event_record::ObserveDeliveries(host.name(), host.registry()));
  host.AddGrpcService(host.Own(std::make_unique<RunbookServiceImpl>(engine, record)));
  host.AddTicker("executions", kTick, [engine] { return engine->RunDue().status(); })->Wake();
  log::Info("runbook engine ready",
            {{"commands", absl::GetFlag(FLAGS_commands).empty() ? "none" : "configured"},
             {"workers", absl::StrCat(absl::GetFlag(FLAGS_workers))}});
  return absl::OkStatus();
}

}  // namespace
}  // namespace tocsin::runbook

int main(int argc, char** argv) {
  return tocsin::service::ServiceHost::Main(
      argc, argv,
      {.name = "runbook",
       .domains = {"runbook"},
       .grpc_port = 7005,
       .http_port = 7105,
       .usage = "Tocsin runbook service: runbooks and their executions (SSM Automation-style "
                "documents), started by hand or by a response plan."},
      tocsin::runbook::Wire);
}
