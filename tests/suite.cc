#include "tests/suite.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/grpc/status.h"
#include "libs/status/status_macros.h"
#include "libs/testing/ports.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/gateway/api_keys.h"

namespace tocsin::e2e {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return c;
}

}  // namespace

std::string ReadFixture(const std::string& relative) {
  return Slurp(testing::RunfilePath("testdata/fixtures/" + relative));
}

absl::StatusOr<std::unique_ptr<BusObserver>> BusObserver::Start(const std::string& nats_url,
                                                                const std::string& name,
                                                                std::vector<std::string> types) {
  std::unique_ptr<BusObserver> o(new BusObserver());
  bus::JetStreamBusOptions options;
  options.url = nats_url;
  options.client_name = "e2e-observer-" + name;
  options.domains = {"incident", "timeline"};
  ASSIGN_OR_RETURN(o->bus_, bus::JetStreamBus::Connect(options));
  bus::ConsumerOptions consumer;
  consumer.durable_name = "e2e-" + name;
  consumer.types = std::move(types);
  BusObserver* raw = o.get();
  ASSIGN_OR_RETURN(o->subscription_,
                   o->bus_->Subscribe(consumer, [raw](const bus::Envelope& e) {
                     absl::MutexLock l(&raw->mu_);
                     raw->received_.push_back(e);
                     return absl::OkStatus();
                   }));
  return o;
}

std::vector<bus::Envelope> BusObserver::Received() const {
  absl::MutexLock l(&mu_);
  return received_;
}

int BusObserver::Count(const std::string& type) const {
  absl::MutexLock l(&mu_);
  int n = 0;
  for (const auto& e : received_) n += e.type() == type;
  return n;
}

absl::Status BusObserver::WaitForCount(const std::string& type, int n,
                                       absl::Duration timeout) const {
  absl::Status s = testing::WaitFor([&] { return Count(type) >= n; }, timeout);
  if (!s.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("saw ", Count(type), " ", type,
                                                    " events, waited for ", n));
  }
  return s;
}

absl::StatusOr<std::unique_ptr<testing::Process>> Suite::StartService(
    const std::string& name, const std::string& binary, std::vector<std::string> args,
    int* grpc_port, int* http_port) {
  const std::string ports_file = absl::StrCat(dir_, "/", name, ".ports");
  std::remove(ports_file.c_str());
  args.push_back("--ports_file=" + ports_file);
  ASSIGN_OR_RETURN(auto process,
                   testing::Process::Start(testing::RunfilePath(binary), args, {},
                                           absl::StrCat(dir_, "/", name, ".", restarts_, ".log")));
  absl::Status ready = testing::WaitFor(
      [&] {
        std::ifstream in(ports_file);
        return in.good() || !process->Running();
      },
      absl::Seconds(30));
  if (!ready.ok() || !process->Running()) {
    return absl::UnavailableError(
        absl::StrCat(name, " did not become ready; its log:\n", process->LogContents()));
  }
  auto j = nlohmann::json::parse(Slurp(ports_file));
  if (grpc_port != nullptr) *grpc_port = j["grpc"].get<int>();
  if (http_port != nullptr) *http_port = j["http"].get<int>();
  return process;
}

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start() {
  std::unique_ptr<Suite> s(new Suite());
  s->dir_ = testing::MakeTempDir("suite");
  ASSIGN_OR_RETURN(s->nats_, testing::NatsServer::Start());
  s->nats_url_ = s->nats_->url();
  RETURN_IF_ERROR(s->StartIncidents());

  s->api_key_ = gateway::GenerateApiKey();
  const std::string keys = s->dir_ + "/api-keys";
  std::ofstream(keys) << "# test keys\ne2e " << gateway::HashApiKey(s->api_key_) << "\n";
  ASSIGN_OR_RETURN(s->gateway_,
                   s->StartService("gateway", "services/gateway/gateway",
                                   {"--port=0", "--api_keys_file=" + keys,
                                    "--incidents_addr=" + s->incidents_addr_},
                                   nullptr, &s->gateway_port_));
  auto channel = grpc::CreateChannel(s->incidents_addr_, grpc::InsecureChannelCredentials());
  s->incident_stub_ = incidents::v1::IncidentService::NewStub(channel);
  s->plan_stub_ = incidents::v1::ResponsePlanService::NewStub(channel);
  return s;
}

