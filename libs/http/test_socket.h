// Raw TCP sockets for tests of the HTTP server and client that must behave
// as no well-made peer would: send half a request and stall, declare a body
// and never send it, listen and never answer (testonly).
//
//   ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server->port()));
//   ASSERT_OK(s->Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n"));
//   TestSocket::Reply reply = s->ReadUntilClosed(absl::Seconds(10));
//   EXPECT_TRUE(absl::StartsWith(reply.bytes, "HTTP/1.1 413"));
#ifndef TOCSIN_LIBS_HTTP_TEST_SOCKET_H_
#define TOCSIN_LIBS_HTTP_TEST_SOCKET_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tocsin::http {

class TestSocket {
 public:
  // A connection to 127.0.0.1:port from the local address `source` (any
  // 127.x.y.z works on Linux, to look like another client).
  static absl::StatusOr<std::unique_ptr<TestSocket>> Connect(
      int port, const std::string& source = "127.0.0.1");
  ~TestSocket();
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  // Unavailable once the peer has closed or reset the connection.
  absl::Status Send(absl::string_view bytes);

  struct Reply {
    std::string bytes;
    // The peer closed (or reset) the connection before the timeout.
    bool closed = false;
  };
  // Reads until the peer closes the connection or timeout passes.
  Reply ReadUntilClosed(absl::Duration timeout);
  // Reads until `bytes` holds `marker` (e.g. the end of a response),
  // the peer closes, or timeout passes.
  Reply ReadUntil(absl::string_view marker, absl::Duration timeout);

 private:
  explicit TestSocket(int fd) : fd_(fd) {}
  int fd_;
};

// A socket on 127.0.0.1 that listens and never accepts: connections complete
// (in the kernel's backlog) and then nothing is ever answered.
class StalledListener {
 public:
  static absl::StatusOr<std::unique_ptr<StalledListener>> Start();
  ~StalledListener();
  StalledListener(const StalledListener&) = delete;
  StalledListener& operator=(const StalledListener&) = delete;
  int port() const { return port_; }

 private:
  StalledListener(int fd, int port) : fd_(fd), port_(port) {}
  int fd_;
  int port_;
};

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_TEST_SOCKET_H_
