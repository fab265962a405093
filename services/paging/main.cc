// tocsin-paging: owns pages and their delivery attempts; delivers
// page.requested by email and webhook and takes acknowledgements.
// Flags and wiring only; the behaviour is in core.h.
#include <algorithm>
#include <atomic>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "libs/service/flags.h"
#include "libs/clock/clock.h"
#include "libs/config/config.h"
#include "libs/http/http_server.h"
#include "libs/ids/ids.h"
#include "libs/log/log.h"
#include "libs/metrics/admin.h"
#include "libs/service/consumers.h"
#include "libs/service/runtime.h"
#include "libs/service/ticker.h"
#include "libs/store/outbox.h"
#include "services/paging/ack_http.h"
#include "services/paging/core.h"
#include "services/paging/dispatching_notifier.h"
#include "services/paging/email_notifier.h"
#include "services/paging/grpc_service.h"
#include "services/paging/metered_notifier.h"
#include "services/paging/random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/webhook_notifier.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

ABSL_FLAG(std::string, grpc_listen, EnvOr("TOCSIN_PAGING_GRPC", "127.0.0.1:7004"),
          "gRPC address (host:port; port 0 picks one). Env TOCSIN_PAGING_GRPC.");
ABSL_FLAG(std::string, http_host, EnvOr("TOCSIN_PAGING_HTTP_HOST", "127.0.0.1"),
          "Host for ack links, /metrics, /healthz, /readyz. Env TOCSIN_PAGING_HTTP_HOST.");
ABSL_FLAG(int, http_port, EnvOrInt("TOCSIN_PAGING_HTTP_PORT", 7104),
          "Port for ack links and admin endpoints (0 picks one). Env TOCSIN_PAGING_HTTP_PORT.");
ABSL_FLAG(std::string, db, EnvOr("TOCSIN_PAGING_DB", ".state/paging.db"),
          "SQLite database file. Env TOCSIN_PAGING_DB.");
ABSL_FLAG(std::string, smtp_url, EnvOr("TOCSIN_PAGING_SMTP_URL", "smtp://127.0.0.1:2525"),
          "SMTP server for email pages: smtp://host:port (STARTTLS when offered, required "
          "with a username) or smtps://host:port. Env TOCSIN_PAGING_SMTP_URL.");
ABSL_FLAG(std::string, smtp_from, EnvOr("TOCSIN_PAGING_SMTP_FROM", "tocsin@localhost"),
          "Sender address of email pages. Env TOCSIN_PAGING_SMTP_FROM.");
ABSL_FLAG(std::string, smtp_username, EnvOr("TOCSIN_PAGING_SMTP_USERNAME", ""),
          "SMTP user; its password comes from $TOCSIN_SMTP_PASSWORD_FILE or "
          "$TOCSIN_SMTP_PASSWORD. Empty: no authentication. Env TOCSIN_PAGING_SMTP_USERNAME.");
ABSL_FLAG(std::string, public_url, EnvOr("TOCSIN_PAGING_PUBLIC_URL", "http://127.0.0.1:7104"),
          "Base URL under which people reach this service's HTTP port; ack links start with "
          "it. Env TOCSIN_PAGING_PUBLIC_URL.");
ABSL_FLAG(int, delivery_lease_seconds, EnvOrInt("TOCSIN_PAGING_DELIVERY_LEASE_SECONDS", 60),
          "After a crash during a delivery, the page is tried again this long after the "
          "attempt began. Env TOCSIN_PAGING_DELIVERY_LEASE_SECONDS.");
ABSL_FLAG(int, retry_base_seconds, EnvOrInt("TOCSIN_PAGING_RETRY_BASE_SECONDS", 10),
          "Backoff after the first failed attempt (doubling, with full jitter). Env "
          "TOCSIN_PAGING_RETRY_BASE_SECONDS.");
ABSL_FLAG(int, retry_cap_seconds, EnvOrInt("TOCSIN_PAGING_RETRY_CAP_SECONDS", 600),
          "Longest backoff between attempts. Env TOCSIN_PAGING_RETRY_CAP_SECONDS.");
ABSL_FLAG(int, max_attempts, EnvOrInt("TOCSIN_PAGING_MAX_ATTEMPTS", 6),
          "Delivery attempts before a page is FAILED. Env TOCSIN_PAGING_MAX_ATTEMPTS.");
ABSL_FLAG(int, delivery_workers, EnvOrInt("TOCSIN_PAGING_DELIVERY_WORKERS", 8),
          "Deliveries that run at once (a slow channel holds one). Env "
          "TOCSIN_PAGING_DELIVERY_WORKERS.");
