// The runbook service's gRPC API (proto/tocsin/runbook/v1/runbook.proto):
// RunbookService over the engine (engine.h) and the record of received
// incident events (libs/event_record). Errors keep the engine's codes.
// Thread-safe, as the engine.
#ifndef TOCSIN_SERVICES_RUNBOOK_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_RUNBOOK_GRPC_SERVICE_H_

#include "libs/event_record/event_record.h"
#include "services/runbook/engine.h"
#include "tocsin/runbook/v1/runbook.grpc.pb.h"

namespace tocsin::runbook {

class RunbookServiceImpl final : public v1::RunbookService::Service {
 public:
  RunbookServiceImpl(RunbookEngine* engine, event_record::EventRecord* record)
      : engine_(engine), record_(record) {}

  grpc::Status ApplyRunbook(grpc::ServerContext*, const v1::ApplyRunbookRequest*,
                            v1::ApplyRunbookResponse*) override;
  grpc::Status GetRunbook(grpc::ServerContext*, const v1::GetRunbookRequest*,
                          v1::Runbook*) override;
  grpc::Status ListRunbooks(grpc::ServerContext*, const v1::ListRunbooksRequest*,
                            v1::ListRunbooksResponse*) override;
  grpc::Status ListRunbookVersions(grpc::ServerContext*, const v1::ListRunbookVersionsRequest*,
                                   v1::ListRunbookVersionsResponse*) override;
  grpc::Status StartExecution(grpc::ServerContext*, const v1::StartExecutionRequest*,
                              v1::Execution*) override;
  grpc::Status GetExecution(grpc::ServerContext*, const v1::GetExecutionRequest*,
                            v1::Execution*) override;
  grpc::Status ListExecutions(grpc::ServerContext*, const v1::ListExecutionsRequest*,
                              v1::ListExecutionsResponse*) override;
  grpc::Status DecideStep(grpc::ServerContext*, const v1::DecideStepRequest*,
                          v1::Execution*) override;
  grpc::Status CancelExecution(grpc::ServerContext*, const v1::CancelExecutionRequest*,
                               v1::Execution*) override;
  grpc::Status ListReceivedEvents(grpc::ServerContext*, const v1::ListReceivedEventsRequest*,
                                  v1::ListReceivedEventsResponse*) override;

 private:
  RunbookEngine* const engine_;
  event_record::EventRecord* const record_;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_GRPC_SERVICE_H_
