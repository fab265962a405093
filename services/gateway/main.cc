// tocsin-gateway: the HTTP edge that turns EventBridge events into alarms for
// the incidents service. Flags and wiring only; the behaviour is in gateway.h.
//
//   gateway --api_keys_file keys.txt          serve
//   gateway keygen NAME                       print a new key and its keys-file line
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "libs/config/config.h"
#include "libs/log/log.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "services/gateway/alarm_sink.h"
#include "services/gateway/api_keys.h"
#include "services/gateway/gateway.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

ABSL_FLAG(std::string, host, EnvOr("TOCSIN_GATEWAY_HOST", "127.0.0.1"),
          "Address to serve HTTP on. Env TOCSIN_GATEWAY_HOST.");
ABSL_FLAG(int, port, EnvOrInt("TOCSIN_GATEWAY_PORT", 7001),
          "HTTP port for ingestion, /metrics, /healthz, /readyz (0 picks one). "
          "Env TOCSIN_GATEWAY_PORT.");
ABSL_FLAG(std::string, incidents_addr, EnvOr("TOCSIN_INCIDENTS_ADDR", "127.0.0.1:7002"),
          "gRPC address of the incidents service. Env TOCSIN_INCIDENTS_ADDR.");
ABSL_FLAG(std::string, api_keys_file, EnvOr("TOCSIN_GATEWAY_API_KEYS_FILE", ""),
          "File of hashed API keys, one '<name> sha256:<hex>' per line "
          "(make lines with 'gateway keygen NAME'). Env TOCSIN_GATEWAY_API_KEYS_FILE.");
ABSL_FLAG(int, max_body_bytes, EnvOrInt("TOCSIN_GATEWAY_MAX_BODY_BYTES", 1 << 20),
          "Largest request body accepted.");
ABSL_FLAG(int, threads, EnvOrInt("TOCSIN_GATEWAY_THREADS", 16), "HTTP worker threads.");

namespace tocsin::gateway {
namespace {

int Keygen(const std::string& name) {
  std::string key = GenerateApiKey();
  std::cout << "API key for " << name << " (give it to the sender; it is not stored):\n  "
            << key << "\nLine for the keys file:\n" << name << " " << HashApiKey(key) << "\n";
  return 0;
}

absl::Status Wire(service::ServiceHost& host) {
  const std::string keys_file = absl::GetFlag(FLAGS_api_keys_file);
  if (keys_file.empty()) {
    return absl::FailedPreconditionError(
        "no API keys configured: set --api_keys_file (or TOCSIN_GATEWAY_API_KEYS_FILE); make "
        "a key with 'gateway keygen NAME'");
  }
  ASSIGN_OR_RETURN(ApiKeyStore keys, ApiKeyStore::LoadFromFile(keys_file));
  if (keys.size() == 0) log::Warn("the API keys file holds no key: every request gets 401");

  auto* sink = host.Own(std::make_unique<GrpcAlarmSink>(
      grpc::CreateChannel(absl::GetFlag(FLAGS_incidents_addr), grpc::InsecureChannelCredentials()),
      absl::Seconds(10)));
  auto* gateway = host.Own(std::make_unique<Gateway>(std::move(keys), sink, host.registry()));
  gateway->Register(host.http());
  host.AddReadinessCheck("incidents", [sink] {
    return sink->Connected() ? absl::OkStatus()
                             : absl::UnavailableError("incidents service not reachable");
  });
  return absl::OkStatus();
}

}  // namespace
}  // namespace tocsin::gateway

int main(int argc, char** argv) {
  // "gateway keygen NAME" takes no flags.
  if (argc >= 2 && std::string(argv[1]) == "keygen") {
    if (argc != 3) {
      std::cerr << "usage: gateway keygen NAME\n";
      return 2;
    }
    return tocsin::gateway::Keygen(argv[2]);
  }
  return tocsin::service::ServiceHost::Main(
      argc, argv,
      {.name = "gateway",
       .usage = "Tocsin gateway: POST /v1/events/eventbridge. 'gateway keygen NAME' makes an "
                "API key. Serves on --host/--port (not --http_host/--http_port).",
       .http_options =
           [](tocsin::http::HttpServerOptions& o) {
             o.host = absl::GetFlag(FLAGS_host);
             o.port = absl::GetFlag(FLAGS_port);
             o.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
             o.num_threads = absl::GetFlag(FLAGS_threads);
           }},
      tocsin::gateway::Wire);
}
