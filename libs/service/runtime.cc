#include "libs/service/runtime.h"

#include <signal.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace tocsin::service {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string WaitForShutdownSignal() {
  sigset_t set = ShutdownSignals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

absl::StatusOr<GrpcServer> StartGrpcServer(const std::string& address,
                                           const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder builder;
  GrpcServer out;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &out.port);
  for (grpc::Service* s : services) builder.RegisterService(s);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", address,
                                               " (address in use or invalid?)"));
  }
  return out;
}

absl::Status WritePortsFile(const std::string& path, int grpc_port, int http_port) {
  if (path.empty()) return absl::OkStatus();
  nlohmann::json j;
  j["grpc"] = grpc_port;
  j["http"] = http_port;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump() << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ports file ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::Status AnnounceReady(const std::string& ports_file, const std::string& service,
                           int grpc_port, int http_port, const std::string& db) {
  RETURN_IF_ERROR(WritePortsFile(ports_file, grpc_port, http_port));
  log::Info(absl::StrCat(service, " service ready"),
            {{"grpc_port", absl::StrCat(grpc_port)},
             {"http_port", absl::StrCat(http_port)},
             {"db", db}});
  return absl::OkStatus();
}

absl::StatusOr<bus::EventBus*> LazyJetStreamBus::Get() {
  absl::MutexLock l(&mu_);
  if (bus_ == nullptr) {
    auto connected = bus::JetStreamBus::Connect(options_);
    if (!connected.ok()) {
      return absl::UnavailableError(absl::StrCat("bus not connected: ",
                                                 connected.status().message()));
    }
    bus_ = std::move(*connected);
  }
  return bus_.get();
}

absl::Status LazyJetStreamBus::Publish(const bus::Envelope& envelope) {
  ASSIGN_OR_RETURN(bus::EventBus * b, Get());
  return b->Publish(envelope);
}

absl::StatusOr<std::unique_ptr<bus::Subscription>> LazyJetStreamBus::Subscribe(
    const bus::ConsumerOptions& options, bus::Handler handler) {
  ASSIGN_OR_RETURN(bus::EventBus * b, Get());
  return b->Subscribe(options, std::move(handler));
}

absl::Status LazyJetStreamBus::Connect() { return Get().status(); }

absl::Status LazyJetStreamBus::Ready() const {
  return connected() ? absl::OkStatus() : absl::UnavailableError("not connected to NATS");
}

bool LazyJetStreamBus::connected() const {
  absl::MutexLock l(&mu_);
  return bus_ != nullptr;
}

}  // namespace tocsin::service
