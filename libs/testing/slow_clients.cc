#include "libs/testing/slow_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tocsin::testing {
namespace {

sockaddr_in Loopback(const std::string& ip, int port) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A connection from source to 127.0.0.1:port, or -1 (errno set).
int Connect(const std::string& source, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in from = Loopback(source, 0);
  sockaddr_in to = Loopback("127.0.0.1", port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Sends what fits without blocking; false when the peer is gone.
bool SendSome(int fd, const std::string& bytes) {
  ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

// Reads and drops what the peer sent; false when it closed or reset.
bool StillOpen(int fd) {
  char buffer[4096];
  while (true) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) continue;
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SlowClients>> SlowClients::Open(SlowClientsOptions options) {
  if (options.sources.empty() || options.port <= 0 || options.connections < 0) {
    return absl::InvalidArgumentError("SlowClients need a port, sources and connections >= 0");
  }
  std::unique_ptr<SlowClients> clients(new SlowClients(options));
  for (int i = 0; i < options.connections; ++i) {
    const std::string& source = options.sources[i % options.sources.size()];
    int fd = Connect(source, options.port);
    if (fd < 0) {
      absl::Status s = absl::UnavailableError(absl::StrCat(
          "slow client ", i, " from ", source, " cannot connect to 127.0.0.1:", options.port,
          ": ", std::strerror(errno)));
      clients->Close();
      return s;
    }
    (void)SendSome(fd, options.first_bytes);
    absl::MutexLock l(&clients->mu_);
    clients->fds_.push_back(fd);
  }
  if (options.trickle_every > absl::ZeroDuration()) {
    clients->trickler_ = std::thread([raw = clients.get()] { raw->Trickle(); });
  }
  return clients;
}

SlowClients::~SlowClients() { Close(); }

void SlowClients::Trickle() {
  absl::MutexLock l(&mu_);
  while (true) {
    auto closing = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closing_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&closing), options_.trickle_every)) return;
    for (int fd : fds_) {
      if (fd >= 0) (void)SendSome(fd, "X-Slow: 1\r\n");
    }
  }
}

int SlowClients::open() {
  absl::MutexLock l(&mu_);
  int n = 0;
  for (int& fd : fds_) {
    if (fd < 0) continue;
    if (StillOpen(fd)) {
      ++n;
    } else {
      close(fd);
      fd = -1;
    }
  }
  return n;
}

void SlowClients::Close() {
  {
    absl::MutexLock l(&mu_);
    closing_ = true;
  }
  if (trickler_.joinable()) trickler_.join();
  absl::MutexLock l(&mu_);
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
  fds_.clear();
}

}  // namespace tocsin::testing
