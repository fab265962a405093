#include "libs/service/host.h"

#include <chrono>
#include <iostream>
#include <utility>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/bus/new_event.h"
#include "libs/config/config.h"
#include "libs/grpc/status.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/service/consumers.h"
#include "libs/service/flags.h"
#include "libs/service/runtime.h"
#include "libs/status/status_macros.h"
#include "libs/store/dead_letters.h"
#include "libs/store/inbox.h"
#include "libs/store/outbox.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "tocsin/admin/v1/admin.grpc.pb.h"

namespace tocsin::service {
namespace {

constexpr char kDeadLetteredType[] = "system.dead_lettered";
constexpr char kConsumerSourcePrefix[] = "consumer:";
constexpr char kOutboxSource[] = "outbox";
// The domain of the host's own events (system.dead_lettered).
constexpr char kSystemDomain[] = "system";
// /readyz fails when the oldest unpublished event is older than this.
constexpr absl::Duration kRelayStuckAfter = absl::Minutes(2);
constexpr absl::Duration kPruneEvery = absl::Hours(1);
constexpr absl::Duration kSubscribeEvery = absl::Milliseconds(250);

admin::v1::DeadLetter ToProto(const std::string& service, const store::DeadLetterRecord& r) {
  admin::v1::DeadLetter out;
  out.set_id(r.id);
  out.set_service(service);
  out.set_source(r.source);
  out.set_event_id(r.event_id);
  out.set_event_type(r.type);
  out.set_incident_id(r.incident_id);
  out.set_error(r.error);
  out.set_attempts(r.attempts);
  *out.mutable_create_time() = ToProtoTime(r.create_time);
  if (r.replay_time.has_value()) *out.mutable_replay_time() = ToProtoTime(*r.replay_time);
  out.set_subject(r.subject);
  out.set_size_bytes(static_cast<int64_t>(r.data.size()));
  return out;
}

}  // namespace

// ------------------------------------------------------------- metrics

// The host's own figures: every consumer's messages, dead letters, the
// relay, the store and pruning.
class ServiceHost::Metrics : public store::DatabaseObserver {
 public:
  explicit Metrics(prometheus::Registry& registry)
      : messages_(prometheus::BuildCounter()
                      .Name("tocsin_consumer_messages_total")
                      .Help("Messages a consumer handled, by consumer and outcome (applied, "
                            "skipped, retry_transient, retry_permanent, dead_lettered).")
                      .Register(registry)),
        redelivered_(prometheus::BuildCounter()
                         .Name("tocsin_consumer_redeliveries_total")
                         .Help("Messages handled that had been delivered before, by consumer.")
                         .Register(registry)),
        dead_lettered_(prometheus::BuildCounter()
                           .Name("tocsin_dead_letters_recorded_total")
                           .Help("Dead letters set aside, by source (consumer:<name>, outbox).")
                           .Register(registry)),
        pruned_(prometheus::BuildCounter()
                    .Name("tocsin_pruned_rows_total")
                    .Help("Rows removed by retention pruning, by what they were.")
                    .Register(registry)),
        commit_seconds_(prometheus::BuildHistogram()
                            .Name("tocsin_store_commit_seconds")
                            .Help("Time of each database commit (a group of writers).")
                            .Register(registry)
                            .Add({}, metrics::LatencyBuckets())),
        busy_(prometheus::BuildCounter()
                  .Name("tocsin_store_busy_total")
                  .Help("Database statements or commits that found the database busy or "
                        "locked (retried, never counted as failures).")
                  .Register(registry)
                  .Add({})),
        rollbacks_(prometheus::BuildCounter()
                       .Name("tocsin_store_rollbacks_total")
                       .Help("Transactions rolled back.")
                       .Register(registry)
                       .Add({})) {}

