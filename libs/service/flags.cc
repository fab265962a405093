#include "libs/service/flags.h"

#include "absl/flags/flag.h"
#include "libs/config/config.h"

ABSL_FLAG(std::string, nats_url, tocsin::config::EnvOr("TOCSIN_NATS_URL", "nats://127.0.0.1:4222"),
          "NATS server URL. Env TOCSIN_NATS_URL.");
ABSL_FLAG(std::string, nats_credentials_file,
          tocsin::config::EnvOr("TOCSIN_NATS_CREDENTIALS_FILE", ""),
          "NATS credentials file, if the server requires one. Env TOCSIN_NATS_CREDENTIALS_FILE.");
ABSL_FLAG(std::string, ports_file, "",
          "If set, write the chosen ports here as JSON (for tests and scripts).");
ABSL_FLAG(std::string, log_level, tocsin::config::EnvOr("TOCSIN_LOG_LEVEL", "info"),
          "debug, info, warn, error. Env TOCSIN_LOG_LEVEL.");

namespace tocsin::service {

std::string NatsUrlFlag() { return absl::GetFlag(FLAGS_nats_url); }
std::string NatsCredentialsFileFlag() { return absl::GetFlag(FLAGS_nats_credentials_file); }
std::string PortsFileFlag() { return absl::GetFlag(FLAGS_ports_file); }
std::string LogLevelFlag() { return absl::GetFlag(FLAGS_log_level); }

bus::JetStreamBusOptions BusOptionsFromFlags(const std::string& client_name,
                                             std::vector<std::string> domains) {
  bus::JetStreamBusOptions options;
  options.url = NatsUrlFlag();
  options.credentials_file = NatsCredentialsFileFlag();
  options.client_name = client_name;
  options.domains = std::move(domains);
  return options;
}

}  // namespace tocsin::service
