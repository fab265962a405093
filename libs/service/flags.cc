#include "libs/service/flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
ABSL_FLAG(std::string, grpc_listen, "",
          "gRPC address (host:port; port 0 picks one). Env TOCSIN_<SERVICE>_GRPC; default "
          "127.0.0.1 and the service's port (incidents 7002, escalation 7003, paging 7004, "
          "runbook 7005, postmortem 7006).");
ABSL_FLAG(std::string, http_host, "",
          "Host of the HTTP port (/metrics, /healthz, /readyz and the service's own routes). "
          "Env TOCSIN_<SERVICE>_HTTP_HOST; default 127.0.0.1.");
ABSL_FLAG(std::string, http_port, "",
          "HTTP port (0 picks one). Env TOCSIN_<SERVICE>_HTTP_PORT; default the service's "
          "port (incidents 7102, escalation 7103, paging 7104, runbook 7105, postmortem 7106).");
ABSL_FLAG(std::string, db, "",
          "SQLite database file. Env TOCSIN_<SERVICE>_DB; default .state/<service>.db.");
ABSL_FLAG(std::string, retention_hours, "",
          "How long published outbox rows, inbox records, idempotency keys and replayed dead "
          "letters are kept before pruning; at least 48 (EventBridge and SNS retry for 24 h). "
          "Env TOCSIN_RETENTION_HOURS; default 168.");

namespace tocsin::service {
namespace {

// The flag if set, else the environment variable, else fallback.
std::string Resolve(const absl::Flag<std::string>& flag, const std::string& env,
                    const std::string& fallback) {
  std::string value = absl::GetFlag(flag);
  if (!value.empty()) return value;
  return config::EnvOr(env.c_str(), fallback);
}

absl::StatusOr<int> ParseInt(const std::string& what, const std::string& env,
                             const std::string& text, int min, int max) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat(what, " (or ", env, ") is \"", text,
                                                   "\"; it must be an integer from ", min,
                                                   " to ", max));
  }
  return value;
}

}  // namespace

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

std::string EnvPrefix(const std::string& service) {
  std::string prefix = absl::StrCat("TOCSIN_", absl::AsciiStrToUpper(service), "_");
  for (char& c : prefix) {
    if (c == '-') c = '_';
  }
  return prefix;
}

absl::StatusOr<ResolvedFlags> ResolveServiceFlags(const std::string& service, int grpc_port,
                                                  int http_port, const std::string& default_db) {
  const std::string prefix = EnvPrefix(service);
  ResolvedFlags out;
  out.grpc_listen = Resolve(FLAGS_grpc_listen, prefix + "GRPC",
                            grpc_port > 0 ? absl::StrCat("127.0.0.1:", grpc_port) : "");
  out.http_host = Resolve(FLAGS_http_host, prefix + "HTTP_HOST", "127.0.0.1");
  const std::string port_env = prefix + "HTTP_PORT";
  absl::StatusOr<int> port = ParseInt("--http_port", port_env,
                                      Resolve(FLAGS_http_port, port_env, absl::StrCat(http_port)),
                                      0, 65535);
  if (!port.ok()) return port.status();
  out.http_port = *port;
  out.db = Resolve(FLAGS_db, prefix + "DB",
                   default_db.empty() ? absl::StrCat(".state/", service, ".db") : default_db);
  absl::StatusOr<int> hours =
      ParseInt("--retention_hours", "TOCSIN_RETENTION_HOURS",
               Resolve(FLAGS_retention_hours, "TOCSIN_RETENTION_HOURS", "168"), 48, 24 * 3650);
  if (!hours.ok()) return hours.status();
  out.retention = absl::Hours(*hours);
  return out;
}

}  // namespace tocsin::service
