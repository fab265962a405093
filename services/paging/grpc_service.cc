#include "services/paging/grpc_service.h"

#include "absl/strings/strip.h"
#include "libs/grpc/status.h"

namespace tocsin::paging {

std::string PeerSource(absl::string_view peer) {
  absl::string_view address = peer;
  if (absl::ConsumePrefix(&address, "ipv6:")) {
    // "[::1]:5555"
    if (absl::ConsumePrefix(&address, "[")) {
      const size_t end = address.find(']');
      if (end != absl::string_view::npos) return std::string(address.substr(0, end));
    }
    return std::string(address);
  }
  if (absl::ConsumePrefix(&address, "ipv4:")) {
    const size_t colon = address.rfind(':');
    if (colon != absl::string_view::npos) address = address.substr(0, colon);
    return std::string(address);
  }
  return std::string(peer);
}

grpc::Status PagingServiceImpl::AcceptPage(grpc::ServerContext* context,
                                           const v1::AcceptPageRequest* req, Page* resp) {
  AckRequest request;
  request.page_id = req->page_id();
  request.accept_code = req->accept_code();
  request.token = req->ack_token();
  request.author = req->author();
  request.source = PeerSource(context->peer());
  auto page = core_->AcceptPage(request);
  if (!page.ok()) return ToGrpcStatus(page.status());
  *resp = *std::move(page);
  return grpc::Status::OK;
}

grpc::Status PagingServiceImpl::ListPages(grpc::ServerContext*, const v1::ListPagesRequest* req,
                                          v1::ListPagesResponse* resp) {
  auto pages = core_->ListPages(req->incident_id());
  if (!pages.ok()) return ToGrpcStatus(pages.status());
  for (auto& p : *pages) *resp->add_pages() = std::move(p);
  return grpc::Status::OK;
}

grpc::Status PagingServiceImpl::GetPage(grpc::ServerContext*, const v1::GetPageRequest* req,
                                        Page* resp) {
  auto page = core_->GetPage(req->page_id());
  if (!page.ok()) return ToGrpcStatus(page.status());
  *resp = *std::move(page);
  return grpc::Status::OK;
}

}  // namespace tocsin::paging
