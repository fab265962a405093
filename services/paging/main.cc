// tocsin-paging: owns pages and their delivery attempts; delivers
// page.requested by email, webhook and (through Twilio, when configured) SMS
// and voice, and takes acknowledgements.
// Flags and wiring only: the behaviour is in core.h, the service's life in
// libs/service/host.h.
#include <algorithm>
#include <memory>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/config/config.h"
#include "libs/http/redact.h"
#include "libs/log/log.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "services/paging/ack_http.h"
#include "libs/client/incidents_client.h"
#include "libs/client/options.h"
#include "services/paging/chat_actions.h"
#include "services/paging/chat_consumers.h"
#include "services/paging/chat_core.h"
#include "services/paging/chat_grpc_service.h"
#include "services/paging/chat_senders.h"
#include "services/paging/chat_sqlite_store.h"
#include "services/paging/consumers.h"
#include "services/paging/core.h"
#include "services/paging/dispatching_notifier.h"
#include "services/paging/email_notifier.h"
#include "services/paging/grpc_service.h"
#include "services/paging/metered_notifier.h"
#include "services/paging/random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/gateway_callbacks.h"
#include "services/paging/gateway_config.h"
#include "services/paging/gateway_notifier.h"
#include "services/paging/slack_interactions.h"
#include "services/paging/twilio_callbacks.h"
#include "services/paging/twilio_config.h"
#include "services/paging/twilio_notifier.h"
#include "services/paging/webhook_notifier.h"

using tocsin::config::EnvOr;
using tocsin::config::EnvOrInt;

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
ABSL_FLAG(std::string, twilio_base_url,
          EnvOr("TOCSIN_TWILIO_BASE_URL", tocsin::paging::kTwilioDefaultBaseUrl),
          "Twilio's API (a test points it at a local receiver). Env TOCSIN_TWILIO_BASE_URL.");
ABSL_FLAG(std::string, twilio_account_sid, EnvOr("TOCSIN_TWILIO_ACCOUNT_SID", ""),
          "Twilio account SID for SMS and voice pages; with --twilio_auth_token_file and "
          "--twilio_from (all three or none). Env TOCSIN_TWILIO_ACCOUNT_SID.");
ABSL_FLAG(std::string, twilio_auth_token_file, EnvOr("TOCSIN_TWILIO_AUTH_TOKEN_FILE", ""),
          "File holding the Twilio auth token (never logged). Env "
          "TOCSIN_TWILIO_AUTH_TOKEN_FILE.");
ABSL_FLAG(std::string, twilio_from, EnvOr("TOCSIN_TWILIO_FROM", ""),
          "Twilio sender number, E.164 (+15005550006). Env TOCSIN_TWILIO_FROM.");
ABSL_FLAG(int, twilio_timeout_seconds, EnvOrInt("TOCSIN_TWILIO_TIMEOUT_SECONDS", 10),
          "Longest Twilio request for one SMS or call; below --delivery_lease_seconds. Env "
          "TOCSIN_TWILIO_TIMEOUT_SECONDS.");
ABSL_FLAG(std::string, sms_gateway_url, EnvOr("TOCSIN_SMS_GATEWAY_URL", ""),
          "Generic SMS/voice gateway endpoint that signed JSON page requests are POSTed to; with "
          "--sms_gateway_secret_file (both or neither; not with Twilio). Env "
          "TOCSIN_SMS_GATEWAY_URL.");
ABSL_FLAG(std::string, sms_gateway_secret_file, EnvOr("TOCSIN_SMS_GATEWAY_SECRET_FILE", ""),
          "File holding the secret shared with the SMS gateway (HMAC-SHA256 X-Tocsin-Signature "
          "both ways; never logged). Env TOCSIN_SMS_GATEWAY_SECRET_FILE.");
ABSL_FLAG(int, sms_gateway_timeout_seconds, EnvOrInt("TOCSIN_SMS_GATEWAY_TIMEOUT_SECONDS", 10),
          "Longest SMS gateway request for one SMS or call; below --delivery_lease_seconds. Env "
          "TOCSIN_SMS_GATEWAY_TIMEOUT_SECONDS.");
