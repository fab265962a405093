// Suite: the real Tocsin processes for end-to-end tests. Starts a real
// nats-server (JetStream, temp folder), then the real service binaries on
// ports they pick, waits until each is ready, and stops everything when
// destroyed (also when the test fails). Also gives the test what a user has:
// the gateway URL with an API key, gRPC stubs, and a bus observer.
#ifndef TOCSIN_TESTS_SUITE_H_
#define TOCSIN_TESTS_SUITE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/bus/jetstream_bus.h"
#include "libs/http/http_client.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/process.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"

namespace tocsin::e2e {

// Records every envelope of some event types that reaches the bus, through
// its own durable JetStream consumer.
class BusObserver {
 public:
  static absl::StatusOr<std::unique_ptr<BusObserver>> Start(const std::string& nats_url,
                                                            const std::string& name,
                                                            std::vector<std::string> types);
  std::vector<bus::Envelope> Received() const;
  // How many received envelopes have this type.
  int Count(const std::string& type) const;
  // Waits until Count(type) >= n.
  absl::Status WaitForCount(const std::string& type, int n, absl::Duration timeout) const;

 private:
  std::unique_ptr<bus::JetStreamBus> bus_;
  std::unique_ptr<bus::Subscription> subscription_;
  mutable absl::Mutex mu_;
  std::vector<bus::Envelope> received_ ABSL_GUARDED_BY(mu_);
};

class Suite {
 public:
  static absl::StatusOr<std::unique_ptr<Suite>> Start();
  ~Suite();

  // Starts (or restarts, on the same database) the incidents service.
  absl::Status StartIncidents();
  void KillIncidents();

  const std::string& api_key() const { return api_key_; }
  std::string gateway_url(const std::string& path) const;
  const std::string& incidents_addr() const { return incidents_addr_; }
  const std::string& nats_url() const { return nats_url_; }
  const std::string& dir() const { return dir_; }

  incidents::v1::IncidentService::Stub& incidents() { return *incident_stub_; }
  incidents::v1::ResponsePlanService::Stub& plans() { return *plan_stub_; }

  // POSTs body to the gateway's EventBridge endpoint with the API key.
  absl::StatusOr<http::HttpClientResponse> PostEventBridge(const std::string& body);
  // Creates a response plan over gRPC.
  absl::Status CreatePlan(const incidents::v1::ResponsePlan& plan);
  // Lists every incident (all pages).
  absl::StatusOr<std::vector<incidents::v1::Incident>> ListIncidents();
  absl::StatusOr<std::vector<incidents::v1::TimelineEvent>> Timeline(const std::string& id);

  // The processes' logs, for failure messages.
  std::string Logs() const;

 private:
  Suite() = default;
  absl::StatusOr<std::unique_ptr<testing::Process>> StartService(
      const std::string& name, const std::string& binary, std::vector<std::string> args,
      int* grpc_port, int* http_port);

  std::string dir_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::string nats_url_;
  std::unique_ptr<testing::Process> incidents_;
  std::unique_ptr<testing::Process> gateway_;
  int incidents_grpc_port_ = 0;
  std::string incidents_addr_;
  int gateway_port_ = 0;
  std::string api_key_;
  int restarts_ = 0;
  std::unique_ptr<incidents::v1::IncidentService::Stub> incident_stub_;
  std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plan_stub_;
  http::HttpClient http_;
};

// A fixture file's content (testdata/fixtures/...).
std::string ReadFixture(const std::string& relative);

}  // namespace tocsin::e2e

#endif  // TOCSIN_TESTS_SUITE_H_
