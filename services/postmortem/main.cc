// tocsin-postmortem: for now records the incident events it consumes (durable
// consumer "postmortem-incidents") and lists them over gRPC. Wiring only: the service's
// run is in libs/event_record/recording_service.h and libs/service/host.h.
#include <memory>

#include "libs/event_record/recording_service.h"
#include "services/postmortem/grpc_service.h"

int main(int argc, char** argv) {
  return tocsin::event_record::RunRecordingService(
      argc, argv,
      {.name = "postmortem",
       .domains = {"postmortem"},
       .grpc_port = 7006,
       .http_port = 7106,
       .usage = "Tocsin postmortem service: records the incident events it consumes (analyses come later)."},
      "postmortem-incidents", [](tocsin::event_record::EventRecord* record) {
        return std::make_unique<tocsin::postmortem::PostmortemServiceImpl>(record);
      });
}