  void Outcome(const std::string& consumer, const bus::Delivery& delivery) {
    const char* outcome = "applied";
    switch (delivery.outcome) {
      case bus::Delivery::Outcome::kApplied:
        outcome = "applied";
        break;
      case bus::Delivery::Outcome::kSkipped:
        outcome = "skipped";
        break;
      case bus::Delivery::Outcome::kRetryTransient:
        outcome = "retry_transient";
        break;
      case bus::Delivery::Outcome::kRetryPermanent:
        outcome = "retry_permanent";
        break;
      case bus::Delivery::Outcome::kDeadLettered:
        outcome = "dead_lettered";
        break;
    }
    messages_.Add({{"consumer", consumer}, {"outcome", outcome}}).Increment();
    if (delivery.deliveries > 1) redelivered_.Add({{"consumer", consumer}}).Increment();
  }
  void DeadLettered(const std::string& source) {
    dead_lettered_.Add({{"source", source}}).Increment();
  }
  void Pruned(const std::string& what, int64_t rows) {
    pruned_.Add({{"what", what}}).Increment(static_cast<double>(rows));
  }

  void OnCommit(absl::Duration took, int /*bodies*/) override {
    commit_seconds_.Observe(absl::ToDoubleSeconds(took));
  }
  void OnBusy() override { busy_.Increment(); }
  void OnRollback() override { rollbacks_.Increment(); }

 private:
  prometheus::Family<prometheus::Counter>& messages_;
  prometheus::Family<prometheus::Counter>& redelivered_;
  prometheus::Family<prometheus::Counter>& dead_lettered_;
  prometheus::Family<prometheus::Counter>& pruned_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Counter& busy_;
  prometheus::Counter& rollbacks_;
};

// ------------------------------------------------------------- admin API

class ServiceHost::AdminServiceImpl final : public admin::v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(ServiceHost* host) : host_(host) {}

  grpc::Status ListDeadLetters(grpc::ServerContext*, const admin::v1::ListDeadLettersRequest* req,
                               admin::v1::ListDeadLettersResponse* resp) override {
    int limit = req->limit() <= 0 ? 100 : std::min(req->limit(), 1000);
    auto records = host_->ListDeadLetters(req->include_replayed(), limit);
    if (!records.ok()) return ToGrpcStatus(records.status());
    for (const auto& r : *records) *resp->add_dead_letters() = ToProto(host_->name(), r);
    return grpc::Status::OK;
  }

  grpc::Status ReplayDeadLetter(grpc::ServerContext*, const admin::v1::ReplayDeadLetterRequest* req,
                                admin::v1::ReplayDeadLetterResponse* resp) override {
    auto record = host_->ReplayDeadLetter(req->id());
    if (!record.ok()) return ToGrpcStatus(record.status());
    *resp->mutable_dead_letter() = ToProto(host_->name(), *record);
    return grpc::Status::OK;
  }

 private:
  ServiceHost* const host_;
};

// ------------------------------------------------------------- life

ServiceHost::ServiceHost(ServiceSpec spec, Settings settings)
    : spec_(std::move(spec)), settings_(std::move(settings)) {}

ServiceHost::~ServiceHost() { Shutdown(); }

int ServiceHost::Main(int argc, char** argv, ServiceSpec spec, Wiring wiring) {
  absl::SetProgramUsageMessage(spec.usage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::cerr << spec.name << ": unexpected argument \"" << args[1] << "\"; see --help\n";
    return 2;
  }
  log::Init(spec.name, LogLevelFlag());
  auto fail = [](absl::string_view what, const absl::Status& s) {
    log::Error(what, {{"error", s.ToString()}});
    return 1;
  };
  // Flag defaults (EnvOrInt(...)) are evaluated on first use: evaluate them
  // all now, so a malformed TOCSIN_* value is found before anything starts.
  for (const auto& [name, flag] : absl::GetAllFlags()) (void)flag->CurrentValue();
  if (absl::Status env = config::CheckEnvironment(); !env.ok()) {
    return fail("cannot start: invalid configuration", env);
  }
  absl::StatusOr<ResolvedFlags> flags =
      ResolveServiceFlags(spec.name, spec.grpc_port, spec.http_port, spec.default_db);
  if (!flags.ok()) return fail("cannot start: invalid flags", flags.status());
  Settings settings;
  settings.grpc_listen = spec.grpc_port > 0 ? flags->grpc_listen : "";
  settings.http_host = flags->http_host;
  settings.http_port = flags->http_port;
  settings.db = flags->db;
  settings.retention = flags->retention;
  settings.nats_url = NatsUrlFlag();
  settings.nats_credentials_file = NatsCredentialsFileFlag();
  settings.ports_file = PortsFileFlag();

  // Before any thread starts, so every thread inherits the blocked mask and
  // the signals reach WaitForShutdownSignal().
  BlockShutdownSignals();
  absl::StatusOr<std::unique_ptr<ServiceHost>> host =
      Start(std::move(spec), std::move(settings), wiring);
  if (!host.ok()) return fail("cannot start", host.status());
  const std::string sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  (*host)->Shutdown();
  log::Info("stopped");
  return 0;
}

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(ServiceSpec spec,
                                                                Settings settings,
                                                                const Wiring& wiring) {
  std::unique_ptr<ServiceHost> host(new ServiceHost(std::move(spec), std::move(settings)));
  absl::Status started = host->StartAll(wiring);
  if (!started.ok()) {
    host->Shutdown();
    return started;
  }
  return host;
}

