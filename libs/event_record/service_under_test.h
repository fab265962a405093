// RecordingServiceUnderTest: a recording service binary (runbook, postmortem)
// running for a test (testonly), with a real nats-server and a publisher.
//
//   ASSERT_OK_AND_ASSIGN(auto service,
//                        RecordingServiceUnderTest::Start("services/runbook/runbook"));
//   ASSERT_OK(service->Publish(IncidentEvent("incident.opened", "evt-1", "inc-1")));
//   ... read the service's gRPC API at service->grpc_address() ...
//   service->KillService();                 // kill -9
//   ASSERT_OK(service->StartService());     // same database, new ports
//
// Start() starts nats-server, then the binary (a runfile path; the test lists
// the binary in its data) on ports it picks, and returns once its /readyz
// answers 200, i.e. its recording consumer is subscribed. Destroying it stops
// both. Call it from the test's main thread (see process.h). Not
// thread-safe: one owner.
#ifndef TOCSIN_LIBS_EVENT_RECORD_SERVICE_UNDER_TEST_H_
#define TOCSIN_LIBS_EVENT_RECORD_SERVICE_UNDER_TEST_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/bus/jetstream_bus.h"
#include "libs/http/http_client.h"
#include "libs/testing/nats_server.h"
#include "libs/testing/process.h"

namespace tocsin::event_record {

class RecordingServiceUnderTest {
 public:
  static absl::StatusOr<std::unique_ptr<RecordingServiceUnderTest>> Start(
      const std::string& binary);
  ~RecordingServiceUnderTest();

  // "127.0.0.1:<port>" of the running service's gRPC API.
  std::string grpc_address() const;

  // Publishes through a JetStreamBus: the server keeps one message per event
  // id (within its de-duplication window). Unavailable while the bus is down
  // or reconnecting.
  absl::Status Publish(const bus::Envelope& event);

  // Publishes event as a new message without its de-duplication key, so the
  // service receives an event id it has seen before, as after a redelivery.
  absl::Status PublishAgain(const bus::Envelope& event);

  // Kills the service at once (SIGKILL), as a crash would.
  void KillService();
  // Starts the service (again) on the same database, on new ports; returns
  // once it has written its ports file, ready or not.
  absl::Status StartService();
  // Waits until /readyz answers 200.
  absl::Status WaitReady();
  // The service's answer to GET /readyz.
  absl::StatusOr<http::HttpClientResponse> Readiness();
  // The service's answer to GET /metrics.
  absl::StatusOr<http::HttpClientResponse> Metrics();

  // Kills nats-server (SIGKILL) and starts it again on the same port with the
  // same JetStream data.
  void KillBus();
  absl::Status RestartBus();

  // The service's log (all its runs), for failure messages.
  std::string Log() const;

 private:
  RecordingServiceUnderTest(std::string binary, std::string dir)
      : binary_(std::move(binary)), dir_(std::move(dir)) {}

  // GET path on the service's HTTP port.
  absl::StatusOr<http::HttpClientResponse> Get(const std::string& path);

  const std::string binary_;
  const std::string dir_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<bus::JetStreamBus> bus_;
  std::unique_ptr<testing::Process> process_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  http::HttpClient http_;
};

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_SERVICE_UNDER_TEST_H_