ABSL_FLAG(int, smtp_timeout_seconds, EnvOrInt("TOCSIN_PAGING_SMTP_TIMEOUT_SECONDS", 30),
          "Longest SMTP exchange for one email page; below --delivery_lease_seconds. Env "
          "TOCSIN_PAGING_SMTP_TIMEOUT_SECONDS.");
ABSL_FLAG(int, webhook_timeout_seconds, EnvOrInt("TOCSIN_PAGING_WEBHOOK_TIMEOUT_SECONDS", 10),
          "Longest webhook request for one page; below --delivery_lease_seconds. Env "
          "TOCSIN_PAGING_WEBHOOK_TIMEOUT_SECONDS.");
ABSL_FLAG(int, ack_max_wrong_codes, EnvOrInt("TOCSIN_PAGING_ACK_MAX_WRONG_CODES", 10),
          "Wrong accept codes one address may send within --ack_wrong_code_window_seconds "
          "before its codes are refused (429 / RESOURCE_EXHAUSTED). Env "
          "TOCSIN_PAGING_ACK_MAX_WRONG_CODES.");
ABSL_FLAG(int, ack_wrong_code_window_seconds,
          EnvOrInt("TOCSIN_PAGING_ACK_WRONG_CODE_WINDOW_SECONDS", 900),
          "The window in which wrong accept codes are counted per address. Env "
          "TOCSIN_PAGING_ACK_WRONG_CODE_WINDOW_SECONDS.");
ABSL_FLAG(int, shutdown_grace_seconds, EnvOrInt("TOCSIN_PAGING_SHUTDOWN_GRACE_SECONDS", 15),
          "At shutdown, how long deliveries in flight may take to finish and record their "
          "results. Env TOCSIN_PAGING_SHUTDOWN_GRACE_SECONDS.");

namespace tocsin::paging {
namespace {

absl::StatusOr<EmailNotifierOptions> EmailOptions() {
  EmailNotifierOptions options;
  options.smtp_url = absl::GetFlag(FLAGS_smtp_url);
  options.from = absl::GetFlag(FLAGS_smtp_from);
  options.username = absl::GetFlag(FLAGS_smtp_username);
  options.timeout = absl::Seconds(absl::GetFlag(FLAGS_smtp_timeout_seconds));
  if (!options.username.empty()) {
    absl::StatusOr<std::string> password = config::Secret("TOCSIN_SMTP_PASSWORD");
    if (!password.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--smtp_username is set but the password is not: ", password.status().message()));
    }
    options.password = *std::move(password);
  }
  return options;
}

WebhookNotifierOptions WebhookOptions() {
  return {.timeout = absl::Seconds(absl::GetFlag(FLAGS_webhook_timeout_seconds))};
}

absl::StatusOr<PagingOptions> CoreOptions(absl::Duration longest_notifier_timeout) {
  PagingOptions options;
  options.public_url = absl::GetFlag(FLAGS_public_url);
  options.lease = absl::Seconds(absl::GetFlag(FLAGS_delivery_lease_seconds));
  options.retry_base = absl::Seconds(absl::GetFlag(FLAGS_retry_base_seconds));
  options.retry_cap = absl::Seconds(absl::GetFlag(FLAGS_retry_cap_seconds));
  options.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  options.workers = absl::GetFlag(FLAGS_delivery_workers);
  options.max_wrong_codes = absl::GetFlag(FLAGS_ack_max_wrong_codes);
  options.wrong_code_window = absl::Seconds(absl::GetFlag(FLAGS_ack_wrong_code_window_seconds));
  if (absl::Status s = ValidatePagingOptions(options, longest_notifier_timeout); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.message(), " (flags --delivery_lease_seconds, --smtp_timeout_seconds, "
                     "--webhook_timeout_seconds, --retry_base_seconds, --retry_cap_seconds, "
                     "--max_attempts, --delivery_workers, --ack_max_wrong_codes, "
                     "--ack_wrong_code_window_seconds)"));
  }
  return options;
}

