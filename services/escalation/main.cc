// tocsin-escalation: owns the directory (contacts, rotations, overrides,
// calendar feeds) and engagements; pages contacts stage by stage until a page
// is acknowledged or the incident resolved. Wiring only: the behaviour is in
// directory.h and core.h, the service's life in libs/service/host.h.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/config/config.h"
#include "libs/log/log.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "services/escalation/calendar.h"
#include "services/escalation/consumers.h"
#include "services/escalation/core.h"
#include "services/escalation/directory.h"
#include "services/escalation/engagement_service.h"
#include "services/escalation/grpc_service.h"
#include "services/escalation/metrics.h"
#include "services/escalation/sqlite_store.h"

ABSL_FLAG(std::string, channel_activation,
          tocsin::config::EnvOr("TOCSIN_CHANNEL_ACTIVATION", "required"),
          "required: a new channel is paged only after the code sent to it is confirmed "
          "(`tocsin contacts activate`); off: new channels are activated at once, for "
          "directories an administrator manages (env TOCSIN_CHANNEL_ACTIVATION).");
ABSL_FLAG(std::string, public_url,
          tocsin::config::EnvOr("TOCSIN_ESCALATION_PUBLIC_URL", "http://127.0.0.1:7103"),
          "Base URL of this service's HTTP port as calendar applications reach it, for "
          "calendar feed URLs (env TOCSIN_ESCALATION_PUBLIC_URL).");

namespace tocsin::escalation {
namespace {

// How often due stage timers are fired.
constexpr absl::Duration kTimerTick = absl::Milliseconds(250);

absl::StatusOr<bool> ActivationRequired() {
  const std::string mode = absl::GetFlag(FLAGS_channel_activation);
  if (mode == "required") return true;
  if (mode == "off") return false;
  return absl::InvalidArgumentError(absl::StrCat(
      "--channel_activation (TOCSIN_CHANNEL_ACTIVATION) must be \"required\" or \"off\", got \"",
      mode, "\""));
}

absl::Status Wire(service::ServiceHost& host) {
  ASSIGN_OR_RETURN(const bool activation_required, ActivationRequired());
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteEscalationStore> opened,
                   SqliteEscalationStore::Open(host.db_path(), host.clock()));
  SqliteEscalationStore* store = host.Own(std::move(opened));
  RETURN_IF_ERROR(host.UseDatabase(store->database()));

  EscalationMetrics* metrics = host.Own(std::make_unique<EscalationMetrics>(host.registry()));
  EscalationOptions options;
  options.on_event = [metrics](const Envelope& e) {
    metrics->Count(e);
    log::Info("event committed",
              {{"type", e.type()}, {"event_id", e.event_id()}, {"incident_id", e.incident_id()}});
  };
  EscalationCore* core =
      host.Own(std::make_unique<EscalationCore>(store, host.clock(), host.ids(), options));
  host.gauges().Add("tocsin_escalation_engagements_active", "Engagements still paging.", {},
                    [core] { return core->CountActiveEngagements(); });
  host.gauges().Add("tocsin_escalation_engagements_stalled",
                    "Active engagements with neither a timer nor an active child found by the "
                    "last audit (each is ended EXHAUSTED, saying so).",
                    {}, [core] { return absl::StatusOr<double>(core->StalledEngagements()); });

  DirectoryOptions directory_options;
  directory_options.activation_required = activation_required;
  directory_options.public_url = absl::GetFlag(FLAGS_public_url);
  directory_options.on_event = [](const Envelope& e) {
    log::Info("event committed", {{"type", e.type()}, {"event_id", e.event_id()}});
  };
  DirectoryCore* directory = host.Own(std::make_unique<DirectoryCore>(
      store, host.clock(), host.ids(), std::move(directory_options)));
  log::Info("directory ready", {{"channel_activation", activation_required ? "required" : "off"}});

  AddConsumers(host, core);
  host.AddGrpcService(host.Own(std::make_unique<ContactServiceImpl>(directory)));
  host.AddGrpcService(host.Own(std::make_unique<RotationServiceImpl>(directory)));
  host.AddGrpcService(host.Own(std::make_unique<EngagementServiceImpl>(core)));
  host.http().HandlePrefix("GET", kCalendarPathPrefix, [directory](const http::HttpRequest& r) {
    return ServeCalendar(r, [directory](const std::string& token) -> absl::StatusOr<std::string> {
      absl::StatusOr<CalendarDocument> doc = directory->RenderCalendarFeed(token);
      if (!doc.ok()) {
        if (!absl::IsNotFound(doc.status())) {
          log::Error("calendar feed failed", {{"error", doc.status().ToString()}});
        }
        return doc.status();
      }
      return std::move(doc->ics);
    });
  });
  host.AddTicker("stage-timers", kTimerTick, [core] { return core->RunDueTimers().status(); })
      ->Wake();
  return absl::OkStatus();
}

}  // namespace
}  // namespace tocsin::escalation

int main(int argc, char** argv) {
  return tocsin::service::ServiceHost::Main(
      argc, argv,
      {.name = "escalation",
       .domains = {"engagement", "page"},
       .grpc_port = 7003,
       .http_port = 7103,
       .usage = "Tocsin escalation service: contacts, rotations, engagements, stage-by-stage "
                "paging."},
      tocsin::escalation::Wire);
}
