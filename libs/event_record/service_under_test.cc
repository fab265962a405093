#include "libs/event_record/service_under_test.h"

#include <nats/nats.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace tocsin::event_record {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(30);

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordingServiceUnderTest>> RecordingServiceUnderTest::Start(
    const std::string& binary) {
  std::unique_ptr<RecordingServiceUnderTest> s(
      new RecordingServiceUnderTest(binary, testing::MakeTempDir("recording-service")));
  ASSIGN_OR_RETURN(s->nats_, testing::NatsServer::Start());
  bus::JetStreamBusOptions bus_options;
  bus_options.url = s->nats_->url();
  bus_options.client_name = "test-publisher";
  bus_options.domains = {"incident"};
  ASSIGN_OR_RETURN(s->bus_, bus::JetStreamBus::Connect(bus_options));
  RETURN_IF_ERROR(s->StartService());
  RETURN_IF_ERROR(s->WaitReady());
  return s;
}

RecordingServiceUnderTest::~RecordingServiceUnderTest() {
  if (process_ != nullptr) (void)process_->Terminate(absl::Seconds(5));
}

std::string RecordingServiceUnderTest::grpc_address() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

absl::Status RecordingServiceUnderTest::Publish(const bus::Envelope& event) {
  return bus_->Publish(event);
}

absl::Status RecordingServiceUnderTest::PublishAgain(const bus::Envelope& event) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  const std::string subject = bus::SubjectFor(event.type());
  const std::string data = event.SerializeAsString();
  natsStatus status = natsConnection_ConnectTo(&nc, nats_->url().c_str());
  if (status == NATS_OK) status = natsConnection_JetStream(&js, nc, nullptr);
  if (status == NATS_OK) {
    status = js_Publish(nullptr, js, subject.c_str(), data.data(), static_cast<int>(data.size()),
                        nullptr, nullptr);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  if (status != NATS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot publish ", event.event_id(), ": ", natsStatus_GetText(status)));
  }
  return absl::OkStatus();
}

void RecordingServiceUnderTest::KillService() {
  if (process_ != nullptr) process_->Kill(SIGKILL);
}

absl::Status RecordingServiceUnderTest::StartService() {
  KillService();
  const std::string ports_file = dir_ + "/ports.json";
  std::remove(ports_file.c_str());
  ASSIGN_OR_RETURN(
      process_, testing::Process::Start(
                    testing::RunfilePath(binary_),
                    {"--grpc_listen=127.0.0.1:0", "--http_port=0", "--db=" + dir_ + "/service.db",
                     "--nats_url=" + nats_->url(), "--ports_file=" + ports_file},
                    {}, dir_ + "/service.log"));
  absl::Status started = testing::WaitFor(
      [&] { return std::ifstream(ports_file).good() || !process_->Running(); }, kStartTimeout);
  if (!started.ok() || !process_->Running()) {
    return absl::UnavailableError(absl::StrCat(binary_, " did not start; its log:\n", Log()));
  }
  auto ports = nlohmann::json::parse(Slurp(ports_file));
  grpc_port_ = ports["grpc"].get<int>();
  http_port_ = ports["http"].get<int>();
  return absl::OkStatus();
}

absl::Status RecordingServiceUnderTest::WaitReady() {
  absl::Status ready = testing::WaitFor(
      [&] {
        auto response = Readiness();
        return response.ok() && response->status == 200;
      },
      kStartTimeout, absl::Milliseconds(50));
  if (!ready.ok()) {
    return absl::UnavailableError(
        absl::StrCat(binary_, " did not become ready; its log:\n", Log()));
  }
  return absl::OkStatus();
}

absl::StatusOr<http::HttpClientResponse> RecordingServiceUnderTest::Readiness() {
  return Get("/readyz");
}

absl::StatusOr<http::HttpClientResponse> RecordingServiceUnderTest::Metrics() {
  return Get("/metrics");
}

absl::StatusOr<http::HttpClientResponse> RecordingServiceUnderTest::Get(const std::string& path) {
  http::HttpClientRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", http_port_, path);
  return http_.Send(request);
}

void RecordingServiceUnderTest::KillBus() { nats_->Kill(); }

absl::Status RecordingServiceUnderTest::RestartBus() { return nats_->Restart(); }

std::string RecordingServiceUnderTest::Log() const {
  return process_ == nullptr ? "" : process_->LogContents();
}

}  // namespace tocsin::event_record