ABSL_FLAG(std::string, slack_api_url, EnvOr("TOCSIN_SLACK_API_URL", "https://slack.com/api"),
          "Slack's Web API, for chat channels in Slack app mode (a test points it at a local "
          "receiver). Env TOCSIN_SLACK_API_URL.");
ABSL_FLAG(std::string, slack_signing_secret_file, EnvOr("TOCSIN_SLACK_SIGNING_SECRET_FILE", ""),
          "File holding the Slack app's signing secret: enables the Acknowledge and Resolve "
          "buttons (POST /v1/providers/slack/interactions, verified with it; never logged). Env "
          "TOCSIN_SLACK_SIGNING_SECRET_FILE.");
ABSL_FLAG(std::string, slack_response_url_prefix,
          EnvOr("TOCSIN_SLACK_RESPONSE_URL_PREFIX", "https://hooks.slack.com/"),
          "Replies to a button press are POSTed only to a response_url that starts with this "
          "(Slack's; a test points it at a local receiver). Env "
          "TOCSIN_SLACK_RESPONSE_URL_PREFIX.");
ABSL_FLAG(std::string, incidents_address, EnvOr("TOCSIN_INCIDENTS_ADDR", "127.0.0.1:7002"),
          "The incidents service's gRPC address, for the Slack Resolve button. Env "
          "TOCSIN_INCIDENTS_ADDR.");
ABSL_FLAG(std::string, chat_console_url, EnvOr("TOCSIN_CHAT_CONSOLE_URL", ""),
          "Link that chat posts give for an incident without a console link of its own; {id} "
          "is replaced by the incident id. Empty: none. Env TOCSIN_CHAT_CONSOLE_URL.");
ABSL_FLAG(int, chat_timeout_seconds, EnvOrInt("TOCSIN_CHAT_TIMEOUT_SECONDS", 10),
          "Longest request to a chat platform for one post; below --chat_lease_seconds. "
          "Env TOCSIN_CHAT_TIMEOUT_SECONDS.");
ABSL_FLAG(int, chat_lease_seconds, EnvOrInt("TOCSIN_CHAT_LEASE_SECONDS", 60),
          "After a crash during a chat post, the post is tried again this long after the "
          "attempt began (longer than --chat_timeout_seconds). Env TOCSIN_CHAT_LEASE_SECONDS.");
ABSL_FLAG(int, chat_fold_window_seconds, EnvOrInt("TOCSIN_CHAT_FOLD_WINDOW_SECONDS", 60),
          "A chat channel gets at most one post per update kind per incident in this window; "
          "later ones are folded into one (\"12 more alarms joined\"). Env "
          "TOCSIN_CHAT_FOLD_WINDOW_SECONDS.");
ABSL_FLAG(int, shutdown_grace_seconds, EnvOrInt("TOCSIN_PAGING_SHUTDOWN_GRACE_SECONDS", 15),
          "At shutdown, how long deliveries in flight may take to finish and record their "
          "results. Env TOCSIN_PAGING_SHUTDOWN_GRACE_SECONDS.");

// ---- Rate limits and degraded providers (docs/paging.md) ----
ABSL_FLAG(std::string, sms_rate_limits, EnvOr("TOCSIN_SMS_RATE_LIMITS", "5/15m,11/1h,21/3h"),
          "Most SMS pages one number gets: COUNT/WINDOW buckets; pages over a limit are held "
          "and sent together in one digest when it allows. \"off\": no limit. Env "
          "TOCSIN_SMS_RATE_LIMITS.");
ABSL_FLAG(std::string, voice_rate_limits, EnvOr("TOCSIN_VOICE_RATE_LIMITS", "3/15m,7/1h,15/3h"),
          "Most voice calls one number gets (as --sms_rate_limits). Env "
          "TOCSIN_VOICE_RATE_LIMITS.");
ABSL_FLAG(int, provider_degraded_after, EnvOrInt("TOCSIN_PAGING_PROVIDER_DEGRADED_AFTER", 3),
          "Failures in a row, within --provider_degraded_window_seconds, after which a provider "
          "(twilio, gateway, email) is degraded and its pages fall through to the person's next "
          "channel at once; 0: never. Env TOCSIN_PAGING_PROVIDER_DEGRADED_AFTER.");
