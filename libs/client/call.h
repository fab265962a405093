// How every client in libs/client makes a unary call: with a deadline, and
// with the grpc::Status mapped to the absl::Status of the same code
// (libs/grpc/status.h). Internal to libs/client.
#ifndef TOCSIN_LIBS_CLIENT_CALL_H_
#define TOCSIN_LIBS_CLIENT_CALL_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/client_context.h"
#include "libs/grpc/status.h"
#include "libs/status/status_macros.h"

namespace tocsin::client::internal {

template <typename Stub, typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                      Response*);

// One unary RPC whose deadline is `deadline` from now.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(Stub& stub,
                              Method<Stub, Request, Response> method,
                              const Request& request, absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

// Calls a List method page after page until the server returns no
// next_page_token; `items` picks the repeated field of each page. Each page
// has its own deadline.
template <typename Stub, typename Request, typename Response, typename Item>
absl::StatusOr<std::vector<Item>> CallAllPages(
    Stub& stub, Method<Stub, Request, Response> method, Request request,
    google::protobuf::RepeatedPtrField<Item>* (Response::*items)(),
    absl::Duration deadline) {
  std::vector<Item> all;
  do {
    ASSIGN_OR_RETURN(Response page, Call(stub, method, request, deadline));
    for (Item& item : *(page.*items)()) all.push_back(std::move(item));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return all;
}

// The items of a repeated field as a vector.
template <typename Item>
std::vector<Item> ToVector(google::protobuf::RepeatedPtrField<Item>* items) {
  return std::vector<Item>(std::make_move_iterator(items->begin()),
                           std::make_move_iterator(items->end()));
}

}  // namespace tocsin::client::internal

#endif  // TOCSIN_LIBS_CLIENT_CALL_H_
