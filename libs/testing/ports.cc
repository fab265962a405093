#include "libs/testing/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tocsin::testing {
namespace {

absl::StatusOr<sockaddr_in> Ipv4Address(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a numeric IPv4 address: \"", host, "\""));
  }
  return address;
}

// True when a TCP connection to address succeeds now.
bool CanConnect(const sockaddr_in& address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address),
              sizeof(address)) == 0;
  close(fd);
  return connected;
}

}  // namespace

absl::StatusOr<int> PickUnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("binding 127.0.0.1:0: ", strerror(error)));
  }
  close(fd);
  return ntohs(address.sin_port);
}

absl::Status WaitForTcp(const std::string& host, int port,
                        absl::Duration timeout) {
  absl::StatusOr<sockaddr_in> address = Ipv4Address(host, port);
  if (!address.ok()) return address.status();
  absl::Status waited =
      WaitFor([&] { return CanConnect(*address); }, timeout);
  if (!waited.ok()) {
    return absl::DeadlineExceededError(absl::StrFormat(
        "nothing accepted TCP connections on %s:%d within %s", host, port,
        absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

absl::Status WaitFor(std::function<bool()> cond, absl::Duration timeout,
                     absl::Duration poll) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (cond()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "condition still false after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(std::min(poll, deadline - absl::Now()));
  }
}

}  // namespace tocsin::testing