absl::Status ServiceHost::StartAll(const Wiring& wiring) {
  clock_ = settings_.clock != nullptr ? settings_.clock : RealClock::Get();
  ids_ = std::make_unique<RandomIdGenerator>(clock_);
  registry_ = std::make_shared<prometheus::Registry>();
  gauges_ = std::make_shared<metrics::CallbackGauges>();
  metrics::RegisterBuildInfo(*registry_, spec_.name);
  metrics_ = std::make_unique<Metrics>(*registry_);

  if (settings_.bus != nullptr) {
    bus_ = settings_.bus;
    bus_ready_ = [] { return absl::OkStatus(); };
  } else if (!spec_.domains.empty()) {
    std::vector<std::string> domains = spec_.domains;
    domains.push_back(kSystemDomain);
    bus::JetStreamBusOptions options;
    options.url = settings_.nats_url;
    options.credentials_file = settings_.nats_credentials_file;
    options.client_name = absl::StrCat("tocsin-", spec_.name);
    options.domains = std::move(domains);
    auto lazy = std::make_unique<LazyJetStreamBus>(options);
    if (absl::Status s = lazy->Connect(); !s.ok()) {
      log::Warn("bus not reachable yet; work is still accepted and its events wait in the outbox",
                {{"error", s.ToString()}});
    }
    LazyJetStreamBus* raw = lazy.get();
    bus_ready_ = [raw] { return raw->Ready(); };
    bus_ = raw;
    own_bus_ = std::move(lazy);
  }

  http::HttpServerOptions http_options;
  http_options.host = settings_.http_host;
  http_options.port = settings_.http_port;
  if (spec_.http_options) spec_.http_options(http_options);
  ASSIGN_OR_RETURN(http_, http::HttpServer::Start(http_options));

  RETURN_IF_ERROR(wiring(*this));
  started_ = true;

  if (db_ != nullptr && bus_ != nullptr) {
    store::OutboxRelayOptions relay_options;
    relay_options.max_backoff = absl::Seconds(2);
    relay_options.dead_letter_prefix = spec_.name;
    relay_options.on_dead_letter = [this](store::Database&,
                                          const store::DeadLetterRecord& record) {
      metrics_->DeadLettered(kOutboxSource);
      log::Error("event set aside: the bus refused it for good; see tocsin deadletters list",
                 {{"dead_letter", record.id},
                  {"event_id", record.event_id},
                  {"type", record.type},
                  {"incident_id", record.incident_id},
                  {"error", record.error}});
      return AnnounceDeadLetter(record);
    };
    ASSIGN_OR_RETURN(relay_, store::OutboxRelay::Start(db_, bus_, clock_, relay_options));
    relay_->Notify();  // what a previous run committed but did not publish
    store::OutboxRelay* relay = relay_.get();
    checks_.push_back({"outbox", [relay] { return relay->Healthy(kRelayStuckAfter); }});
    gauges_->Add("tocsin_outbox_pending", "Events committed but not yet published.", {},
                 [relay]() -> absl::StatusOr<double> {
                   ASSIGN_OR_RETURN(store::OutboxStats s, relay->Stats());
                   return static_cast<double>(s.pending);
                 });
    gauges_->Add("tocsin_outbox_oldest_pending_age_seconds",
                 "Age of the oldest event not yet published (0 when none waits): the relay's lag.",
                 {}, [relay]() -> absl::StatusOr<double> {
                   ASSIGN_OR_RETURN(store::OutboxStats s, relay->Stats());
                   return absl::ToDoubleSeconds(s.oldest_pending_age);
                 });
    gauges_->AddCounter("tocsin_outbox_published_total", "Events published since start.", {},
                        [relay]() -> absl::StatusOr<double> {
                          ASSIGN_OR_RETURN(store::OutboxStats s, relay->Stats());
                          return static_cast<double>(s.published_total);
                        });
    gauges_->AddCounter("tocsin_outbox_publish_failures_total",
                        "Publish attempts that failed (retried or set aside) since start.", {},
                        [relay]() -> absl::StatusOr<double> {
                          ASSIGN_OR_RETURN(store::OutboxStats s, relay->Stats());
                          return static_cast<double>(s.publish_failures_total);
                        });
  }

  if (!consumers_.empty()) {
    consumer_set_ = std::make_unique<ConsumerSet>(bus_);
    for (Consumer& c : consumers_) consumer_set_->Add(c.options, c.handler);
    ConsumerSet* set = consumer_set_.get();
    checks_.push_back({"consumers", [set] { return set->Ready(); }});
    Ticker* subscriber = AddTicker("subscribe", kSubscribeEvery, [set] {
      set->Tick();
      return absl::OkStatus();
    });
    subscriber->Wake();
  }
  if (db_ != nullptr) {
    AddTicker("prune", kPruneEvery, [this] { return PruneNow(); });
  }

  if (!settings_.grpc_listen.empty()) {
    admin_service_ = std::make_unique<AdminServiceImpl>(this);
    std::vector<grpc::Service*> services = grpc_services_;
    services.push_back(admin_service_.get());
    ASSIGN_OR_RETURN(GrpcServer grpc, StartGrpcServer(settings_.grpc_listen, services));
    grpc_server_ = std::move(grpc.server);
    grpc_port_ = grpc.port;
  }

  std::vector<metrics::ReadinessCheck> checks;
  if (bus_ready_) checks.push_back({"bus", bus_ready_});
  checks.insert(checks.end(), checks_.begin(), checks_.end());
  metrics::RegisterAdminEndpoints(
      *http_, {registry_, std::make_shared<metrics::ProcessCollector>(), gauges_},
      std::move(checks), details_);

  return AnnounceReady(settings_.ports_file, spec_.name, grpc_port_, http_->port(),
                       settings_.db);
}

