// A real gRPC server in the test's process on 127.0.0.1:0 (testonly), serving
// the fakes (or any services) it is given, so clients talk to it over a real
// channel:
//
//   FakePagingService paging;
//   FakeAdminService admin;
//   ASSERT_OK_AND_ASSIGN(auto server, TestServer::Start({&paging, &admin}));
//   auto client = PagingClient::Create(MakeChannel(server->address()));
//
// The services must outlive the server. The destructor shuts the server
// down, waiting for calls in flight.
#ifndef TOCSIN_LIBS_CLIENT_TEST_SERVER_H_
#define TOCSIN_LIBS_CLIENT_TEST_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace tocsin::client {

class TestServer {
 public:
  // Internal if the server does not start.
  static absl::StatusOr<std::unique_ptr<TestServer>> Start(
      const std::vector<grpc::Service*>& services);

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer();

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }

 private:
  TestServer(std::unique_ptr<grpc::Server> server, std::string address);

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_TEST_SERVER_H_
