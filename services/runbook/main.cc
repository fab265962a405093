// tocsin-runbook: for now records the incident events it consumes (durable
// consumer "runbook-incidents") and lists them over gRPC. Flags and wiring
// only; the service's run is in libs/event_record/recording_service.h.
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "libs/service/flags.h"
#include "libs/config/config.h"
#include "libs/event_record/recording_service.h"
#include "services/runbook/grpc_service.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

ABSL_FLAG(std::string, grpc_listen, EnvOr("TOCSIN_RUNBOOK_GRPC", "127.0.0.1:7005"),
          "gRPC address (host:port; port 0 picks one). Env TOCSIN_RUNBOOK_GRPC.");
ABSL_FLAG(std::string, http_host, EnvOr("TOCSIN_RUNBOOK_HTTP_HOST", "127.0.0.1"),
          "Host for /metrics, /healthz, /readyz. Env TOCSIN_RUNBOOK_HTTP_HOST.");
ABSL_FLAG(int, http_port, EnvOrInt("TOCSIN_RUNBOOK_HTTP_PORT", 7105),
          "Port for /metrics, /healthz, /readyz (0 picks one). Env TOCSIN_RUNBOOK_HTTP_PORT.");
ABSL_FLAG(std::string, db, EnvOr("TOCSIN_RUNBOOK_DB", ".state/runbook.db"),
          "SQLite database file. Env TOCSIN_RUNBOOK_DB.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Tocsin runbook service: records the incident events it consumes.");
  absl::ParseCommandLine(argc, argv);
  tocsin::event_record::RecordingServiceOptions options;
  options.service = "runbook";
  options.durable_name = "runbook-incidents";
  options.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  options.http_host = absl::GetFlag(FLAGS_http_host);
  options.http_port = absl::GetFlag(FLAGS_http_port);
  options.db = absl::GetFlag(FLAGS_db);
  options.nats_url = tocsin::service::NatsUrlFlag();
  options.nats_credentials_file = tocsin::service::NatsCredentialsFileFlag();
  options.ports_file = tocsin::service::PortsFileFlag();
  options.log_level = tocsin::service::LogLevelFlag();
  return tocsin::event_record::RunRecordingService(
      options, [](tocsin::event_record::EventRecord* record) {
        return std::make_unique<tocsin::runbook::RunbookServiceImpl>(record);
      });
}
