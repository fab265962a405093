// ServiceHost: the one base every Tocsin service binary runs on. It does,
// once and in the right order, what every service needs around its own
// logic, so a service's main.cc is wiring only and every later service gets
// dead letters, metrics and an ordered shutdown for free.
//
//   start-up  the environment is checked (a malformed TOCSIN_* value fails
//             naming it); JSON logging (libs/log); SIGINT/SIGTERM blocked;
//             the bus, connected lazily (NATS may start after the service);
//             then the service's wiring runs; then the outbox relay of its
//             database, its consumers, its tickers, the gRPC server (its APIs
//             and AdminService), the HTTP server (/metrics, /healthz,
//             /readyz and the service's own routes), the ready announcement
//             (ports file and log line).
//   running   a consumer's permanent failures and events the bus refuses are
//             dead letters in the service's database, with their reason;
//             each is announced as a system.dead_lettered event (the
//             incident's timeline, alerts), listed and replayed through
//             AdminService (`tocsin deadletters list|replay`). Every hour the
//             outbox, inbox, replayed dead letters and whatever the service
//             adds are pruned after --retention_hours. Metrics of every
//             consumer, the relay, the store and the process are exported.
//   shutdown  on SIGINT/SIGTERM: stop taking gRPC calls, stop consuming, stop
//             tickers, let the relay publish what is pending (bounded), stop
//             HTTP, then destroy what the wiring handed over, last first.
//
//   int main(int argc, char** argv) {
//     return tocsin::service::ServiceHost::Main(
//         argc, argv, {.name = "paging", .domains = {"page"}, .grpc_port = 7004,
//                      .http_port = 7104, .usage = "Tocsin paging service: ..."},
//         [](tocsin::service::ServiceHost& host) -> absl::Status {
//           ASSIGN_OR_RETURN(auto store, SqlitePagingStore::Open(host.db_path(), host.clock()));
//           RETURN_IF_ERROR(host.UseDatabase(store->database()));
//           auto* core = host.Own(std::make_unique<PagingCore>(host.Own(std::move(store)), ...));
//           Ticker* deliveries = host.AddTicker("deliveries", absl::Milliseconds(100),
//                                               [core] { ... });
//           AddConsumers(host, core, deliveries);   // services/paging/consumers.h
//           host.AddGrpcService(host.Own(std::make_unique<PagingServiceImpl>(core)));
//           return absl::OkStatus();
//         });
//   }
//
// Flags every service has (defined once, in flags.cc), with environment
// defaults named after the service: --grpc_listen (TOCSIN_<NAME>_GRPC),
// --http_host (TOCSIN_<NAME>_HTTP_HOST), --http_port (TOCSIN_<NAME>_HTTP_PORT),
// --db (TOCSIN_<NAME>_DB), --retention_hours (TOCSIN_RETENTION_HOURS), and the
// bus and logging flags of flags.h.
//
// Threads: the wiring runs on the main thread before anything starts; the
// Add*/Own/Use* calls are for the wiring only. Handlers, tickers and HTTP
// routes then run on their own threads and must be thread-safe.
#ifndef TOCSIN_LIBS_SERVICE_HOST_H_
#define TOCSIN_LIBS_SERVICE_HOST_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/impl/service_type.h"
#include "libs/bus/event_bus.h"
#include "libs/clock/clock.h"
#include "libs/http/http_server.h"
#include "libs/ids/ids.h"
#include "libs/metrics/admin.h"
#include "libs/metrics/process.h"
#include "libs/service/consumers.h"
#include "libs/service/ticker.h"
#include "libs/store/database.h"
#include "libs/store/dead_letters.h"
#include "libs/store/outbox.h"
#include "prometheus/registry.h"

namespace tocsin::service {

// What a service is, for the host.
struct ServiceSpec {
  // "paging": the log's service name, the dead letters' id prefix, the NATS
  // client name ("tocsin-paging") and the TOCSIN_<NAME>_* environment names.
  std::string name;
  // The bus domains whose events the service emits ({"page"}); their streams
  // are created on connect. Empty: the service uses no bus.
  std::vector<std::string> domains;
  // Default ports (the flags and environment override them). grpc_port 0:
  // the service serves no gRPC.
  int grpc_port = 0;
  int http_port = 0;
  // One line for --help.
  std::string usage;
  // Adjusts the HTTP server's options after the flags are read (body limit,
  // threads; the gateway takes host and port from its own flags).
  std::function<void(http::HttpServerOptions&)> http_options;
  // Where the service keeps its database unless --db says otherwise:
  // ".state/<name>.db" when empty. Ignored by a service that never calls
  // UseDatabase().
  std::string default_db;
};

class ServiceHost : public ConsumerRegistry {
 public:
  using Wiring = std::function<absl::Status(ServiceHost&)>;

  // The whole life of a service binary: parses flags (positional arguments
  // are refused), starts, runs until SIGINT or SIGTERM, shuts down. Returns
  // the exit code: 0 after a signal, 1 when it cannot start (the reason is
  // logged), 2 for a usage error.
  static int Main(int argc, char** argv, ServiceSpec spec, Wiring wiring);

