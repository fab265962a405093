// The escalation service's EngagementService: a thin gRPC adapter over
// EscalationCore's engagements (list, start by hand, get, stop, preview),
// with absl -> gRPC status mapping (libs/grpc/status.h). Thread-safe as the
// core is; the core must outlive it.
//
//   EngagementServiceImpl engagements(core);
//   host.AddGrpcService(&engagements);
#ifndef TOCSIN_SERVICES_ESCALATION_ENGAGEMENT_SERVICE_H_
#define TOCSIN_SERVICES_ESCALATION_ENGAGEMENT_SERVICE_H_

#include "services/escalation/core.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"

namespace tocsin::escalation {

class EngagementServiceImpl final : public v1::EngagementService::Service {
 public:
  explicit EngagementServiceImpl(EscalationCore* core) : core_(core) {}

  grpc::Status ListEngagements(grpc::ServerContext*, const v1::ListEngagementsRequest*,
                               v1::ListEngagementsResponse*) override;
  grpc::Status StartEngagement(grpc::ServerContext*, const v1::StartEngagementRequest*,
                               v1::Engagement*) override;
  grpc::Status GetEngagement(grpc::ServerContext*, const v1::GetEngagementRequest*,
                             v1::Engagement*) override;
  grpc::Status StopEngagement(grpc::ServerContext*, const v1::StopEngagementRequest*,
                              v1::Engagement*) override;
  grpc::Status PreviewEngagement(grpc::ServerContext*, const v1::PreviewEngagementRequest*,
                                 v1::PreviewEngagementResponse*) override;

 private:
  EscalationCore* core_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_ENGAGEMENT_SERVICE_H_
