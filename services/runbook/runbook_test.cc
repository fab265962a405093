// The real runbook binary passes the tests every recording service passes
// (libs/event_record/recording_service_test_suite.h): incident events
// published on a real nats-server come back through its gRPC read, each once.
#include "libs/event_record/recording_service_test_suite.h"
#include "tocsin/runbook/v1/runbook.grpc.pb.h"

namespace tocsin::runbook {
namespace {

using event_record::RecordingServiceBinary;
using event_record::RecordingServiceTest;

INSTANTIATE_TEST_SUITE_P(
    Runbook, RecordingServiceTest,
    ::testing::Values(RecordingServiceBinary{
        "runbook",
        event_record::ReadReceivedEvents<v1::RunbookService, v1::ListReceivedEventsRequest,
                                         v1::ListReceivedEventsResponse>}));

}  // namespace
}  // namespace tocsin::runbook