void ServiceHost::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  consumer_set_.reset();
  while (!tickers_.empty()) tickers_.pop_back();
  if (started_) {
    for (const auto& fn : on_shutdown_) fn();
  }
  if (relay_ != nullptr) relay_->Stop();
  http_.reset();
  relay_.reset();
  grpc_server_.reset();
  while (!owned_.empty()) owned_.pop_back();
  own_bus_.reset();
}

// ------------------------------------------------------------- wiring API

bus::EventBus* ServiceHost::bus() { return bus_; }

int ServiceHost::http_port() const { return http_ != nullptr ? http_->port() : 0; }

absl::Status ServiceHost::UseDatabase(store::Database* db) {
  if (db_ != nullptr) return absl::FailedPreconditionError("UseDatabase() was called before");
  if (!consumers_.empty()) {
    return absl::FailedPreconditionError("UseDatabase() must come before AddConsumer()");
  }
  db_ = db;
  db_->SetObserver(metrics_.get());
  checks_.push_back({"database", [db] { return db->Ping(); }});
  details_.push_back({"deadLetters", [db]() -> std::string {
                        absl::StatusOr<int64_t> n = store::CountDeadLetters(*db);
                        if (!n.ok() || *n == 0) return "";
                        return absl::StrCat(*n, " not replayed (tocsin deadletters list)");
                      }});
  gauges_->Add("tocsin_dead_letters", "Dead letters not replayed yet.", {},
               [db]() -> absl::StatusOr<double> {
                 ASSIGN_OR_RETURN(int64_t n, store::CountDeadLetters(*db));
                 return static_cast<double>(n);
               });
  gauges_->AddFamily("tocsin_store_rows", "Rows in each table of the service's database.",
                     [db]() -> absl::StatusOr<std::vector<std::pair<metrics::CallbackGauges::Labels,
                                                                    double>>> {
                       ASSIGN_OR_RETURN(auto sizes, store::TableSizes(*db));
                       std::vector<std::pair<metrics::CallbackGauges::Labels, double>> out;
                       for (const auto& [table, rows] : sizes) {
                         out.push_back({{{"table", table}}, static_cast<double>(rows)});
                       }
                       return out;
                     });
  return absl::OkStatus();
}