int Run() {
  log::Init("paging", service::LogLevelFlag());
  service::BlockShutdownSignals();
  const Clock* clock = RealClock::Get();
  auto fail = [](absl::string_view what, const absl::Status& s) {
    log::Error(what, {{"error", s.ToString()}});
    return 1;
  };

  absl::StatusOr<EmailNotifierOptions> email_options = EmailOptions();
  if (!email_options.ok()) return fail("invalid SMTP settings", email_options.status());
  const WebhookNotifierOptions webhook_options = WebhookOptions();
  absl::StatusOr<PagingOptions> options =
      CoreOptions(std::max(email_options->timeout, webhook_options.timeout));
  if (!options.ok()) return fail("invalid flags", options.status());
  auto email = EmailNotifier::Create(*email_options, clock);
  if (!email.ok()) return fail("invalid SMTP settings", email.status());

  auto store = SqlitePagingStore::Open(absl::GetFlag(FLAGS_db), clock);
  if (!store.ok()) return fail("cannot open the database", store.status());

  const bus::JetStreamBusOptions bus_options =
      service::BusOptionsFromFlags("tocsin-paging", {"page"});
  service::LazyJetStreamBus bus(bus_options);
  if (absl::Status s = bus.Connect(); !s.ok()) {
    log::Warn("bus not reachable yet; pages already accepted are still delivered",
              {{"error", s.ToString()}});
  }
  store::OutboxRelayOptions relay_options;
  relay_options.max_backoff = absl::Seconds(2);
  relay_options.dead_letter_prefix = "paging";
  auto relay = store::OutboxRelay::Start((*store)->database(), &bus, clock, relay_options);
  if (!relay.ok()) return fail("cannot start the outbox relay", relay.status());
  (*relay)->Notify();

  auto registry = std::make_shared<prometheus::Registry>();
  WebhookNotifier webhook(webhook_options);
  DispatchingNotifier dispatching(email->get(), &webhook);
  MeteredNotifier notifier(&dispatching, *registry);
  RandomIdGenerator ids(clock);
  SecureRandom random;
  options->on_commit = [r = relay->get()] { r->Notify(); };
  options->registry = registry.get();
  PagingCore core(store->get(), clock, &ids, &random, &notifier, *options);

  // A new page is delivered at once rather than at the next tick: the
  // consumer wakes the delivery ticker (guarded, as the ticker goes first at
  // shutdown while the consumer may still run).
  absl::Mutex wake_mu;
  service::Ticker* delivery_ticker ABSL_GUARDED_BY(wake_mu) = nullptr;
  auto handle = [&](const bus::Envelope& e) {
    absl::Status s = core.HandlePageRequested(e);
    absl::MutexLock l(&wake_mu);
    if (s.ok() && delivery_ticker != nullptr) delivery_ticker->Wake();
    return s;
  };

  PagingServiceImpl paging_service(&core);
  auto grpc = service::StartGrpcServer(absl::GetFlag(FLAGS_grpc_listen), {&paging_service});
  if (!grpc.ok()) return fail("cannot start gRPC", grpc.status());

  http::HttpServerOptions http_options;
  http_options.host = absl::GetFlag(FLAGS_http_host);
  http_options.port = absl::GetFlag(FLAGS_http_port);
  http_options.num_threads = 4;
  http_options.max_body_bytes = 16 * 1024;
  auto http = http::HttpServer::Start(http_options);
  if (!http.ok()) return fail("cannot start HTTP", http.status());
  RegisterAckEndpoints(**http, &core);

  // Subscribed as soon as the bus is up (it may start after this service).
  auto consumers = std::make_unique<service::ConsumerSet>(&bus);
  consumers->Add(PageRequestsConsumerOptions(), handle);
  consumers->Add(IncidentResolvedConsumerOptions(),
                 [&core](const bus::Envelope& e) { return core.HandleIncidentResolved(e); });
  auto subscriber =
      std::make_unique<service::Ticker>(absl::Milliseconds(250), [&] { consumers->Tick(); });
  auto ticker = std::make_unique<service::Ticker>(absl::Milliseconds(100), [&] {
    // Hands due pages to the delivery workers and returns at once; a busy
    // database ends the pass early (logged by the core) and the next tick
    // tries again.
    (void)core.DispatchDueDeliveries();
  });
  {
    absl::MutexLock l(&wake_mu);
    delivery_ticker = ticker.get();
  }
  auto stop_waking = [&] {
    absl::MutexLock l(&wake_mu);
    delivery_ticker = nullptr;
  };
  absl::Cleanup unwake = stop_waking;  // before the ticker goes, on every return

  metrics::RegisterAdminEndpoints(
      **http, registry,
      {{"database", [s = store->get()] { return s->Ping(); }},
       {"bus", [&bus] { return bus.Ready(); }},
       {"consumers", [&consumers] { return consumers->Ready(); }}});

  if (absl::Status s = service::AnnounceReady(service::PortsFileFlag(), "paging", grpc->port,
                                              (*http)->port(), absl::GetFlag(FLAGS_db));
      !s.ok()) {
    return fail("cannot write the ports file", s);
  }
  std::string sig = service::WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  grpc->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  subscriber.reset();
  stop_waking();
  ticker.reset();
  // Deliveries in flight finish and record their results before the relay
  // stops, so their events are published.
  core.Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  consumers.reset();
  (*relay)->Stop();
  return 0;
}

}  // namespace
}  // namespace tocsin::paging

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Tocsin paging service: delivers pages by email and webhook, takes acknowledgements.");
  absl::ParseCommandLine(argc, argv);
  return tocsin::paging::Run();
}
