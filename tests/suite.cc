#include "tests/suite.h"

#include <sys/wait.h>

#include <chrono>
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

std::shared_ptr<grpc::Channel> QuickChannel(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Not shared with other channels to addr, which may be in a long backoff.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

std::string ReadFixture(const std::string& relative) {
  return Slurp(testing::RunfilePath("testdata/fixtures/" + relative));
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return c;
}

std::string AlarmEvent(const std::string& id) {
  auto j = nlohmann::json::parse(ReadFixture("eventbridge/single-metric-alarm.json"));
  j["id"] = id;
  return j.dump();
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

absl::Status Suite::Launch(const std::string& name, const std::string& binary,
                          std::vector<std::string> args, Service& service) {
  const std::string ports_file = absl::StrCat(dir_, "/", name, ".ports");
  std::remove(ports_file.c_str());
  args.push_back("--ports_file=" + ports_file);
  if (auto extra = options_.flags.find(name); extra != options_.flags.end()) {
    args.insert(args.end(), extra->second.begin(), extra->second.end());
  }
  std::map<std::string, std::string> env;
  if (auto extra = options_.env.find(name); extra != options_.env.end()) env = extra->second;
  ++service.starts;
  ASSIGN_OR_RETURN(service.process,
                   testing::Process::Start(testing::RunfilePath(binary), args, env,
                                           absl::StrCat(dir_, "/", name, ".", service.starts,
                                                        ".log")));
  testing::Process& process = *service.process;
  absl::Status ready = testing::WaitFor(
      [&] {
        std::ifstream in(ports_file);
        return in.good() || !process.Running();
      },
      absl::Seconds(30));
  if (!ready.ok() || !process.Running()) {
    return absl::UnavailableError(
        absl::StrCat(name, " did not become ready; its log:\n", process.LogContents()));
  }
  auto j = nlohmann::json::parse(Slurp(ports_file));
  service.grpc_port = j["grpc"].get<int>();
  service.http_port = j["http"].get<int>();
  return absl::OkStatus();
}

// Binaries and their own flags; every service also gets --db, --nats_url,
// --grpc_listen and --http_port.
const std::map<std::string, std::string>& ServiceBinaries() {
  static const auto* binaries = new std::map<std::string, std::string>{
      {"gateway", "services/gateway/gateway"},
      {"incidents", "services/incidents/incidents"},
      {"escalation", "services/escalation/escalation"},
      {"paging", "services/paging/paging"},
      {"runbook", "services/runbook/runbook"},
      {"postmortem", "services/postmortem/postmortem"},
  };
  return *binaries;
}

absl::Status Suite::StartService(const std::string& name) {
  auto binary = ServiceBinaries().find(name);
  if (binary == ServiceBinaries().end()) {
    return absl::InvalidArgumentError(absl::StrCat("no service named ", name));
  }
  Service& service = services_[name];
  if (name == "gateway") {
    // The first start picks a port; restarts keep it so senders reconnect.
    RETURN_IF_ERROR(Launch(name, binary->second,
                           {absl::StrCat("--port=", service.http_port),
                            "--api_keys_file=" + api_keys_file_,
                            "--incidents_addr=" + incidents_addr_},
                           service));
    gateway_port_ = service.http_port;
    return absl::OkStatus();
  }
  std::vector<std::string> args = {"--db=" + db_path(name), "--nats_url=" + nats_url_};
  // The first start picks a port; restarts keep it so clients reconnect.
  args.push_back(absl::StrCat("--grpc_listen=127.0.0.1:", service.grpc_port));
  if (name == "paging") {
    // Ack links point at the paging service's own HTTP port, so it is
    // chosen before the first start and kept.
    if (service.http_port == 0) {
      ASSIGN_OR_RETURN(service.http_port, testing::PickUnusedPort());
    }
    args.push_back(absl::StrCat("--http_port=", service.http_port));
    args.push_back("--smtp_url=" + options_.smtp_url);
    args.push_back(absl::StrCat("--public_url=http://127.0.0.1:", service.http_port));
    // A crash mid-delivery is retried after the lease; keep tests quick. The
    // lease must outlast the notifier timeouts (checked at start-up).
    args.push_back("--delivery_lease_seconds=6");
    args.push_back("--smtp_timeout_seconds=5");
    args.push_back("--webhook_timeout_seconds=5");
    args.push_back("--chat_lease_seconds=6");
    args.push_back("--chat_timeout_seconds=5");
    // The Slack Resolve button resolves through the incidents service.
    args.push_back("--incidents_address=" + incidents_addr_);
  } else {
    args.push_back("--http_port=0");
  }
  if (name == "runbook" || name == "postmortem") {
    // Incident fields and tocsin:updateIncident (runbook), the incident's
    // facts for its analysis (postmortem) come from the incidents API.
    args.push_back("--incidents_address=" + incidents_addr_);
  }
  if (name == "escalation") {
    args.push_back(std::string("--channel_activation=") +
                   (options_.channel_activation ? "required" : "off"));
  }
  RETURN_IF_ERROR(Launch(name, binary->second, args, service));
  if (name == "incidents") incidents_addr_ = grpc_addr("incidents");
  return absl::OkStatus();
}

void Suite::KillService(const std::string& name) {
  auto it = services_.find(name);
  if (it == services_.end() || it->second.process == nullptr) return;
  it->second.process->Kill(SIGKILL);
  (void)it->second.process->Wait(absl::Seconds(10));
}

int Suite::Pid(const std::string& name) const {
  auto it = services_.find(name);
  return it == services_.end() || it->second.process == nullptr ? 0
                                                                 : it->second.process->pid();
}

bool Suite::Running(const std::string& name) {
  auto it = services_.find(name);
  return it != services_.end() && it->second.process != nullptr && it->second.process->Running();
}

std::string Suite::db_path(const std::string& service) const {
  return service == "gateway" ? "" : absl::StrCat(dir_, "/", service, ".db");
}

int Suite::http_port(const std::string& service) const {
  auto it = services_.find(service);
  return it == services_.end() ? 0 : it->second.http_port;
}

std::string Suite::paging_url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", http_port("paging"), path);
}

absl::StatusOr<std::vector<admin::v1::DeadLetter>> Suite::DeadLetters(const std::string& service) {
  const std::string addr = grpc_addr(service);
  if (addr.empty() || service == "gateway") {
    return absl::InvalidArgumentError(absl::StrCat("no service with gRPC named ", service));
  }
  auto stub = admin::v1::AdminService::NewStub(QuickChannel(addr));
  admin::v1::ListDeadLettersRequest req;
  req.set_include_replayed(true);
  req.set_limit(1000);
  admin::v1::ListDeadLettersResponse resp;
  RETURN_IF_ERROR(FromGrpcStatus(stub->ListDeadLetters(Context().get(), req, &resp)));
  return std::vector<admin::v1::DeadLetter>(resp.dead_letters().begin(),
                                            resp.dead_letters().end());
}

std::vector<std::string> Suite::Services() const {
  std::vector<std::string> names;
  for (const auto& [name, service] : services_) names.push_back(name);
  return names;
}

std::string Suite::grpc_addr(const std::string& service) const {
  auto it = services_.find(service);
  return it == services_.end() ? "" : absl::StrCat("127.0.0.1:", it->second.grpc_port);
}

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start(SuiteOptions options) {
  std::unique_ptr<Suite> s(new Suite());
  s->options_ = options;
  s->dir_ = testing::MakeTempDir("suite");
  ASSIGN_OR_RETURN(s->nats_, testing::NatsServer::Start());
  s->nats_url_ = s->nats_->url();
  std::vector<std::string> names = {"incidents"};
  if (options.paging_path) {
    names.insert(names.end(), {"escalation", "paging", "runbook", "postmortem"});
  }
  for (const std::string& name : names) RETURN_IF_ERROR(s->StartService(name));

  s->api_key_ = gateway::GenerateApiKey();
  s->api_keys_file_ = s->dir_ + "/api-keys";
  std::ofstream(s->api_keys_file_) << "# test keys\ne2e " << gateway::HashApiKey(s->api_key_)
                                   << "\n";
  RETURN_IF_ERROR(s->StartService("gateway"));
  auto channel = [&](const std::string& name) { return QuickChannel(s->grpc_addr(name)); };
  s->incident_stub_ = incidents::v1::IncidentService::NewStub(channel("incidents"));
  s->plan_stub_ = incidents::v1::ResponsePlanService::NewStub(channel("incidents"));
  if (options.paging_path) {
    s->contact_stub_ = escalation::v1::ContactService::NewStub(channel("escalation"));
    s->engagement_stub_ = escalation::v1::EngagementService::NewStub(channel("escalation"));
    s->rotation_stub_ = escalation::v1::RotationService::NewStub(channel("escalation"));
    s->paging_stub_ = paging::v1::PagingService::NewStub(channel("paging"));
    s->chat_stub_ = paging::v1::ChatService::NewStub(channel("paging"));
    s->runbook_stub_ = runbook::v1::RunbookService::NewStub(channel("runbook"));
    s->postmortem_stub_ = postmortem::v1::PostmortemService::NewStub(channel("postmortem"));
  }
  return s;
}

absl::StatusOr<CliResult> Suite::RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--server=" + grpc_addr("incidents")};
  if (options_.paging_path) {
    all.push_back("--escalation=" + grpc_addr("escalation"));
    all.push_back("--paging=" + grpc_addr("paging"));
    all.push_back("--runbook=" + grpc_addr("runbook"));
    all.push_back("--postmortem=" + grpc_addr("postmortem"));
  }
  all.push_back("--author=e2e");
  all.insert(all.end(), args.begin(), args.end());
  const std::string log = absl::StrCat(dir_, "/cli.", ++cli_runs_, ".log");
  ASSIGN_OR_RETURN(auto process,
                   testing::Process::Start(testing::RunfilePath("tools/cli/tocsin"), all, {}, log));
  CliResult result;
  ASSIGN_OR_RETURN(int wait_status, process->Wait(absl::Seconds(30)));
  result.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  result.output = process->LogContents();
  return result;
}