ABSL_FLAG(int, provider_degraded_window_seconds,
          EnvOrInt("TOCSIN_PAGING_PROVIDER_DEGRADED_WINDOW_SECONDS", 300),
          "The window of --provider_degraded_after. Env "
          "TOCSIN_PAGING_PROVIDER_DEGRADED_WINDOW_SECONDS.");

namespace tocsin::paging {
namespace {

// The rate limit and degraded-provider options from their flags.
absl::Status LimitOptions(PagingOptions& options, std::string phone_provider) {
  absl::StatusOr<std::vector<RateLimit>> sms =
      ParseRateLimits(absl::GetFlag(FLAGS_sms_rate_limits));
  if (!sms.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sms_rate_limits: ", sms.status().message()));
  }
  absl::StatusOr<std::vector<RateLimit>> voice =
      ParseRateLimits(absl::GetFlag(FLAGS_voice_rate_limits));
  if (!voice.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--voice_rate_limits: ", voice.status().message()));
  }
  options.sms_limits = *std::move(sms);
  options.voice_limits = *std::move(voice);
  options.degraded_after = absl::GetFlag(FLAGS_provider_degraded_after);
  options.degraded_window = absl::Seconds(absl::GetFlag(FLAGS_provider_degraded_window_seconds));
  options.provider_of = [phone_provider = std::move(phone_provider)](const Page& page) {
    return ProviderOf(page, phone_provider);
  };
  return ValidatePagingOptions(options, absl::ZeroDuration());
}

// /readyz names degraded providers (without failing: email still works);
// sends older than every window are pruned.
void AddLimitWiring(service::ServiceHost& host, PagingCore* core) {
  host.AddReadinessDetail("degradedProviders", [core] { return core->DegradedProviders(); });
  host.AddPruner("page_sends", [core](absl::Time before) { return core->PruneSends(before); });
}

}  // namespace
}  // namespace tocsin::paging

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

// nullopt when Twilio is not configured (SMS and voice pages then fail: no
// provider); a partial configuration fails start-up.
absl::StatusOr<std::optional<TwilioOptions>> TwilioConfig() {
  ASSIGN_OR_RETURN(std::optional<TwilioOptions> options,
                   LoadTwilioOptions({.base_url = absl::GetFlag(FLAGS_twilio_base_url),
                                      .account_sid = absl::GetFlag(FLAGS_twilio_account_sid),
                                      .auth_token_file = absl::GetFlag(FLAGS_twilio_auth_token_file),
                                      .from = absl::GetFlag(FLAGS_twilio_from)}));
  if (options.has_value()) {
    options->timeout = absl::Seconds(absl::GetFlag(FLAGS_twilio_timeout_seconds));
  }
  return options;
}

// nullopt when the SMS gateway is not configured; a partial configuration
// fails start-up.
absl::StatusOr<std::optional<GatewayOptions>> GatewayConfig() {
  ASSIGN_OR_RETURN(
      std::optional<GatewayOptions> options,
      LoadGatewayOptions({.url = absl::GetFlag(FLAGS_sms_gateway_url),
                          .secret_file = absl::GetFlag(FLAGS_sms_gateway_secret_file)}));
  if (options.has_value()) {
    options->timeout = absl::Seconds(absl::GetFlag(FLAGS_sms_gateway_timeout_seconds));
  }
  return options;
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
                     "--webhook_timeout_seconds, --twilio_timeout_seconds, "
                     "--sms_gateway_timeout_seconds, --retry_base_seconds, --retry_cap_seconds, "
                     "--max_attempts, --delivery_workers, --ack_max_wrong_codes, "
                     "--ack_wrong_code_window_seconds)"));
  }
  return options;
}

