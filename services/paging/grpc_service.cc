#include "services/paging/grpc_service.h"

#include "libs/grpc/status.h"

namespace tocsin::paging {

grpc::Status PagingServiceImpl::AcceptPage(grpc::ServerContext*,
                                           const v1::AcceptPageRequest* req, Page* resp) {
  auto page = core_->AcceptPage(req->page_id(), req->accept_code(), req->author());
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
