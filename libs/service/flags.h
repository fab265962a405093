// Flags every Tocsin service binary shares, defined once here:
//   --nats_url               (env TOCSIN_NATS_URL, default nats://127.0.0.1:4222)
//   --nats_credentials_file  (env TOCSIN_NATS_CREDENTIALS_FILE)
//   --ports_file             write the chosen ports as JSON (tests, scripts)
//   --log_level              (env TOCSIN_LOG_LEVEL, default info)
// A service's own flags (addresses, database, …) stay in its main.cc.
#ifndef TOCSIN_LIBS_SERVICE_FLAGS_H_
#define TOCSIN_LIBS_SERVICE_FLAGS_H_

#include <string>
#include <vector>

#include "libs/bus/jetstream_bus.h"

namespace tocsin::service {

std::string NatsUrlFlag();
std::string NatsCredentialsFileFlag();
std::string PortsFileFlag();
std::string LogLevelFlag();

// Bus options from the flags above, for a service that owns these domains.
bus::JetStreamBusOptions BusOptionsFromFlags(const std::string& client_name,
                                             std::vector<std::string> domains);

}  // namespace tocsin::service

#endif  // TOCSIN_LIBS_SERVICE_FLAGS_H_