// Chat: the incident domain's events become posts to the plans' chat
// channels (chat_core.h), delivered by their own ticker and workers.
absl::StatusOr<ChatCore*> WireChat(service::ServiceHost& host, SqlitePagingStore* store,
                                   Random* random) {
  const absl::Duration timeout = absl::Seconds(absl::GetFlag(FLAGS_chat_timeout_seconds));
  const absl::Duration lease = absl::Seconds(absl::GetFlag(FLAGS_chat_lease_seconds));
  if (timeout <= absl::ZeroDuration() || timeout >= lease) {
    return absl::InvalidArgumentError(
        "--chat_timeout_seconds must be positive and below --chat_lease_seconds");
  }
  ChatOptions options;
  options.updates.console_url = absl::GetFlag(FLAGS_chat_console_url);
  options.fold_window = absl::Seconds(absl::GetFlag(FLAGS_chat_fold_window_seconds));
  if (options.fold_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--chat_fold_window_seconds must not be negative");
  }
  options.lease = lease;
  options.registry = &host.registry();
  auto* chat_store =
      host.Own(std::make_unique<SqliteChatStore>(store->database(), host.clock()));
  auto* sender = host.Own(std::make_unique<HttpChatSender>(
      HttpChatSenderOptions{.slack_api_url = absl::GetFlag(FLAGS_slack_api_url),
                            .timeout = timeout}));
  ChatCore* chat = host.Own(std::make_unique<ChatCore>(chat_store, host.clock(), host.ids(),
                                                       random, sender, options));
  host.gauges().Add("tocsin_chat_posts_waiting",
                    "Chat posts not sent yet (PENDING: due, folded for their minute, or "
                    "waiting for a retry).",
                    {}, [chat] { return chat->CountPostsWaiting(); });
  service::Ticker* posts = host.AddTicker("chat", absl::Milliseconds(200), [chat] {
    (void)chat->DispatchDueDeliveries();
    return absl::OkStatus();
  });
  AddChatConsumer(host, chat, posts);
  host.AddPruner("chat_posts", [chat](absl::Time before) { return chat->Prune(before); });
  host.AddGrpcService(host.Own(std::make_unique<ChatServiceImpl>(chat)));
  host.OnShutdown([chat, grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds))] {
    chat->Shutdown(grace);
  });
  return chat;
}

