// tocsin-postmortem: for now records the incident events it consumes (durable
// consumer "postmortem-incidents") and lists them over gRPC. Flags and wiring
// only; the service's run is in libs/event_record/recording_service.h.
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "libs/service/flags.h"
#include "libs/config/config.h"
#include "libs/event_record/recording_service.h"
#include "services/postmortem/grpc_service.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

ABSL_FLAG(std::string, grpc_listen, EnvOr("TOCSIN_POSTMORTEM_GRPC", "127.0.0.1:7006"),
          "gRPC address (host:port; port 0 picks one). Env TOCSIN_POSTMORTEM_GRPC.");
ABSL_FLAG(std::string, http_host, EnvOr("TOCSIN_POSTMORTEM_HTTP_HOST", "127.0.0.1"),
          "Host for /metrics, /healthz, /readyz. Env TOCSIN_POSTMORTEM_HTTP_HOST.");
ABSL_FLAG(int, http_port, EnvOrInt("TOCSIN_POSTMORTEM_HTTP_PORT", 7106),
          "Port for /metrics, /healthz, /readyz (0 picks one). Env TOCSIN_POSTMORTEM_HTTP_PORT.");
ABSL_FLAG(std::string, db, EnvOr("TOCSIN_POSTMORTEM_DB", ".state/postmortem.db"),
          "SQLite database file. Env TOCSIN_POSTMORTEM_DB.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Tocsin postmortem service: records the incident events it consumes.");
  absl::ParseCommandLine(argc, argv);
  tocsin::event_record::RecordingServiceOptions options;
  options.service = "postmortem";
  options.durable_name = "postmortem-incidents";
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
        return std::make_unique<tocsin::postmortem::PostmortemServiceImpl>(record);
      });
}
