#include "services/escalation/grpc_service.h"

#include <utility>

#include "libs/grpc/status.h"

namespace tocsin::escalation {
namespace {

// Runs a core call returning StatusOr<T> and copies the value into *out.
template <typename T, typename F>
grpc::Status Answer(T* out, F&& call) {
  auto result = call();
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ContactServiceImpl::CreateContact(grpc::ServerContext*,
                                               const v1::CreateContactRequest* req,
                                               Contact* resp) {
  return Answer(resp, [&] { return core_->CreateContact(req->contact()); });
}

grpc::Status ContactServiceImpl::UpdateContact(grpc::ServerContext*,
                                               const v1::UpdateContactRequest* req,
                                               Contact* resp) {
  return Answer(resp,
                [&] { return core_->UpdateContact(req->contact(), req->expected_version()); });
}

grpc::Status ContactServiceImpl::GetContact(grpc::ServerContext*,
                                            const v1::GetContactRequest* req, Contact* resp) {
  return Answer(resp, [&] { return core_->GetContact(req->name()); });
}

grpc::Status ContactServiceImpl::ListContacts(grpc::ServerContext*,
                                              const v1::ListContactsRequest*,
                                              v1::ListContactsResponse* resp) {
  auto contacts = core_->ListContacts();
  if (!contacts.ok()) return ToGrpcStatus(contacts.status());
  for (auto& c : *contacts) *resp->add_contacts() = std::move(c);
  return grpc::Status::OK;
}

grpc::Status ContactServiceImpl::DeleteContact(grpc::ServerContext*,
                                               const v1::DeleteContactRequest* req,
                                               v1::DeleteContactResponse*) {
  return ToGrpcStatus(core_->DeleteContact(req->name()));
}

grpc::Status EngagementServiceImpl::ListEngagements(grpc::ServerContext*,
                                                    const v1::ListEngagementsRequest* req,
                                                    v1::ListEngagementsResponse* resp) {
  return Answer(resp, [&] { return core_->ListEngagements(*req); });
}

}  // namespace tocsin::escalation
