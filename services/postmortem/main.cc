// tocsin-postmortem: post-incident analyses. Makes each resolved incident's
// analysis (durable consumer "postmortem-incidents"), serves templates,
// analyses, action items, exports and the metrics across incidents over
// gRPC, and exports those metrics to Prometheus. Wiring only: the behaviour
// is in core.h, the service's life in libs/service/host.h.
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "libs/client/incidents_client.h"
#include "libs/client/options.h"
#include "libs/config/config.h"
#include "libs/event_record/event_record.h"
#include "libs/event_record/recording_service.h"
#include "libs/log/log.h"
#include "libs/service/host.h"
#include "libs/status/status_macros.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "services/postmortem/aggregate.h"
#include "services/postmortem/consumers.h"
#include "services/postmortem/core.h"
#include "services/postmortem/grpc_service.h"
#include "services/postmortem/ports.h"
#include "services/postmortem/sqlite_store.h"

using ::tocsin::config::EnvOr;

ABSL_FLAG(std::string, incidents_address, EnvOr("TOCSIN_INCIDENTS_ADDR", "127.0.0.1:7002"),
          "The incidents service's gRPC address (the incident, its timeline and alarms). Env "
          "TOCSIN_INCIDENTS_ADDR.");

namespace tocsin::postmortem {
namespace {

const char* StateLabel(v1::AnalysisState s) {
  switch (s) {
    case v1::ANALYSIS_STATE_DRAFT: return "draft";
    case v1::ANALYSIS_STATE_IN_REVIEW: return "in_review";
    case v1::ANALYSIS_STATE_PUBLISHED: return "published";
    default: return "unspecified";
  }
}

// Seconds: 10 s to 2 days.
prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800};
}

absl::Status Wire(service::ServiceHost& host) {
  ASSIGN_OR_RETURN(std::unique_ptr<event_record::EventRecord> opened,
                   event_record::EventRecord::Open(host.db_path(), host.clock(),
                                                   PostmortemMigrations()));
  event_record::EventRecord* record = host.Own(std::move(opened));
  RETURN_IF_ERROR(host.UseDatabase(record->database()));
  auto* store = host.Own(std::make_unique<SqlitePostmortemStore>(record->database()));
  auto* incidents = host.Own(std::make_unique<GrpcIncidentFacts>(client::IncidentsClient::Create(
      client::MakeChannel(absl::GetFlag(FLAGS_incidents_address)))));

  auto* created_total = &prometheus::BuildCounter()
                             .Name("tocsin_postmortem_analyses_created_total")
                             .Help("Post-incident analyses made: automatic (on incident.resolved) "
                                   "or by_hand.")
                             .Register(host.registry());
  auto* durations = &prometheus::BuildHistogram()
                         .Name("tocsin_postmortem_incident_duration_seconds")
                         .Help("The metrics of each resolved incident (observed once, when its "
                               "automatic analysis is made), by metric (time_to_detect ... "
                               "time_to_resolve) and response plan; a missing one is not "
                               "observed.")
                         .Register(host.registry());
  auto* counts = &prometheus::BuildHistogram()
                      .Name("tocsin_postmortem_incident_count")
                      .Help("Pages, people engaged and escalation stages reached of each "
                            "resolved incident, by metric and response plan.")
                      .Register(host.registry());
  CoreOptions options;
  options.on_created = [created_total](const v1::Analysis& a, bool automatic) {
    created_total->Add({{"how", automatic ? "automatic" : "by_hand"}}).Increment();
    log::Info("post-incident analysis made",
              {{"analysis_id", a.id()}, {"incident_id", a.incident_id()},
               {"how", automatic ? "automatic" : "by hand"}});
  };
  // Once per resolved incident, with its final metrics.
  options.on_analysed = [durations, counts](const v1::Analysis& a) {
    const std::string& plan = a.incident().response_plan();
    for (const std::string& name : MetricNames()) {
      std::optional<double> value = MetricValue(a.metrics(), name);
      if (!value.has_value()) continue;
      if (absl::StartsWith(name, "time_to_")) {
        durations->Add({{"metric", name}, {"plan", plan}}, DurationBuckets()).Observe(*value);
      } else {
        counts->Add({{"metric", name}, {"plan", plan}},
                    prometheus::Histogram::BucketBoundaries{0, 1, 2, 3, 5, 10, 20, 50})
            .Observe(*value);
      }
    }
  };
  auto* core = host.Own(std::make_unique<PostmortemCore>(store, incidents, host.clock(),
                                                         host.ids(), std::move(options)));
  for (v1::AnalysisState state : {v1::ANALYSIS_STATE_DRAFT, v1::ANALYSIS_STATE_IN_REVIEW,
                                  v1::ANALYSIS_STATE_PUBLISHED}) {
    host.gauges().Add("tocsin_postmortem_analyses", "Post-incident analyses, by state.",
                      {{"state", StateLabel(state)}}, [core, state]() -> absl::StatusOr<double> {
                        ASSIGN_OR_RETURN(auto by_state, core->CountAnalysesByState());
                        for (const auto& [s, n] : by_state) {
                          if (s == state) return static_cast<double>(n);
                        }
                        return 0.0;
                      });
  }
  for (const char* which : {"open", "overdue"}) {
    const bool overdue = std::string(which) == "overdue";
    host.gauges().Add("tocsin_postmortem_action_items",
                      "Action items not done: open (all of them) and overdue (past their due "
                      "date).",
                      {{"state", which}}, [core, overdue]() -> absl::StatusOr<double> {
                        ASSIGN_OR_RETURN(PostmortemCore::ActionCounts c, core->CountActionItems());
                        return static_cast<double>(overdue ? c.overdue : c.open);
                      });
  }
  AddConsumers(host, core, record, event_record::ObserveDeliveries(host.name(), host.registry()));
  host.AddGrpcService(host.Own(std::make_unique<PostmortemServiceImpl>(core, record)));
  log::Info("postmortem service ready",
            {{"incidents", absl::GetFlag(FLAGS_incidents_address)}});
  return absl::OkStatus();
}

}  // namespace
}  // namespace tocsin::postmortem

int main(int argc, char** argv) {
  return tocsin::service::ServiceHost::Main(
      argc, argv,
      {.name = "postmortem",
       .domains = {"postmortem"},
       .grpc_port = 7006,
       .http_port = 7106,
       .usage = "Tocsin postmortem service: post-incident analyses of resolved incidents "
                "(templates, timeline, metrics, answers, action items, exports)."},
      tocsin::postmortem::Wire);
}
