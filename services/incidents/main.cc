// tocsin-incidents: owns response plans, incidents and their timeline.
// Wiring only: the behaviour is in core.h, the service's life in
// libs/service/host.h.
#include <memory>

#include "absl/flags/flag.h"
#include "libs/config/config.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "services/incidents/consumers.h"
#include "services/incidents/core.h"
#include "services/incidents/grpc_service.h"
#include "services/incidents/sqlite_store.h"

ABSL_FLAG(std::string, default_plan, tocsin::config::EnvOr("TOCSIN_DEFAULT_PLAN", ""),
          "Response plan for alarms that match none; empty keeps them as unmatched. "
          "Env TOCSIN_DEFAULT_PLAN.");

namespace tocsin::incidents {
namespace {

absl::Status Wire(service::ServiceHost& host) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteIncidentStore> opened,
                   SqliteIncidentStore::Open(host.db_path(), host.clock()));
  SqliteIncidentStore* store = host.Own(std::move(opened));
  RETURN_IF_ERROR(host.UseDatabase(store->database()));

  IncidentsOptions options;
  options.default_plan = absl::GetFlag(FLAGS_default_plan);
  IncidentsCore* core =
      host.Own(std::make_unique<IncidentsCore>(store, host.clock(), host.ids(), options));
  host.gauges().Add("tocsin_incidents_open", "Incidents open now.", {},
                    [core]() -> absl::StatusOr<double> {
                      ASSIGN_OR_RETURN(int64_t n, core->CountOpenIncidents());
                      return static_cast<double>(n);
                    });
  // Idempotency keys: at least 48 h, since EventBridge and SNS retry for 24 h.
  host.AddPruner("ingest_records",
                 [core](absl::Time older_than) { return core->PruneIngestRecords(older_than); });

  AddConsumers(host, core);
  host.AddGrpcService(
      host.Own(std::make_unique<IncidentServiceImpl>(core, host.registry())));
  host.AddGrpcService(host.Own(std::make_unique<ResponsePlanServiceImpl>(core)));
  return absl::OkStatus();
}

}  // namespace
}  // namespace tocsin::incidents

int main(int argc, char** argv) {
  return tocsin::service::ServiceHost::Main(
      argc, argv,
      {.name = "incidents",
       .domains = {"incident", "timeline"},
       .grpc_port = 7002,
       .http_port = 7102,
       .usage = "Tocsin incidents service: response plans, incidents, timeline."},
      tocsin::incidents::Wire);
}
