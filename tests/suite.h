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
#include "tocsin/admin/v1/admin.grpc.pb.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"
#include "tocsin/paging/v1/chat.grpc.pb.h"
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
  // Extra flags per process ("gateway", "incidents", "escalation", "paging",
  // "runbook", "postmortem"), given after the suite's own so they win, on
  // every start. A flag the binary does not know stops it from starting.
  std::map<std::string, std::vector<std::string>> flags;
  // Extra environment variables per process, on every start. A setting a
  // service may not have yet is safer here: unknown variables are ignored.
  std::map<std::string, std::map<std::string, std::string>> env;
  // Whether new contact channels must be activated with a code before they
  // are paged (the escalation service's default). Off by default here, so
  // tests about other things page the channels they apply at once.
  bool channel_activation = false;
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
  // "gateway", "incidents", "escalation", "paging", "runbook", "postmortem".
  // The paging service's HTTP port (ack links, --public_url) stays the same
  // across restarts, as does every gRPC port and the gateway's port.
  absl::Status StartService(const std::string& name);
  // SIGKILL, as a crash would.
  void KillService(const std::string& name);
  absl::Status StartIncidents() { return StartService("incidents"); }
  void KillIncidents() { KillService("incidents"); }
  // The service's process id (for measurements).
  int Pid(const std::string& name) const;
  // Whether the service's process runs (false once killed or exited).
  bool Running(const std::string& name);
  std::vector<std::string> Services() const;

  // The service's SQLite file, the same across restarts ("" for the
  // gateway, which has none).
  std::string db_path(const std::string& service) const;
  // The port of the service's HTTP server (/metrics, /healthz, /readyz; for
  // paging also the ack links; for the gateway its API); 0 if not started.
  int http_port(const std::string& service) const;
  // "http://127.0.0.1:<paging's HTTP port><path>": the paging service's
  // public URL, where the ack links in pages point.
  std::string paging_url(const std::string& path) const;

  // An outage of NATS: Stop is an operator's stop (nothing acknowledged is
  // lost), Kill a crash; StartNats brings it back on the same port with the
  // same data. Services reconnect by themselves.
  void StopNats() { nats_->Stop(); }
  void KillNats() { nats_->Kill(); }
  absl::Status StartNats() { return nats_->Restart(); }
  bool NatsRunning() const { return nats_->running(); }

  // The service's dead letters (replayed ones too), through the
  // AdminService on its gRPC port.
  absl::StatusOr<std::vector<admin::v1::DeadLetter>> DeadLetters(const std::string& service);

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
  escalation::v1::RotationService::Stub& rotations() { return *rotation_stub_; }
  paging::v1::PagingService::Stub& paging() { return *paging_stub_; }
  paging::v1::ChatService::Stub& chat() { return *chat_stub_; }
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
  std::string api_keys_file_;
  std::map<std::string, Service> services_;
  std::string incidents_addr_;
  int gateway_port_ = 0;
  std::string api_key_;
  std::unique_ptr<incidents::v1::IncidentService::Stub> incident_stub_;
  std::unique_ptr<incidents::v1::ResponsePlanService::Stub> plan_stub_;
  std::unique_ptr<escalation::v1::ContactService::Stub> contact_stub_;
  std::unique_ptr<escalation::v1::EngagementService::Stub> engagement_stub_;
  std::unique_ptr<escalation::v1::RotationService::Stub> rotation_stub_;
  std::unique_ptr<paging::v1::PagingService::Stub> paging_stub_;
  std::unique_ptr<paging::v1::ChatService::Stub> chat_stub_;
  std::unique_ptr<runbook::v1::RunbookService::Stub> runbook_stub_;
  std::unique_ptr<postmortem::v1::PostmortemService::Stub> postmortem_stub_;
  int cli_runs_ = 0;
  http::HttpClient http_;
};

// A gRPC channel to addr that reconnects within a second of the server
// coming back (a restarted service), instead of gRPC's backoff of minutes.
std::shared_ptr<grpc::Channel> QuickChannel(const std::string& addr);

// A fixture file's content (testdata/fixtures/...).
std::string ReadFixture(const std::string& relative);

// A client context for one call to a suite's service: a 10 s deadline.
std::unique_ptr<grpc::ClientContext> Ctx();

// The fixture eventbridge/single-metric-alarm.json (ServerCpuTooHigh in
// ALARM) as the gateway receives it, with its event id set to id.
std::string AlarmEvent(const std::string& id);

}  // namespace tocsin::e2e

#endif  // TOCSIN_TESTS_SUITE_H_
