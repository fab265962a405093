// The postmortem service's gRPC API (proto/tocsin/postmortem/v1/
// postmortem.proto): PostmortemService over the core (core.h) and the record
// of received incident events (libs/event_record). Errors keep the core's
// codes. Thread-safe, as the core.
#ifndef TOCSIN_SERVICES_POSTMORTEM_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_POSTMORTEM_GRPC_SERVICE_H_

#include "libs/event_record/event_record.h"
#include "services/postmortem/core.h"
#include "tocsin/postmortem/v1/postmortem.grpc.pb.h"

namespace tocsin::postmortem {

class PostmortemServiceImpl final : public v1::PostmortemService::Service {
 public:
  PostmortemServiceImpl(PostmortemCore* core, event_record::EventRecord* record)
      : core_(core), record_(record) {}

  grpc::Status ListTemplates(grpc::ServerContext*, const v1::ListTemplatesRequest*,
                             v1::ListTemplatesResponse*) override;
  grpc::Status GetTemplate(grpc::ServerContext*, const v1::GetTemplateRequest*,
                           v1::Template*) override;
  grpc::Status SaveTemplate(grpc::ServerContext*, const v1::SaveTemplateRequest*,
                            v1::SaveTemplateResponse*) override;
  grpc::Status CreateAnalysis(grpc::ServerContext*, const v1::CreateAnalysisRequest*,
                              v1::Analysis*) override;
  grpc::Status GetAnalysis(grpc::ServerContext*, const v1::GetAnalysisRequest*,
                           v1::Analysis*) override;
  grpc::Status ListAnalyses(grpc::ServerContext*, const v1::ListAnalysesRequest*,
                            v1::ListAnalysesResponse*) override;
  grpc::Status AnswerQuestion(grpc::ServerContext*, const v1::AnswerQuestionRequest*,
                              v1::Analysis*) override;
  grpc::Status AddActionItem(grpc::ServerContext*, const v1::AddActionItemRequest*,
                             v1::ActionItem*) override;
  grpc::Status SetAnalysisState(grpc::ServerContext*, const v1::SetAnalysisStateRequest*,
                                v1::Analysis*) override;
  grpc::Status ExportAnalysis(grpc::ServerContext*, const v1::ExportAnalysisRequest*,
                              v1::ExportAnalysisResponse*) override;
  grpc::Status ListActionItems(grpc::ServerContext*, const v1::ListActionItemsRequest*,
                               v1::ListActionItemsResponse*) override;
  grpc::Status CompleteActionItem(grpc::ServerContext*, const v1::CompleteActionItemRequest*,
                                  v1::ActionItem*) override;
  grpc::Status GetMetrics(grpc::ServerContext*, const v1::GetMetricsRequest*,
                          v1::GetMetricsResponse*) override;
  grpc::Status ListReceivedEvents(grpc::ServerContext*, const v1::ListReceivedEventsRequest*,
                                  v1::ListReceivedEventsResponse*) override;

 private:
  PostmortemCore* const core_;
  event_record::EventRecord* const record_;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_GRPC_SERVICE_H_
