// Client of the paging service's gRPC API (PagingService), as plain calls
// that return absl::StatusOr.
//
//   auto paging = PagingClient::Create(MakeChannel("127.0.0.1:7004"));
//   ASSIGN_OR_RETURN(Page page, paging->AcceptPage("pg-1", code, "cli:alice"));
//
// Deadlines and errors as in incidents_client.h (AcceptPage answers
// PermissionDenied for a wrong code). Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_PAGING_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_PAGING_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::client {

class PagingClient {
 public:
  static std::unique_ptr<PagingClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  PagingClient(const PagingClient&) = delete;
  PagingClient& operator=(const PagingClient&) = delete;

  // Acknowledges a page with the code its recipient was given. `author` is
  // recorded on the timeline, e.g. "cli:alice".
  absl::StatusOr<paging::v1::Page> AcceptPage(const std::string& page_id,
                                              const std::string& accept_code,
                                              const std::string& author) const;
  // The pages of one incident (without their accept codes).
  absl::StatusOr<std::vector<paging::v1::Page>> ListPages(
      const std::string& incident_id) const;
  absl::StatusOr<paging::v1::Page> GetPage(const std::string& page_id) const;

 private:
  PagingClient(std::unique_ptr<paging::v1::PagingService::Stub> pages,
               const ClientOptions& options);

  std::unique_ptr<paging::v1::PagingService::Stub> pages_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_PAGING_CLIENT_H_
