// A real nats-server with JetStream for tests (testonly).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> nats, NatsServer::Start());
//   options.url = nats->url();          // "nats://127.0.0.1:<port>"
//   nats->Kill();                       // simulate a crash
//   ASSERT_OK(nats->Restart());         // same port, same JetStream data
//   nats->Stop();                       // an operator stops it (an outage)
//   ASSERT_OK(nats->Restart());         // ... and starts it again
//
// Each server runs in a fresh folder under $TEST_TMPDIR on a port it picks
// itself (-p -1), read back from its ports file. Start and Restart return
// once the server accepts TCP connections. The binary is $NATS_SERVER if
// set, else nats-server from PATH, /usr/bin or /usr/sbin (Debian installs it
// in /usr/sbin, which Bazel's test PATH lacks). Not thread-safe: one owner.
#ifndef TOCSIN_LIBS_TESTING_NATS_SERVER_H_
#define TOCSIN_LIBS_TESTING_NATS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/testing/process.h"

namespace tocsin::testing {

struct NatsServerOptions {
  // The largest message the server accepts (its max_payload); 0 for the
  // server's default (1 MiB).
  int64_t max_payload = 0;
};

class NatsServer {
 public:
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start(
      const NatsServerOptions& options = {});

  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  // Stops the server (SIGKILL) if it runs.
  ~NatsServer() = default;

  std::string url() const;
  int port() const { return port_; }
  // The server's folder: its log ("nats-server.log") and JetStream data.
  const std::string& dir() const { return dir_; }

  // Kills the server at once (SIGKILL), as a crash would.
  void Kill();

  // Stops the server as an operator would (SIGTERM: it writes out its
  // JetStream data and closes client connections; SIGKILL if it has not
  // exited after 10 s) and returns once it has exited. Unlike Kill(), no
  // message the server acknowledged is lost. Idempotent.
  void Stop();

  // Starts the server again (killing it first if it runs) on the same port
  // with the same JetStream data.
  absl::Status Restart();

  // Whether the server process runs (false after Kill or Stop).
  bool running() const;

  // What the server logged so far (for failure messages, not assertions).
  std::string Log() const;

 private:
  NatsServer(std::string binary, std::string dir, std::string config_file)
      : binary_(std::move(binary)),
        dir_(std::move(dir)),
        config_file_(std::move(config_file)) {}

  // Starts nats-server with port_arg ("-1" or a number) and waits until it
  // accepts connections; sets port_.
  absl::Status Launch(const std::string& port_arg);

  const std::string binary_;
  const std::string dir_;
  // Empty for none.
  const std::string config_file_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_NATS_SERVER_H_
