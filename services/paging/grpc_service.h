// The paging service's gRPC API: PagingService (AcceptPage, ListPages,
// GetPage), a thin adapter from protos to PagingCore with absl -> gRPC status
// mapping. AcceptPage counts wrong accept codes per caller: the source is the
// peer address without its port (PeerSource).
#ifndef TOCSIN_SERVICES_PAGING_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_PAGING_GRPC_SERVICE_H_

#include <string>

#include "absl/strings/string_view.h"
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

// The address of a gRPC peer ("ipv4:127.0.0.1:5555", "ipv6:[::1]:5555",
// "unix:/run/x.sock") without its scheme and port: "127.0.0.1", "::1",
// "unix:/run/x.sock".
std::string PeerSource(absl::string_view peer);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_GRPC_SERVICE_H_