Suite::~Suite() {
  // The edge first, so nothing new comes in while the services stop; then
  // every service at once (each finishes its in-flight work), and SIGKILL
  // for any that has not exited after a grace period.
  auto stop = [](testing::Process* p) {
    if (p == nullptr) return;
    p->Kill(SIGTERM);
    if (!p->Wait(absl::Seconds(5)).ok()) p->Kill(SIGKILL);
  };
  if (services_.count("gateway")) stop(services_["gateway"].process.get());
  for (auto& [name, service] : services_) {
    if (service.process != nullptr && service.process->Running()) service.process->Kill(SIGTERM);
  }
  for (auto& [name, service] : services_) stop(service.process.get());
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
  std::vector<incidents::v1::TimelineEvent> out;
  incidents::v1::ListTimelineEventsRequest req;
  req.set_incident_id(id);
  req.set_page_size(1000);
  while (true) {
    incidents::v1::ListTimelineEventsResponse resp;
    RETURN_IF_ERROR(
        FromGrpcStatus(incident_stub_->ListTimelineEvents(Context().get(), req, &resp)));
    out.insert(out.end(), resp.events().begin(), resp.events().end());
    if (resp.next_page_token().empty()) return out;
    req.set_page_token(resp.next_page_token());
  }
}

std::string Suite::Logs() const {
  std::string out;
  for (const auto& [name, service] : services_) {
    if (service.process) absl::StrAppend(&out, "--- ", name, " ---\n", service.process->LogContents());
  }
  return out;
}

}  // namespace tocsin::e2e
