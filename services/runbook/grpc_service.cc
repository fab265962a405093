#include "services/runbook/grpc_service.h"

#include "libs/grpc/status.h"

namespace tocsin::runbook {

grpc::Status RunbookServiceImpl::ApplyRunbook(grpc::ServerContext*,
                                              const v1::ApplyRunbookRequest* req,
                                              v1::ApplyRunbookResponse* resp) {
  return Answer(resp, [&] { return engine_->ApplyRunbook(*req); });
}

grpc::Status RunbookServiceImpl::GetRunbook(grpc::ServerContext*,
                                            const v1::GetRunbookRequest* req, v1::Runbook* resp) {
  return Answer(resp, [&] { return engine_->GetRunbook(req->name(), req->version()); });
}

grpc::Status RunbookServiceImpl::ListRunbooks(grpc::ServerContext*,
                                              const v1::ListRunbooksRequest*,
                                              v1::ListRunbooksResponse* resp) {
  return AnswerList(resp->mutable_runbooks(), [&] { return engine_->ListRunbooks(); });
}

grpc::Status RunbookServiceImpl::ListRunbookVersions(grpc::ServerContext*,
                                                     const v1::ListRunbookVersionsRequest* req,
                                                     v1::ListRunbookVersionsResponse* resp) {
  return AnswerList(resp->mutable_versions(),
                    [&] { return engine_->ListRunbookVersions(req->name()); });
}

grpc::Status RunbookServiceImpl::StartExecution(grpc::ServerContext*,
                                                const v1::StartExecutionRequest* req,
                                                v1::Execution* resp) {
  return Answer(resp, [&] { return engine_->Start(*req); });
}

grpc::Status RunbookServiceImpl::GetExecution(grpc::ServerContext*,
                                              const v1::GetExecutionRequest* req,
                                              v1::Execution* resp) {
  return Answer(resp, [&] { return engine_->GetExecution(req->id()); });
}

grpc::Status RunbookServiceImpl::ListExecutions(grpc::ServerContext*,
                                                const v1::ListExecutionsRequest* req,
                                                v1::ListExecutionsResponse* resp) {
  return AnswerList(resp->mutable_executions(), [&] {
    return engine_->ListExecutions(req->incident_id(), req->page_size());
  });
}

grpc::Status RunbookServiceImpl::DecideStep(grpc::ServerContext*,
                                            const v1::DecideStepRequest* req,
                                            v1::Execution* resp) {
  return Answer(resp, [&] { return engine_->Decide(*req); });
}

grpc::Status RunbookServiceImpl::CancelExecution(grpc::ServerContext*,
                                                 const v1::CancelExecutionRequest* req,
                                                 v1::Execution* resp) {
  return Answer(resp, [&] { return engine_->Cancel(*req); });
}

grpc::Status RunbookServiceImpl::ListReceivedEvents(grpc::ServerContext*,
                                                    const v1::ListReceivedEventsRequest* req,
                                                    v1::ListReceivedEventsResponse* resp) {
  return ToGrpcStatus(event_record::ListReceivedEvents(*record_, req->incident_id(), resp));
}

}  // namespace tocsin::runbook
