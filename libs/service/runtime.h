// What every Tocsin service binary does around its own logic: wait for a
// shutdown signal, serve gRPC, report the ports it chose, and reach the bus
// even when NATS starts after the service.
#ifndef TOCSIN_LIBS_SERVICE_RUNTIME_H_
#define TOCSIN_LIBS_SERVICE_RUNTIME_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "libs/bus/event_bus.h"
#include "libs/bus/jetstream_bus.h"

namespace tocsin::service {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// afterwards; call first thing in main().
void BlockShutdownSignals();
// Waits until SIGINT or SIGTERM arrives; returns the signal's name.
std::string WaitForShutdownSignal();

// Starts a gRPC server on address ("127.0.0.1:0" picks a port).
struct GrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};
absl::StatusOr<GrpcServer> StartGrpcServer(const std::string& address,
                                           const std::vector<grpc::Service*>& services);

// Writes {"grpc": G, "http": H} to path (atomically, via rename) so a test or
// script that started the service with port 0 learns the chosen ports. A
// no-op when path is empty.
absl::Status WritePortsFile(const std::string& path, int grpc_port, int http_port);

// Once a service listens: writes the ports file (if ports_file is set) and
// logs "<service> service ready" with its ports and database.
absl::Status AnnounceReady(const std::string& ports_file, const std::string& service,
                           int grpc_port, int http_port, const std::string& db);

// An EventBus that connects to JetStream on first use and again after a
// failed connect, so a service starts (and commits work to its outbox) while
// NATS is still starting or down. Until connected, Publish and Subscribe
// return Unavailable. Thread-safe.
class LazyJetStreamBus final : public bus::EventBus {
 public:
  explicit LazyJetStreamBus(bus::JetStreamBusOptions options) : options_(std::move(options)) {}

  absl::Status Publish(const bus::Envelope& envelope) override;
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(
      const bus::ConsumerOptions& options, bus::Handler handler) override;
  // Connects now if not connected; OK once connected.
  absl::Status Connect();
  bool connected() const;
  // Readiness check: OK once connected, else Unavailable.
  absl::Status Ready() const;

 private:
  absl::StatusOr<bus::EventBus*> Get();

  const bus::JetStreamBusOptions options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<bus::JetStreamBus> bus_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::service

#endif  // TOCSIN_LIBS_SERVICE_RUNTIME_H_