void ServiceHost::AddConsumer(bus::ConsumerOptions options, bus::Handler handler) {
  const std::string consumer = options.durable_name;
  options.on_outcome = [this, consumer](const bus::Delivery& d) { metrics_->Outcome(consumer, d); };
  if (db_ != nullptr) {
    options.dead_letter = [this](const bus::DeadLetter& d) { return RecordDeadLetter(d); };
  }
  consumers_.push_back({std::move(options), std::move(handler)});
}

void ServiceHost::AddGrpcService(grpc::Service* service) { grpc_services_.push_back(service); }

Ticker* ServiceHost::AddTicker(const std::string& name, absl::Duration every,
                               std::function<absl::Status()> tick) {
  struct LastError {
    absl::Mutex mu;
    std::string text ABSL_GUARDED_BY(mu);
  };
  auto last = std::make_shared<LastError>();
  tickers_.push_back(std::make_unique<Ticker>(every, [name, tick = std::move(tick), last] {
    absl::Status s = tick();
    absl::MutexLock l(&last->mu);
    const std::string text = s.ok() ? "" : s.ToString();
    if (text == last->text) return;
    if (s.ok()) {
      log::Info("working again", {{"ticker", name}});
    } else {
      log::Warn("periodic work failed; retrying", {{"ticker", name}, {"error", text}});
    }
    last->text = text;
  }));
  return tickers_.back().get();
}

void ServiceHost::OnShutdown(std::function<void()> fn) { on_shutdown_.push_back(std::move(fn)); }

void ServiceHost::AddReadinessCheck(std::string name, std::function<absl::Status()> check) {
  checks_.push_back({std::move(name), std::move(check)});
}

void ServiceHost::AddReadinessDetail(std::string name, std::function<std::string()> detail) {
  details_.push_back({std::move(name), std::move(detail)});
}

void ServiceHost::AddPruner(std::string name,
                            std::function<absl::StatusOr<int64_t>(absl::Time)> fn) {
  pruners_.push_back({std::move(name), std::move(fn)});
}

// ------------------------------------------------------------- pruning

absl::Status ServiceHost::PruneNow() {
  if (db_ == nullptr) return absl::OkStatus();
  const absl::Time before = clock_->Now() - settings_.retention;
  std::vector<std::pair<std::string, std::function<absl::StatusOr<int64_t>(absl::Time)>>> all = {
      {"outbox", [this](absl::Time t) { return store::PruneOutbox(*db_, t); }},
      {"inbox", [this](absl::Time t) { return store::PruneInbox(*db_, t); }},
      {"dead_letters", [this](absl::Time t) { return store::PruneDeadLetters(*db_, t); }},
  };
  all.insert(all.end(), pruners_.begin(), pruners_.end());
  absl::Status first_error;
  for (const auto& [what, prune] : all) {
    absl::StatusOr<int64_t> rows = prune(before);
    if (!rows.ok()) {
      if (first_error.ok()) {
        first_error = absl::Status(rows.status().code(),
                                   absl::StrCat("pruning ", what, ": ", rows.status().message()));
      }
      continue;
    }
    metrics_->Pruned(what, *rows);
    if (*rows > 0) {
      log::Info("pruned", {{"what", what},
                           {"rows", absl::StrCat(*rows)},
                           {"older_than", absl::FormatTime(before)}});
    }
  }
  return first_error;
}

// ------------------------------------------------------------- dead letters

