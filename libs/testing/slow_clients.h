// SlowClients: many connections that send the start of a request and then
// only trickle header lines, never finishing it, as a slow-loris attack or a
// dreadful network would (testonly). For tests that a server stays reachable
// for everyone else while its sockets are held.
//
//   ASSERT_OK_AND_ASSIGN(auto flood, SlowClients::Open({.port = port, .connections = 300,
//                                                       .sources = {"127.0.0.2", "127.0.0.3"}}));
//   ... the server must still answer other clients ...
//   EXPECT_EQ(flood->open(), 300);   // the server has closed none of them
//   flood->Close();
//
// Connections are made from the given local addresses in turn (any
// 127.x.y.z works on Linux), so a server's per-address limit sees several
// clients. Thread-safe.
#ifndef TOCSIN_LIBS_TESTING_SLOW_CLIENTS_H_
#define TOCSIN_LIBS_TESTING_SLOW_CLIENTS_H_

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tocsin::testing {

struct SlowClientsOptions {
  // The server's port on 127.0.0.1.
  int port = 0;
  int connections = 300;
  // Local addresses to connect from, in turn.
  std::vector<std::string> sources = {"127.0.0.2"};
  // Sent at once on each connection: a request line and headers without
  // the blank line that would end them.
  std::string first_bytes = "POST /v1/pages/ack HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  // Each open connection then sends one more header line this often (zero:
  // never), so an idle timeout alone does not close it.
  absl::Duration trickle_every = absl::Seconds(2);
};

class SlowClients {
 public:
  // Unavailable when a connection cannot be made (after closing the others).
  static absl::StatusOr<std::unique_ptr<SlowClients>> Open(SlowClientsOptions options);

  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;
  // Close().
  ~SlowClients();

  // Connections the server has not closed (or reset) yet. Whatever the
  // server sent on them is read and dropped.
  int open();
  // Closes every connection and stops trickling. Idempotent.
  void Close();

 private:
  explicit SlowClients(SlowClientsOptions options) : options_(std::move(options)) {}
  void Trickle();

  const SlowClientsOptions options_;
  absl::Mutex mu_;
  // Connected sockets; -1 once the server closed one.
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread trickler_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_SLOW_CLIENTS_H_
