// tocsin-escalation: owns contacts and engagements; pages contacts stage by
// stage until a page is acknowledged or the incident resolved. Wiring only:
// the behaviour is in core.h, the service's life in libs/service/host.h.
#include <memory>

#include "libs/log/log.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "services/escalation/consumers.h"
#include "services/escalation/core.h"
#include "services/escalation/grpc_service.h"
#include "services/escalation/metrics.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

// How often due stage timers are fired.
constexpr absl::Duration kTimerTick = absl::Milliseconds(250);

absl::Status Wire(service::ServiceHost& host) {
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

  AddConsumers(host, core);
  host.AddGrpcService(host.Own(std::make_unique<ContactServiceImpl>(core)));
  host.AddGrpcService(host.Own(std::make_unique<EngagementServiceImpl>(core)));
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
       .usage = "Tocsin escalation service: contacts, engagements, stage-by-stage paging."},
      tocsin::escalation::Wire);
}
