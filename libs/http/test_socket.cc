#include "libs/http/test_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tocsin::http {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

sockaddr_in Loopback(const std::string& ip, int port) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestSocket>> TestSocket::Connect(int port,
                                                                const std::string& source) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Errno("socket");
  std::unique_ptr<TestSocket> s(new TestSocket(fd));
  sockaddr_in from = Loopback(source, 0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
    return Errno(absl::StrCat("bind to ", source));
  }
  sockaddr_in to = Loopback("127.0.0.1", port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    return Errno(absl::StrCat("connect to 127.0.0.1:", port));
  }
  return s;
}

TestSocket::~TestSocket() { close(fd_); }

absl::Status TestSocket::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("send");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

TestSocket::Reply TestSocket::ReadUntilClosed(absl::Duration timeout) {
  return ReadUntil(absl::string_view(), timeout);
}

TestSocket::Reply TestSocket::ReadUntil(absl::string_view marker, absl::Duration timeout) {
  Reply reply;
  const absl::Time deadline = absl::Now() + timeout;
  while (marker.empty() || !absl::StrContains(reply.bytes, marker)) {
    const int64_t wait = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (wait <= 0) break;
    pollfd p = {fd_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(wait));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[16384];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      reply.closed = true;
      break;
    }
    reply.bytes.append(buffer, static_cast<size_t>(n));
  }
  return reply;
}

absl::StatusOr<std::unique_ptr<StalledListener>> StalledListener::Start() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in a = Loopback("127.0.0.1", 0);
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    absl::Status s = Errno("listen on 127.0.0.1");
    close(fd);
    return s;
  }
  return std::unique_ptr<StalledListener>(new StalledListener(fd, ntohs(a.sin_port)));
}

StalledListener::~StalledListener() { close(fd_); }

}  // namespace tocsin::http
