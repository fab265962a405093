#include "libs/client/paging_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::paging::v1;
using internal::Call;

std::unique_ptr<PagingClient> PagingClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<PagingClient>(
      new PagingClient(v1::PagingService::NewStub(channel), options));
}

PagingClient::PagingClient(std::unique_ptr<v1::PagingService::Stub> pages,
                           const ClientOptions& options)
    : pages_(std::move(pages)), options_(options) {}

absl::StatusOr<v1::Page> PagingClient::AcceptPage(
    const std::string& page_id, const std::string& accept_code,
    const std::string& author) const {
  v1::AcceptPageRequest request;
  request.set_page_id(page_id);
  request.set_accept_code(accept_code);
  request.set_author(author);
  return Call(*pages_, &v1::PagingService::Stub::AcceptPage, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::Page>> PagingClient::ListPages(
    const std::string& incident_id) const {
  v1::ListPagesRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(v1::ListPagesResponse response,
                   Call(*pages_, &v1::PagingService::Stub::ListPages, request,
                        options_.deadline));
  return internal::ToVector(response.mutable_pages());
}

absl::StatusOr<v1::Page> PagingClient::GetPage(
    const std::string& page_id) const {
  v1::GetPageRequest request;
  request.set_page_id(page_id);
  return Call(*pages_, &v1::PagingService::Stub::GetPage, request,
              options_.deadline);
}

}  // namespace tocsin::client
