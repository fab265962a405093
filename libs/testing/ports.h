// Ports and readiness waits for tests that start real processes (testonly).
//
//   ASSERT_OK_AND_ASSIGN(int port, PickUnusedPort());
//   ... start a server on port ...
//   ASSERT_OK(WaitForTcp("127.0.0.1", port, absl::Seconds(10)));
//   ASSERT_OK(WaitFor([&] { return handled.load() == 3; }, absl::Seconds(5)));
//
// Prefer letting a server pick its own port (":0", "-p -1") and reading it
// back: PickUnusedPort's port is free when it returns, but another process
// may take it before the server binds it.
#ifndef TOCSIN_LIBS_TESTING_PORTS_H_
#define TOCSIN_LIBS_TESTING_PORTS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tocsin::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
absl::StatusOr<int> PickUnusedPort();

// Polls until a TCP connection to host:port succeeds (host is a numeric
// IPv4 address). DeadlineExceeded after timeout.
absl::Status WaitForTcp(const std::string& host, int port,
                        absl::Duration timeout);

// Polls cond every poll until it returns true. DeadlineExceeded after
// timeout. cond runs on the calling thread.
absl::Status WaitFor(std::function<bool()> cond, absl::Duration timeout,
                     absl::Duration poll = absl::Milliseconds(20));

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_PORTS_H_
