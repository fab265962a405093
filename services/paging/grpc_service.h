// The paging service's gRPC API: PagingService (AcceptPage, ListPages,
// GetPage), a thin adapter from protos to PagingCore with absl -> gRPC status
// mapping.
#ifndef TOCSIN_SERVICES_PAGING_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_PAGING_GRPC_SERVICE_H_

#include "services/paging/core.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"

namespace tocsin::paging {

class PagingServiceImpl final : public v1::PagingService::Service {
 public:
  explicit PagingServiceImpl(PagingCore* core) : core_(core) {}

  grpc::Status AcceptPage(grpc::ServerContext*, const v1::AcceptPageRequest*, Page*) override;
  grpc::Status ListPages(grpc::ServerContext*, const v1::ListPagesRequest*,
                         v1::ListPagesResponse*) override;
  grpc::Status GetPage(grpc::ServerContext*, const v1::GetPageRequest*, Page*) override;

 private:
  PagingCore* core_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_GRPC_SERVICE_H_