absl::Status ServiceHost::AnnounceDeadLetter(const store::DeadLetterRecord& record) {
  // A notice that cannot be published is not announced again (no loop).
  if (record.type == kDeadLetteredType) return absl::OkStatus();
  admin::v1::DeadLettered payload;
  *payload.mutable_dead_letter() = ToProto(spec_.name, record);
  bus::Envelope event = bus::NewEvent(*ids_, *clock_, spec_.name, kDeadLetteredType,
                                      record.incident_id, record.event_id, payload);
  return store::AppendToOutbox(*db_, event, clock_->Now());
}

absl::Status ServiceHost::RecordDeadLetter(const bus::DeadLetter& dead_letter) {
  store::DeadLetterRecord record;
  record.source = absl::StrCat(kConsumerSourcePrefix, dead_letter.consumer);
  if (dead_letter.envelope.has_value()) {
    record.event_id = dead_letter.envelope->event_id();
    record.type = dead_letter.envelope->type();
    record.incident_id = dead_letter.envelope->incident_id();
  }
  record.subject = dead_letter.subject;
  record.data = dead_letter.data;
  record.error = dead_letter.error;
  record.attempts = dead_letter.attempts;
  store::DeadLetterRecord stored;
  RETURN_IF_ERROR(db_->Transaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(stored, store::AddDeadLetter(*db_, spec_.name, record, clock_->Now()));
    return AnnounceDeadLetter(stored);
  }));
  metrics_->DeadLettered(record.source);
  log::Error("event set aside after repeated permanent failures; see tocsin deadletters list",
             {{"dead_letter", stored.id},
              {"consumer", dead_letter.consumer},
              {"event_id", stored.event_id},
              {"type", stored.type},
              {"incident_id", stored.incident_id},
              {"attempts", absl::StrCat(stored.attempts)},
              {"error", stored.error}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<store::DeadLetterRecord>> ServiceHost::ListDeadLetters(
    bool include_replayed, int limit) {
  if (db_ == nullptr) return std::vector<store::DeadLetterRecord>();
  return store::ListDeadLetters(*db_, include_replayed, limit);
}

absl::StatusOr<store::DeadLetterRecord> ServiceHost::ReplayDeadLetter(const std::string& id) {
  if (db_ == nullptr) {
    return absl::NotFoundError(absl::StrCat("dead letter \"", id, "\" does not exist: ",
                                            spec_.name, " keeps no dead letters"));
  }
  ASSIGN_OR_RETURN(store::DeadLetterRecord record, store::GetDeadLetter(*db_, id));
  if (record.replay_time.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dead letter ", id, " was replayed at ",
                     absl::FormatTime(*record.replay_time), "; nothing to do"));
  }
  if (record.source == kOutboxSource) {
    RETURN_IF_ERROR(store::ReplayOutboxDeadLetter(*db_, id, clock_->Now()));
  } else if (absl::StartsWith(record.source, kConsumerSourcePrefix)) {
    const std::string consumer = record.source.substr(sizeof(kConsumerSourcePrefix) - 1);
    const Consumer* found = nullptr;
    for (const Consumer& c : consumers_) {
      if (c.options.durable_name == consumer) found = &c;
    }
    if (found == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "dead letter ", id, " came from consumer ", consumer, ", which ", spec_.name,
          " no longer has"));
    }
    absl::StatusOr<bus::Envelope> envelope =
        bus::ParseEnvelope(record.data.data(), static_cast<int>(record.data.size()));
    if (!envelope.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "dead letter ", id, " cannot be replayed: ", envelope.status().message()));
    }
    absl::Status handled = found->handler(*envelope);
    if (!handled.ok()) {
      return absl::Status(handled.code(), absl::StrCat("replaying ", id, " failed again: ",
                                                       handled.message()));
    }
    RETURN_IF_ERROR(db_->Transaction(
        [&] { return store::MarkDeadLetterReplayed(*db_, id, clock_->Now()); }));
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("dead letter ", id, " has an unknown source \"", record.source, "\""));
  }
  log::Info("dead letter replayed", {{"dead_letter", id}, {"event_id", record.event_id}});
  return store::GetDeadLetter(*db_, id);
}

}  // namespace tocsin::service
