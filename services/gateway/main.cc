// tocsin-gateway: the HTTP edge that turns EventBridge events into alarms for
// the incidents service. Flags and wiring only; the behaviour is in gateway.h.
//
//   gateway --api_keys_file keys.txt          serve
//   gateway keygen NAME                       print a new key and its keys-file line
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "libs/service/flags.h"
#include "libs/config/config.h"
#include "libs/http/http_server.h"
#include "libs/log/log.h"
#include "libs/metrics/admin.h"
#include "libs/service/runtime.h"
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

int Serve() {
  log::Init("gateway", service::LogLevelFlag());
  service::BlockShutdownSignals();
  auto fail = [](absl::string_view what, const absl::Status& s) {
    log::Error(what, {{"error", s.ToString()}});
    return 1;
  };
  const std::string keys_file = absl::GetFlag(FLAGS_api_keys_file);
  if (keys_file.empty()) {
    return fail("no API keys configured",
                absl::FailedPreconditionError(
                    "set --api_keys_file (or TOCSIN_GATEWAY_API_KEYS_FILE); make a key with "
                    "'gateway keygen NAME'"));
  }
  auto keys = ApiKeyStore::LoadFromFile(keys_file);
  if (!keys.ok()) return fail("cannot load API keys", keys.status());
  if (keys->size() == 0) log::Warn("the API keys file holds no key: every request gets 401");

  GrpcAlarmSink sink(grpc::CreateChannel(absl::GetFlag(FLAGS_incidents_addr),
                                         grpc::InsecureChannelCredentials()),
                     absl::Seconds(10));
  auto registry = std::make_shared<prometheus::Registry>();
  Gateway gateway(std::move(*keys), &sink, *registry);

  http::HttpServerOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  options.num_threads = absl::GetFlag(FLAGS_threads);
  auto http = http::HttpServer::Start(options);
  if (!http.ok()) return fail("cannot start HTTP", http.status());
  gateway.Register(**http);
  metrics::RegisterAdminEndpoints(**http, registry,
                                  {{"incidents", [&sink] {
                                      return sink.Connected()
                                                 ? absl::OkStatus()
                                                 : absl::UnavailableError(
                                                       "incidents service not reachable");
                                    }}});
  if (absl::Status s = service::WritePortsFile(service::PortsFileFlag(), 0,
                                               (*http)->port());
      !s.ok()) {
    return fail("cannot write the ports file", s);
  }
  log::Info("gateway ready", {{"http_port", absl::StrCat((*http)->port())},
                              {"incidents", absl::GetFlag(FLAGS_incidents_addr)}});
  std::string sig = service::WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  return 0;
}

}  // namespace
}  // namespace tocsin::gateway

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Tocsin gateway: POST /v1/events/eventbridge. 'gateway keygen NAME' makes an API key.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() >= 2 && std::string(args[1]) == "keygen") {
    if (args.size() != 3) {
      std::cerr << "usage: gateway keygen NAME\n";
      return 2;
    }
    return tocsin::gateway::Keygen(args[2]);
  }
  if (args.size() > 1) {
    std::cerr << "unknown argument \"" << args[1] << "\"; see --help\n";
    return 2;
  }
  return tocsin::gateway::Serve();
}
