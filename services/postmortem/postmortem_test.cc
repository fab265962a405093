// The real postmortem binary passes the tests every recording service passes
// (libs/event_record/recording_service_test_suite.h): incident events
// published on a real nats-server come back through its gRPC read, each once.
// Its incidents service (for the analysis of a resolved incident) is an
// in-process fake that knows none of the suite's incidents: their
// incident.resolved is recorded and gets no analysis (NotFound is not
// retried).
#include <cstdlib>
#include <memory>

#include "gtest/gtest.h"
#include "libs/client/fake_incidents_service.h"
#include "libs/client/test_server.h"
#include "libs/event_record/recording_service_test_suite.h"
#include "tocsin/postmortem/v1/postmortem.grpc.pb.h"

namespace tocsin::postmortem {
namespace {

using event_record::RecordingServiceBinary;
using event_record::RecordingServiceTest;

INSTANTIATE_TEST_SUITE_P(
    Postmortem, RecordingServiceTest,
    ::testing::Values(RecordingServiceBinary{
        "postmortem",
        event_record::ReadReceivedEvents<v1::PostmortemService, v1::ListReceivedEventsRequest,
                                         v1::ListReceivedEventsResponse>}));

class FakeIncidentsEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    auto server = client::TestServer::Start({&incidents_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    // The binary reads it at start (the children inherit the environment).
    setenv("TOCSIN_INCIDENTS_ADDR", server_->address().c_str(), 1);
  }
  void TearDown() override { server_.reset(); }

 private:
  client::FakeIncidentService incidents_;
  std::unique_ptr<client::TestServer> server_;
};

}  // namespace
}  // namespace tocsin::postmortem

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new tocsin::postmortem::FakeIncidentsEnvironment);
  return RUN_ALL_TESTS();
}
