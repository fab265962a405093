// absl::Status <-> grpc::Status at the edge of every gRPC server and client.
// The codes map one to one (gRPC and Abseil share their numbering).
#ifndef TOCSIN_LIBS_GRPC_STATUS_H_
#define TOCSIN_LIBS_GRPC_STATUS_H_

#include <string>

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

}  // namespace tocsin

#endif  // TOCSIN_LIBS_GRPC_STATUS_H_