// Slack app mode's Acknowledge and Resolve buttons, when a signing secret is
// configured (without one, the endpoint does not exist: nothing unverified
// is ever taken).
absl::Status WireSlackButtons(service::ServiceHost& host, PagingCore* core) {
  const std::string secret_file = absl::GetFlag(FLAGS_slack_signing_secret_file);
  if (secret_file.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> secret = ReadChatSecretFile(secret_file, "Slack signing secret");
  if (!secret.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--slack_signing_secret_file: ", secret.status().message()));
  }
  std::shared_ptr<client::IncidentsClient> incidents =
      client::IncidentsClient::Create(client::MakeChannel(absl::GetFlag(FLAGS_incidents_address)));
  auto* actions = host.Own(std::make_unique<ChatActions>(
      core, [incidents](const std::string& id, const std::string& note,
                        const std::string& author) {
        return incidents->ResolveIncident(id, note, author);
      }));
  RegisterSlackInteractions(host.http(), actions,
                            {.signing_secret = *std::move(secret),
                             .clock = host.clock(),
                             .response_url_prefix = absl::GetFlag(FLAGS_slack_response_url_prefix)});
  log::Info("Slack buttons enabled", {{"path", kSlackInteractionsPath}});
  return absl::OkStatus();
}

absl::Status Wire(service::ServiceHost& host) {
  ASSIGN_OR_RETURN(EmailNotifierOptions email_options, EmailOptions());
  const WebhookNotifierOptions webhook_options = WebhookOptions();
  ASSIGN_OR_RETURN(std::optional<TwilioOptions> twilio_options, TwilioConfig());
  absl::Duration longest = std::max(email_options.timeout, webhook_options.timeout);
  ASSIGN_OR_RETURN(std::optional<GatewayOptions> gateway_options, GatewayConfig());
  RETURN_IF_ERROR(CheckOneSmsProvider(twilio_options.has_value(), gateway_options.has_value()));
  if (twilio_options.has_value()) longest = std::max(longest, twilio_options->timeout);
  if (gateway_options.has_value()) longest = std::max(longest, gateway_options->timeout);
  ASSIGN_OR_RETURN(PagingOptions options, CoreOptions(longest));
  ASSIGN_OR_RETURN(std::unique_ptr<EmailNotifier> email,
                   EmailNotifier::Create(email_options, host.clock()));
  ASSIGN_OR_RETURN(std::unique_ptr<SqlitePagingStore> opened,
                   SqlitePagingStore::Open(host.db_path(), host.clock()));
  SqlitePagingStore* store = host.Own(std::move(opened));
  RETURN_IF_ERROR(host.UseDatabase(store->database()));

  EmailNotifier* email_notifier = host.Own(std::move(email));
  auto* webhook = host.Own(std::make_unique<WebhookNotifier>(webhook_options));
  // SMS and voice through Twilio when it is configured; without it, such
  // pages fail at once ("no SMS provider configured").
  Notifier* phone = nullptr;
  if (twilio_options.has_value()) {
    phone = host.Own(std::make_unique<TwilioNotifier>(*twilio_options, options.public_url));
    log::Info("SMS and voice pages go through Twilio",
              {{"base_url", http::RedactUrl(twilio_options->base_url)},
               {"account_sid", twilio_options->account_sid},
               {"from", twilio_options->from}});
  }
  // Or through the generic SMS/voice gateway (never both: CheckOneSmsProvider).
  if (gateway_options.has_value()) {
    phone = host.Own(
        std::make_unique<GatewayNotifier>(*gateway_options, options.public_url, host.clock()));
    log::Info("SMS and voice pages go through the SMS gateway",
              {{"url", http::RedactUrl(gateway_options->url)}});
  }
  auto* dispatching =
      host.Own(std::make_unique<DispatchingNotifier>(email_notifier, webhook, phone));
  auto* notifier = host.Own(std::make_unique<MeteredNotifier>(dispatching, host.registry()));
  auto* random = host.Own(std::make_unique<SecureRandom>());
  options.registry = &host.registry();
  RETURN_IF_ERROR(LimitOptions(options, twilio_options.has_value()    ? "twilio"
                                        : gateway_options.has_value() ? "gateway"
                                                                      : ""));
  PagingCore* core = host.Own(std::make_unique<PagingCore>(store, host.clock(), host.ids(),
                                                           random, notifier, options));
  AddLimitWiring(host, core);
  host.gauges().Add("tocsin_paging_pages_waiting",
                    "Pages not delivered yet (PENDING: due now or waiting for a retry).", {},
                    [core] { return core->CountPagesWaiting(); });

  // Hands due pages to the delivery workers and returns at once; a busy
  // database ends the pass early (logged by the core) and the next tick
  // tries again.
  service::Ticker* deliveries = host.AddTicker("deliveries", absl::Milliseconds(100), [core] {
    (void)core->DispatchDueDeliveries();
    return absl::OkStatus();
  });
  // A new page wakes the deliveries (consumers.h).
  AddConsumers(host, core, deliveries);
  host.AddGrpcService(host.Own(std::make_unique<PagingServiceImpl>(core)));
  RegisterAckEndpoints(host.http(), core);
  if (twilio_options.has_value()) {
    RegisterTwilioCallbacks(host.http(), core,
                            {.public_url = options.public_url,
                             .auth_token = twilio_options->auth_token,
                             .clock = host.clock()});
  }
  if (gateway_options.has_value()) {
    RegisterGatewayCallbacks(host.http(), core,
                             {.secret = gateway_options->secret, .clock = host.clock()});
  }
  ASSIGN_OR_RETURN(ChatCore * chat, WireChat(host, store, random));
  // Deliveries in flight finish and record their results before the relay
  // stops, so their events are published.
  host.OnShutdown([core, grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds))] {
    core->Shutdown(grace);
  });
  (void)chat;
  return WireSlackButtons(host, core);
}

}  // namespace
}  // namespace tocsin::paging

int main(int argc, char** argv) {
  return tocsin::service::ServiceHost::Main(
      argc, argv,
      {.name = "paging",
       .domains = {"page"},
       .grpc_port = 7004,
       .http_port = 7104,
       .usage = "Tocsin paging service: delivers pages by email, webhook, SMS and voice, takes "
                "acknowledgements.",
       // Ack forms and provider callbacks are small; a Slack button press
       // carries the message it was pressed on (tens of KB at most).
       // Anything larger is refused before it is read.
       .http_options = [](tocsin::http::HttpServerOptions& o) { o.max_body_bytes = 128 * 1024; }},
      tocsin::paging::Wire);
}
