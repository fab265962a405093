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
#include "tocsin/escalation/v1/escalation.grpc.pb.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"
#include "tocsin/postmortem/v1/postmortem.grpc.pb.h"
#include "tocsin/runbook/v1/runbook.grpc.pb.h"

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

struct SuiteOptions {
  // Also start escalation, paging, runbook and postmortem.
  bool paging_path = false;
  // Where the paging service sends email.
  std::string smtp_url = "smtp://127.0.0.1:1";
};

// What a CLI run printed and how it exited.
struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class Suite {
 public:
  static absl::StatusOr<std::unique_ptr<Suite>> Start(SuiteOptions options = {});
  ~Suite();

  // Starts (or restarts, on the same database and port) a service: one of
  // "incidents", "escalation", "paging", "runbook", "postmortem".
  absl::Status StartService(const std::string& name);
  // SIGKILL, as a crash would.
  void KillService(const std::string& name);
  absl::Status StartIncidents() { return StartService("incidents"); }
  void KillIncidents() { KillService("incidents"); }
  // The service's process id (for measurements).
  int Pid(const std::string& name) const;
  std::vector<std::string> Services() const;

  // Runs the tocsin CLI against this suite.
  absl::StatusOr<CliResult> RunCli(const std::vector<std::string>& args);

  const std::string& api_key() const { return api_key_; }
  std::string gateway_url(const std::string& path) const;
  const std::string& incidents_addr() const { return incidents_addr_; }
  const std::string& nats_url() const { return nats_url_; }
  const std::string& dir() const { return dir_; }

  incidents::v1::IncidentService::Stub& incidents() { return *incident_stub_; }
  incidents::v1::ResponsePlanService::Stub& plans() { return *plan_stub_; }
  escalation::v1::ContactService::Stub& contacts() { return *contact_stub_; }
  escalation::v1::EngagementService::Stub& engagements() { return *engagement_stub_; }
  paging::v1::PagingService::Stub& paging() { return *paging_stub_; }
  runbook::v1::RunbookService::Stub& runbook() { return *runbook_stub_; }
  postmortem::v1::PostmortemService::Stub& postmortem() { return *postmortem_stub_; }
  std::string grpc_addr(const std::string& service) const;

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
  struct Service {
    std::unique_ptr<testing::Process> process;
    int grpc_port = 0;
    int http_port = 0;
    int starts = 0;
  };
  absl::Status Launch(const std::string& name, const std::string& binary,
                      std::vector<std::string> args, Service& service);

  SuiteOptions options_;
  std::string dir_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::string nats_url_;
  std::map<std::string, Service> services_;
  std::string incidents_addr_;
  int gateway_port_ = 0;
  std::string api_key_;
  std::unique_ptr<incidents::v1::IncidentService::Stub> incident_stub_;
  std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plan_stub_;
  std::unique_ptr<escalation::v1::ContactService::Stub> contact_stub_;
  std::unique_ptr<escalation::v1::EngagementService::Stub> engagement_stub_;
  std::unique_ptr<paging::v1::PagingService::Stub> paging_stub_;
  std::unique_ptr<runbook::v1::RunbookService::Stub> runbook_stub_;
  std::unique_ptr<postmortem::v1::PostmortemService::Stub> postmortem_stub_;
  int cli_runs_ = 0;
  http::HttpClient http_;
};

// A fixture file's content (testdata/fixtures/...).
std::string ReadFixture(const std::string& relative);

}  // namespace tocsin::e2e

#endif  // TOCSIN_TESTS_SUITE_H_
