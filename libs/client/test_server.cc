#include "libs/client/test_server.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tocsin::client {

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start(
    const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::InternalError("test gRPC server did not start on 127.0.0.1:0");
  }
  return std::unique_ptr<TestServer>(
      new TestServer(std::move(server), absl::StrCat("127.0.0.1:", port)));
}

TestServer::TestServer(std::unique_ptr<grpc::Server> server,
                       std::string address)
    : server_(std::move(server)), address_(std::move(address)) {}

TestServer::~TestServer() { server_->Shutdown(); }

}  // namespace tocsin::client
