// Flags every Tocsin service binary shares, defined once here:
//   --nats_url               (env TOCSIN_NATS_URL, default nats://127.0.0.1:4222)
//   --nats_credentials_file  (env TOCSIN_NATS_CREDENTIALS_FILE)
//   --ports_file             write the chosen ports as JSON (tests, scripts)
//   --log_level              (env TOCSIN_LOG_LEVEL, default info)
//   --grpc_listen            (env TOCSIN_<NAME>_GRPC, default 127.0.0.1:<the service's port>)
//   --http_host              (env TOCSIN_<NAME>_HTTP_HOST, default 127.0.0.1)
//   --http_port              (env TOCSIN_<NAME>_HTTP_PORT, default the service's port)
//   --db                     (env TOCSIN_<NAME>_DB, default .state/<name>.db)
//   --retention_hours        (env TOCSIN_RETENTION_HOURS, default 168, at least 48)
// The last five depend on which service runs, so their flag defaults are
// empty and the service host resolves them (ResolvedFlags) by the service's
// name. A service's own flags stay in its main.cc.
#ifndef TOCSIN_LIBS_SERVICE_FLAGS_H_
#define TOCSIN_LIBS_SERVICE_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bus/jetstream_bus.h"

namespace tocsin::service {

std::string NatsUrlFlag();
std::string NatsCredentialsFileFlag();
std::string PortsFileFlag();
std::string LogLevelFlag();

// Bus options from the flags above, for a service that owns these domains.
bus::JetStreamBusOptions BusOptionsFromFlags(const std::string& client_name,
                                             std::vector<std::string> domains);

// The per-service flags, resolved: flag if given, else the service's
// environment variable, else the default. InvalidArgument names a bad value
// (a port out of range, a retention under 48 hours).
struct ResolvedFlags {
  std::string grpc_listen;
  std::string http_host;
  int http_port = 0;
  std::string db;
  absl::Duration retention;
};
absl::StatusOr<ResolvedFlags> ResolveServiceFlags(const std::string& service, int grpc_port,
                                                  int http_port, const std::string& default_db);

// "paging" -> "TOCSIN_PAGING_" (letters upper-cased, '-' as '_').
std::string EnvPrefix(const std::string& service);

}  // namespace tocsin::service

#endif  // TOCSIN_LIBS_SERVICE_FLAGS_H_