absl::Status Suite::StartIncidents() {
  std::vector<std::string> args = {"--db=" + dir_ + "/incidents.db", "--nats_url=" + nats_url_,
                                   "--http_port=0"};
  // The first start picks a port; restarts keep it so clients reconnect.
  args.push_back(incidents_grpc_port_ == 0
                     ? "--grpc_listen=127.0.0.1:0"
                     : absl::StrCat("--grpc_listen=127.0.0.1:", incidents_grpc_port_));
  ++restarts_;
  ASSIGN_OR_RETURN(incidents_, StartService("incidents", "services/incidents/incidents", args,
                                            &incidents_grpc_port_, nullptr));
  incidents_addr_ = absl::StrCat("127.0.0.1:", incidents_grpc_port_);
  return absl::OkStatus();
}

void Suite::KillIncidents() {
  if (incidents_ != nullptr) incidents_->Kill(SIGKILL);
  (void)incidents_->Wait(absl::Seconds(10));
}

Suite::~Suite() {
  if (gateway_) (void)gateway_->Terminate(absl::Seconds(5));
  if (incidents_) (void)incidents_->Terminate(absl::Seconds(5));
}

std::string Suite::gateway_url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", gateway_port_, path);
}

absl::StatusOr<http::HttpClientResponse> Suite::PostEventBridge(const std::string& body) {
  return http_.Send({.method = "POST",
                     .url = gateway_url("/v1/events/eventbridge"),
                     .body = body,
                     .headers = {{"Content-Type", "application/json"},
                                 {"x-api-key", api_key_}}});
}

absl::Status Suite::CreatePlan(const incidents::v1::ResponsePlan& plan) {
  incidents::v1::CreateResponsePlanRequest req;
  *req.mutable_plan() = plan;
  incidents::v1::ResponsePlan out;
  return FromGrpcStatus(plan_stub_->CreateResponsePlan(Context().get(), req, &out));
}

absl::StatusOr<std::vector<incidents::v1::Incident>> Suite::ListIncidents() {
  std::vector<incidents::v1::Incident> all;
  incidents::v1::ListIncidentsRequest req;
  req.set_page_size(1000);
  while (true) {
    incidents::v1::ListIncidentsResponse resp;
    RETURN_IF_ERROR(FromGrpcStatus(incident_stub_->ListIncidents(Context().get(), req, &resp)));
    for (const auto& i : resp.incidents()) all.push_back(i);
    if (resp.next_page_token().empty()) return all;
    req.set_page_token(resp.next_page_token());
  }
}

absl::StatusOr<std::vector<incidents::v1::TimelineEvent>> Suite::Timeline(const std::string& id) {
  incidents::v1::ListTimelineEventsRequest req;
  req.set_incident_id(id);
  req.set_page_size(1000);
  incidents::v1::ListTimelineEventsResponse resp;
  RETURN_IF_ERROR(FromGrpcStatus(incident_stub_->ListTimelineEvents(Context().get(), req, &resp)));
  return std::vector<incidents::v1::TimelineEvent>(resp.events().begin(), resp.events().end());
}

std::string Suite::Logs() const {
  std::string out;
  if (incidents_) absl::StrAppend(&out, "--- incidents ---\n", incidents_->LogContents());
  if (gateway_) absl::StrAppend(&out, "--- gateway ---\n", gateway_->LogContents());
  return out;
}

}  // namespace tocsin::e2e