  // For tests that run a host in-process: builds it from explicit settings
  // instead of flags. Start() runs the wiring and starts everything;
  // Shutdown() stops it (also done by the destructor).
  struct Settings {
    std::string grpc_listen = "127.0.0.1:0";
    std::string http_host = "127.0.0.1";
    int http_port = 0;
    std::string db;
    std::string nats_url = "nats://127.0.0.1:4222";
    std::string nats_credentials_file;
    std::string ports_file;
    absl::Duration retention = absl::Hours(168);
    // The bus to use instead of connecting to NATS (tests).
    bus::EventBus* bus = nullptr;
    const Clock* clock = nullptr;  // RealClock when null
  };
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(ServiceSpec spec, Settings settings,
                                                            const Wiring& wiring);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;
  void Shutdown();

  // ------------------------------------------------------------ for wiring
  const std::string& name() const { return spec_.name; }
  const Clock* clock() const { return clock_; }
  IdGenerator* ids() { return ids_.get(); }
  // The bus (nullptr for a service without domains).
  bus::EventBus* bus();
  prometheus::Registry& registry() { return *registry_; }
  // Computed-at-scrape gauges (open incidents, pages waiting, ...).
  metrics::CallbackGauges& gauges() { return *gauges_; }
  // The database file from --db / TOCSIN_<NAME>_DB.
  const std::string& db_path() const { return settings_.db; }

  // The service's database: its outbox is relayed (woken by each commit),
  // its dead letters kept, its outbox and inbox pruned, its figures
  // exported, its health checked on /readyz. Once; before AddConsumer().
  absl::Status UseDatabase(store::Database* db);

  // A durable consumer, subscribed as soon as the bus allows; its permanent
  // failures become dead letters (options.dead_letter and on_outcome are
  // set by the host).
  void AddConsumer(bus::ConsumerOptions options, bus::Handler handler) override;

  // A gRPC service to serve (not owned; see Own()).
  void AddGrpcService(grpc::Service* service);

  // A function run every `every` on its own thread (and at once when woken
  // through the returned Ticker). An error is logged once per distinct error
  // text, and again when it clears. The Ticker is valid until shutdown.
  Ticker* AddTicker(const std::string& name, absl::Duration every,
                    std::function<absl::Status()> tick);

  // The service's HTTP server (already listening while the wiring runs), for
  // its own routes beside the admin endpoints, which are added after the
  // wiring.
  http::HttpServer& http() { return *http_; }

  // Runs after consumers and tickers stopped and before the outbox relay
  // stops (e.g. let deliveries in flight record their results, so their
  // events are still published). In the order added.
  void OnShutdown(std::function<void()> fn);

  // A readiness check (/readyz fails while it fails) or detail (reported).
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);
  void AddReadinessDetail(std::string name, std::function<std::string()> detail);

  // Data the service prunes with the host's retention: fn deletes what is
  // older than the time it gets and returns how many rows went.
  void AddPruner(std::string name, std::function<absl::StatusOr<int64_t>(absl::Time)> fn);

  // Keeps object alive until after shutdown (objects are destroyed in the
  // reverse order they were handed over). Returns the raw pointer.
  template <typename T>
  T* Own(std::unique_ptr<T> object) {
    T* raw = object.get();
    owned_.push_back(std::shared_ptr<void>(std::move(object)));
    return raw;
  }

  // ----------------------------------------------------- after Start()
  int grpc_port() const { return grpc_port_; }
  int http_port() const;
  // Runs one pruning pass now (the hourly ticker calls it).
  absl::Status PruneNow();

  // AdminService's work, public for tests.
  absl::StatusOr<std::vector<store::DeadLetterRecord>> ListDeadLetters(bool include_replayed,
                                                                       int limit);
  absl::StatusOr<store::DeadLetterRecord> ReplayDeadLetter(const std::string& id);

 private:
  class AdminServiceImpl;
  class Metrics;
  struct Consumer {
    bus::ConsumerOptions options;
    bus::Handler handler;
  };

  ServiceHost(ServiceSpec spec, Settings settings);
  absl::Status StartAll(const Wiring& wiring);
  // Records a consumer's dead letter and announces it, in one transaction.
  absl::Status RecordDeadLetter(const bus::DeadLetter& dead_letter);
  // Appends system.dead_lettered for record to the outbox (inside a
  // transaction).
  absl::Status AnnounceDeadLetter(const store::DeadLetterRecord& record);

  const ServiceSpec spec_;
  const Settings settings_;
  const Clock* clock_;
  std::unique_ptr<IdGenerator> ids_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<metrics::CallbackGauges> gauges_;
  std::unique_ptr<Metrics> metrics_;

  std::unique_ptr<bus::EventBus> own_bus_;
  bus::EventBus* bus_ = nullptr;
  std::function<absl::Status()> bus_ready_;

  store::Database* db_ = nullptr;
  std::unique_ptr<store::OutboxRelay> relay_;

  std::vector<Consumer> consumers_;
  std::unique_ptr<ConsumerSet> consumer_set_;
  std::vector<grpc::Service*> grpc_services_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
  std::unique_ptr<http::HttpServer> http_;
  std::vector<std::function<void()>> on_shutdown_;
  std::vector<metrics::ReadinessCheck> checks_;
  std::vector<metrics::ReadinessDetail> details_;
  std::vector<std::pair<std::string, std::function<absl::StatusOr<int64_t>(absl::Time)>>>
      pruners_;
  std::vector<std::unique_ptr<Ticker>> tickers_;
  std::vector<std::shared_ptr<void>> owned_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace tocsin::service

#endif  // TOCSIN_LIBS_SERVICE_HOST_H_
