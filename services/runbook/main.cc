// tocsin-runbook: for now records the incident events it consumes (durable
// consumer "runbook-incidents") and lists them over gRPC. Wiring only: the service's
// run is in libs/event_record/recording_service.h and libs/service/host.h.
#include <memory>

#include "libs/event_record/recording_service.h"
#include "services/runbook/grpc_service.h"

int main(int argc, char** argv) {
  return tocsin::event_record::RunRecordingService(
      argc, argv,
      {.name = "runbook",
       .domains = {"runbook"},
       .grpc_port = 7005,
       .http_port = 7105,
       .usage = "Tocsin runbook service: records the incident events it consumes (runbooks come later)."},
      "runbook-incidents", [](tocsin::event_record::EventRecord* record) {
        return std::make_unique<tocsin::runbook::RunbookServiceImpl>(record);
      });
}
