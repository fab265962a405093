// How the clients of libs/client connect and how long they wait.
//
//   auto incidents = IncidentsClient::Create(
//       MakeChannel("127.0.0.1:7002"), {.deadline = absl::Seconds(5)});
//
// A channel connects on its first call, so creating a client never blocks
// and never fails; a service that does not answer shows as Unavailable (or
// DeadlineExceeded) on the call. One channel may be shared by the clients of
// every API a service serves (its own API and AdminService).
#ifndef TOCSIN_LIBS_CLIENT_OPTIONS_H_
#define TOCSIN_LIBS_CLIENT_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace tocsin::client {

struct ClientOptions {
  // Deadline of each call from when it starts; a List call that follows page
  // tokens gives each page its own.
  absl::Duration deadline = absl::Seconds(10);
};

// A plaintext channel to "host:port" (Tocsin's services listen on loopback
// or inside a cluster network).
inline std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_OPTIONS_H_
