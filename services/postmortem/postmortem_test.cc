// The real postmortem binary passes the tests every recording service passes
// (libs/event_record/recording_service_test_suite.h): incident events
// published on a real nats-server come back through its gRPC read, each once.
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

}  // namespace
}  // namespace tocsin::postmortem
