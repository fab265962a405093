// absl::Status <-> grpc::Status at the edge of every gRPC server and client.
// The codes map one to one (gRPC and Abseil share their numbering).
#ifndef TOCSIN_LIBS_GRPC_STATUS_H_
#define TOCSIN_LIBS_GRPC_STATUS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace tocsin {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// For gRPC handlers over a core: runs call (returning absl::StatusOr<T>)
// and copies the value into *out, or answers the error with its code.
//   return Answer(resp, [&] { return core_->GetIncident(req->id()); });
template <typename T, typename F>
grpc::Status Answer(T* out, F&& call) {
  auto result = call();
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

// As Answer, for a call returning absl::StatusOr<std::vector<T>>: appends
// each element to the response's repeated field *out.
template <typename Field, typename F>
grpc::Status AnswerList(Field* out, F&& call) {
  auto result = call();
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (auto& item : *result) *out->Add() = std::move(item);
  return grpc::Status::OK;
}

}  // namespace tocsin

#endif  // TOCSIN_LIBS_GRPC_STATUS_H_
