#include "libs/client/fake_paging_service.h"

#include "absl/strings/str_cat.h"
#include "libs/client/fake_time.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::paging::v1;

grpc::Status PageNotFound(const std::string& id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("page \"", id, "\" not found"));
}

}  // namespace

void FakePagingService::AddPage(const v1::Page& page) {
  absl::MutexLock lock(&mu_);
  pages_[page.id()] = page;
}

v1::Page FakePagingService::page(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return pages_.at(id);
}

std::vector<v1::AcceptPageRequest> FakePagingService::accepts() {
  absl::MutexLock lock(&mu_);
  return accepts_;
}

grpc::Status FakePagingService::AcceptPage(grpc::ServerContext*,
                                           const v1::AcceptPageRequest* request,
                                           v1::Page* response) {
  absl::MutexLock lock(&mu_);
  accepts_.push_back(*request);
  auto it = pages_.find(request->page_id());
  if (it == pages_.end()) return PageNotFound(request->page_id());
  if (request->accept_code() != it->second.accept_code()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("accept code does not match page \"",
                                     request->page_id(), "\""));
  }
  it->second.set_state(v1::PAGE_STATE_ACKNOWLEDGED);
  it->second.set_acked_by(request->author());
  it->second.mutable_ack_time()->set_seconds(kFakeNowSeconds + 300);
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakePagingService::ListPages(grpc::ServerContext*,
                                          const v1::ListPagesRequest* request,
                                          v1::ListPagesResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, page] : pages_) {
    if (page.incident_id() != request->incident_id()) continue;
    v1::Page* listed = response->add_pages();
    *listed = page;
    listed->clear_accept_code();
  }
  return grpc::Status::OK;
}

grpc::Status FakePagingService::GetPage(grpc::ServerContext*,
                                        const v1::GetPageRequest* request,
                                        v1::Page* response) {
  absl::MutexLock lock(&mu_);
  auto it = pages_.find(request->page_id());
  if (it == pages_.end()) return PageNotFound(request->page_id());
  *response = it->second;
  return grpc::Status::OK;
}

}  // namespace tocsin::client
