// RecordingServiceTest: what every recording service binary must do, as a
// value-parameterised test suite (testonly). A service's test instantiates it
// with its binary and its gRPC read:
//
//   INSTANTIATE_TEST_SUITE_P(
//       Runbook, RecordingServiceTest,
//       ::testing::Values(RecordingServiceBinary{
//           "runbook", ReadReceivedEvents<v1::RunbookService, v1::ListReceivedEventsRequest,
//                                        v1::ListReceivedEventsResponse>}));
//
// Each test starts a real nats-server and the real binary
// (service_under_test.h), publishes incident events on the bus and reads them
// back through the service's ListReceivedEvents.
#ifndef TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_TEST_SUITE_H_
#define TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_TEST_SUITE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/event_record/event_record.h"
#include "libs/event_record/service_under_test.h"
#include "libs/grpc/status.h"
#include "libs/status/status_macros.h"

namespace tocsin::event_record {

// Calls ListReceivedEvents(incident_id) on the service at address.
using ReceivedEventsReader = std::function<absl::StatusOr<std::vector<ReceivedEvent>>(
    const std::string& address, const std::string& incident_id)>;

struct RecordingServiceBinary {
  // The service's name, e.g. "runbook": its binary is the runfile
  // services/<service>/<service>, its metrics are named tocsin_<service>_*.
  std::string service;
  ReceivedEventsReader read;
};

// gtest prints the parameter by its service name.
inline void PrintTo(const RecordingServiceBinary& binary, std::ostream* os) {
  *os << binary.service;
}

// A ReceivedEventsReader for a service whose gRPC Service has
// ListReceivedEvents(Request{incident_id}) -> Response{events}.
template <typename Service, typename Request, typename Response>
absl::StatusOr<std::vector<ReceivedEvent>> ReadReceivedEvents(const std::string& address,
                                                              const std::string& incident_id) {
  auto stub = Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Request request;
  request.set_incident_id(incident_id);
  Response response;
  RETURN_IF_ERROR(FromGrpcStatus(stub->ListReceivedEvents(&context, request, &response)));
  std::vector<ReceivedEvent> events;
  for (const auto& e : response.events()) {
    events.push_back({e.event_id(), e.type(), e.incident_id(), FromProtoTime(e.receive_time())});
  }
  return events;
}

class RecordingServiceTest : public ::testing::TestWithParam<RecordingServiceBinary> {
 protected:
  // Starts nats-server and the binary; fails the test if it does not get ready.
  void SetUp() override;

  // "event_id type incident_id" of each event the service lists for
  // incident_id (all when empty), or the error of the call.
  std::vector<std::string> Received(const std::string& incident_id);

  // Waits until the service lists event_id. The consumer takes messages in
  // order, so everything published before it has been handled then (unless
  // a crash left an earlier one unacknowledged).
  absl::Status WaitForRecorded(const std::string& event_id, absl::Duration timeout = kWait);

  static constexpr absl::Duration kWait = absl::Seconds(30);

  std::unique_ptr<RecordingServiceUnderTest> service_;
};

}  // namespace tocsin::event_record

#endif  // TOCSIN_LIBS_EVENT_RECORD_RECORDING_SERVICE_TEST_SUITE_H_
