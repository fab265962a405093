// In-memory PagingService (testonly), for tests of the clients and of the
// tocsin CLI; serve it with TestServer (test_server.h).
//
// It answers like the paging service where tests look: NotFound with the id
// for an unknown page, PermissionDenied for a wrong accept code (the page
// stays as it was), List calls without the accept codes. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_PAGING_SERVICE_H_
#define TOCSIN_LIBS_CLIENT_FAKE_PAGING_SERVICE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"

namespace tocsin::client {

class FakePagingService final : public paging::v1::PagingService::Service {
 public:
  void AddPage(const paging::v1::Page& page);
  // The page as stored now; it must exist.
  paging::v1::Page page(const std::string& id);
  // Every AcceptPage request, in order.
  std::vector<paging::v1::AcceptPageRequest> accepts();

  grpc::Status AcceptPage(grpc::ServerContext*,
                          const paging::v1::AcceptPageRequest* request,
                          paging::v1::Page* response) override;
  grpc::Status ListPages(grpc::ServerContext*,
                         const paging::v1::ListPagesRequest* request,
                         paging::v1::ListPagesResponse* response) override;
  grpc::Status GetPage(grpc::ServerContext*,
                       const paging::v1::GetPageRequest* request,
                       paging::v1::Page* response) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, paging::v1::Page> pages_ ABSL_GUARDED_BY(mu_);
  std::vector<paging::v1::AcceptPageRequest> accepts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_PAGING_SERVICE_H_
