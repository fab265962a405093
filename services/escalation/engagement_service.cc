#include "services/escalation/engagement_service.h"

#include <utility>

#include "libs/grpc/status.h"

namespace tocsin::escalation {
grpc::Status EngagementServiceImpl::ListEngagements(grpc::ServerContext*,
                                                    const v1::ListEngagementsRequest* req,
                                                    v1::ListEngagementsResponse* resp) {
  return Answer(resp, [&] { return core_->ListEngagements(*req); });
}

grpc::Status EngagementServiceImpl::StartEngagement(grpc::ServerContext*,
                                                    const v1::StartEngagementRequest* req,
                                                    v1::Engagement* resp) {
  return Answer(resp, [&] { return core_->StartEngagement(*req); });
}

grpc::Status EngagementServiceImpl::GetEngagement(grpc::ServerContext*,
                                                  const v1::GetEngagementRequest* req,
                                                  v1::Engagement* resp) {
  return Answer(resp, [&] { return core_->GetEngagement(req->id()); });
}

grpc::Status EngagementServiceImpl::StopEngagement(grpc::ServerContext*,
                                                   const v1::StopEngagementRequest* req,
                                                   v1::Engagement* resp) {
  return Answer(resp, [&] { return core_->StopEngagement(req->id(), req->reason()); });
}

grpc::Status EngagementServiceImpl::PreviewEngagement(grpc::ServerContext*,
                                                      const v1::PreviewEngagementRequest* req,
                                                      v1::PreviewEngagementResponse* resp) {
  return Answer(resp, [&] { return core_->PreviewEngagement(*req); });
}

}  // namespace tocsin::escalation
