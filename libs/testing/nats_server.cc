#include "libs/testing/nats_server.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace tocsin::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(10);

absl::StatusOr<std::string> FindNatsServer() {
  if (const char* configured = getenv("NATS_SERVER"); configured != nullptr) {
    return std::string(configured);
  }
  std::vector<std::string> dirs;
  const char* path = getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "", ':', absl::SkipEmpty())) {
    dirs.emplace_back(dir);
  }
  dirs.insert(dirs.end(), {"/usr/bin", "/usr/sbin", "/usr/local/bin"});
  for (const std::string& dir : dirs) {
    std::string candidate = dir + "/nats-server";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      "nats-server not found in $NATS_SERVER, PATH, /usr/bin, /usr/sbin or "
      "/usr/local/bin (Debian: apt-get install nats-server)");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The client port from a ports file ({"nats":["nats://127.0.0.1:4222"]}),
// or 0 while the file is missing or incomplete.
int PortFromPortsFile(const std::string& path) {
  nlohmann::json ports =
      nlohmann::json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  if (!ports.is_object() || !ports["nats"].is_array() || ports["nats"].empty() ||
      !ports["nats"][0].is_string()) {
    return 0;
  }
  const std::string url = ports["nats"][0].get<std::string>();
  int port = 0;
  if (!absl::SimpleAtoi(url.substr(url.rfind(':') + 1), &port)) return 0;
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start(
    const NatsServerOptions& options) {
  absl::StatusOr<std::string> binary = FindNatsServer();
  if (!binary.ok()) return binary.status();
  const std::string dir = MakeTempDir("nats-server");
  std::string config_file;
  if (options.max_payload > 0) {
    config_file = dir + "/nats-server.conf";
    std::ofstream config(config_file);
    config << "max_payload: " << options.max_payload << "\n";
    if (!config.flush()) {
      return absl::InternalError(absl::StrCat("cannot write ", config_file));
    }
  }
  auto server = std::unique_ptr<NatsServer>(
      new NatsServer(*binary, dir, std::move(config_file)));
  absl::Status launched = server->Launch("-1");
  if (!launched.ok()) return launched;
  return server;
}

std::string NatsServer::url() const {
  return absl::StrCat("nats://127.0.0.1:", port_);
}

void NatsServer::Kill() { process_.reset(); }

void NatsServer::Stop() {
  if (process_ == nullptr) return;
  (void)process_->Terminate(absl::Seconds(10));
  process_.reset();
}

bool NatsServer::running() const { return process_ != nullptr && process_->Running(); }

absl::Status NatsServer::Restart() {
  Kill();
  return Launch(absl::StrCat(port_));
}

std::string NatsServer::Log() const {
  return ReadFile(dir_ + "/nats-server.log");
}

absl::Status NatsServer::Launch(const std::string& port_arg) {
  std::vector<std::string> args = {"-a", "127.0.0.1", "-p", port_arg,
                                   "--ports_file_dir", dir_, "-js",
                                   "-sd", dir_ + "/js"};
  if (!config_file_.empty()) args.insert(args.end(), {"-c", config_file_});
  absl::StatusOr<std::unique_ptr<Process>> process =
      Process::Start(binary_, args, {}, dir_ + "/nats-server.log");
  if (!process.ok()) return process.status();
  process_ = *std::move(process);

  // nats-server names the file after its binary and pid.
  const std::string ports_file =
      absl::StrCat(dir_, "/", binary_.substr(binary_.rfind('/') + 1), "_",
                   process_->pid(), ".ports");
  int port = 0;
  absl::Status found = WaitFor(
      [&] {
        port = PortFromPortsFile(ports_file);
        return port != 0 || !process_->Running();
      },
      kStartTimeout);
  if (!found.ok() || port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "nats-server did not report its port in ", ports_file,
        "; its log:\n", Log()));
  }
  port_ = port;
  absl::Status ready = WaitForTcp("127.0.0.1", port_, kStartTimeout);
  if (!ready.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "nats-server on port ", port_, ": ", ready.message(), "; its log:\n",
        Log()));
  }
  return absl::OkStatus();
}

}  // namespace tocsin::testing
