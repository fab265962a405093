#include "services/postmortem/grpc_service.h"

#include "libs/grpc/status.h"

namespace tocsin::postmortem {

grpc::Status PostmortemServiceImpl::ListTemplates(grpc::ServerContext*,
                                                  const v1::ListTemplatesRequest*,
                                                  v1::ListTemplatesResponse* resp) {
  return AnswerList(resp->mutable_templates(), [&] { return core_->ListTemplates(); });
}

grpc::Status PostmortemServiceImpl::GetTemplate(grpc::ServerContext*,
                                                const v1::GetTemplateRequest* req,
                                                v1::Template* resp) {
  return Answer(resp, [&] { return core_->GetTemplate(req->name()); });
}

grpc::Status PostmortemServiceImpl::SaveTemplate(grpc::ServerContext*,
                                                 const v1::SaveTemplateRequest* req,
                                                 v1::SaveTemplateResponse* resp) {
  return Answer(resp, [&] { return core_->SaveTemplate(*req); });
}

grpc::Status PostmortemServiceImpl::CreateAnalysis(grpc::ServerContext*,
                                                   const v1::CreateAnalysisRequest* req,
                                                   v1::Analysis* resp) {
  return Answer(resp, [&] { return core_->Create(*req); });
}

grpc::Status PostmortemServiceImpl::GetAnalysis(grpc::ServerContext*,
                                                const v1::GetAnalysisRequest* req,
                                                v1::Analysis* resp) {
  return Answer(resp, [&] { return core_->Get(req->id()); });
}

grpc::Status PostmortemServiceImpl::ListAnalyses(grpc::ServerContext*,
                                                 const v1::ListAnalysesRequest* req,
                                                 v1::ListAnalysesResponse* resp) {
  return AnswerList(resp->mutable_analyses(), [&] { return core_->List(req->incident_id()); });
}

grpc::Status PostmortemServiceImpl::AnswerQuestion(grpc::ServerContext*,
                                                   const v1::AnswerQuestionRequest* req,
                                                   v1::Analysis* resp) {
  return Answer(resp, [&] { return core_->Answer(*req); });
}

grpc::Status PostmortemServiceImpl::AddActionItem(grpc::ServerContext*,
                                                  const v1::AddActionItemRequest* req,
                                                  v1::ActionItem* resp) {
  return Answer(resp, [&] { return core_->AddActionItem(*req); });
}

grpc::Status PostmortemServiceImpl::SetAnalysisState(grpc::ServerContext*,
                                                     const v1::SetAnalysisStateRequest* req,
                                                     v1::Analysis* resp) {
  return Answer(resp, [&] { return core_->SetState(*req); });
}

grpc::Status PostmortemServiceImpl::ExportAnalysis(grpc::ServerContext*,
                                                   const v1::ExportAnalysisRequest* req,
                                                   v1::ExportAnalysisResponse* resp) {
  return Answer(resp, [&] { return core_->Export(*req); });
}

grpc::Status PostmortemServiceImpl::ListActionItems(grpc::ServerContext*,
                                                    const v1::ListActionItemsRequest* req,
                                                    v1::ListActionItemsResponse* resp) {
  return AnswerList(resp->mutable_items(), [&] { return core_->ListActionItems(*req); });
}

grpc::Status PostmortemServiceImpl::CompleteActionItem(grpc::ServerContext*,
                                                       const v1::CompleteActionItemRequest* req,
                                                       v1::ActionItem* resp) {
  return Answer(resp, [&] { return core_->CompleteActionItem(*req); });
}

grpc::Status PostmortemServiceImpl::GetMetrics(grpc::ServerContext*,
                                               const v1::GetMetricsRequest* req,
                                               v1::GetMetricsResponse* resp) {
  return Answer(resp, [&] { return core_->Metrics(*req); });
}

grpc::Status PostmortemServiceImpl::ListReceivedEvents(grpc::ServerContext*,
                                                       const v1::ListReceivedEventsRequest* req,
                                                       v1::ListReceivedEventsResponse* resp) {
  return ToGrpcStatus(event_record::ListReceivedEvents(*record_, req->incident_id(), resp));
}

}  // namespace tocsin::postmortem
