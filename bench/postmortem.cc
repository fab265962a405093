// Post-incident analysis benchmark: how long the postmortem service takes to
// compute an incident's facts, export it and store it, for incidents from a
// handful of timeline entries to an alarm storm, and the metrics across many
// incidents. Prints figures (Google Benchmark); never fails on time.
//
//   bazel run -c opt //bench:postmortem
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "libs/clock/clock.h"
#include "libs/event_record/event_record.h"
#include "libs/ids/ids.h"
#include "libs/proto/time.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/postmortem/core.h"
#include "services/postmortem/export.h"
#include "services/postmortem/metrics.h"
#include "services/postmortem/sqlite_store.h"

namespace tocsin::postmortem {
namespace {

const absl::Time kOpened = absl::FromUnixSeconds(1772445600);

// An incident whose timeline has `entries` entries: alarms joining, pages
// to 5 people with retries, acknowledgements, runbook steps, notes.
IncidentFacts Incident(const std::string& id, int entries) {
  IncidentFacts f;
  f.incident.set_id(id);
  f.incident.set_title("Checkout latency high");
  f.incident.set_summary("p99 above 2 s");
  f.incident.set_impact(2);
  f.incident.set_response_plan("checkout");
  f.incident.set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
  *f.incident.mutable_create_time() = ToProtoTime(kOpened);
  *f.incident.mutable_resolve_time() = ToProtoTime(kOpened + absl::Seconds(entries + 60));
  const char* types[] = {"alarm", "page.sent", "page.delivered", "page.acknowledged",
                         "runbook.step.changed", "note"};
  for (int i = 0; i < entries; ++i) {
    incidents::v1::TimelineEvent e;
    e.set_id(absl::StrCat("tl-", i));
    e.set_type(types[i % 6]);
    e.set_message(absl::StrCat("Entry ", i, " of the incident, with | a pipe and some text"));
    *e.mutable_event_time() = ToProtoTime(kOpened + absl::Seconds(i));
    nlohmann::json data = {{"page_id", absl::StrCat("pg-", i / 6)},
                           {"contact", absl::StrCat("person-", i % 5)},
                           {"channel_kind", "email"},
                           {"stage", i % 3},
                           {"step", "mitigation"},
                           {"state", "STEP_STATE_SUCCESS"}};
    e.set_data_json(data.dump());
    e.set_author("paging");
    f.timeline.push_back(std::move(e));
    if (i % 6 == 0) {
      incidents::v1::IncidentAlarm alarm;
      alarm.set_outcome(incidents::v1::INGEST_OUTCOME_JOINED);
      alarm.mutable_alarm()->set_state(incidents::v1::ALARM_STATE_ALARM);
      *alarm.mutable_alarm()->mutable_state_time() = ToProtoTime(kOpened - absl::Seconds(30));
      f.alarms.push_back(std::move(alarm));
    }
  }
  return f;
}

void BM_ComputeFacts(benchmark::State& state) {
  const IncidentFacts facts = Incident("inc-1", static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ComputeFacts(facts));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel("timeline entries/s as items");
}
BENCHMARK(BM_ComputeFacts)->Arg(10)->Arg(1000)->Arg(20000);

class FakeIncidents final : public IncidentFactsPort {
 public:
  absl::StatusOr<IncidentFacts> Fetch(const std::string& id) override {
    IncidentFacts f = facts;
    f.incident.set_id(id);
    return f;
  }
  IncidentFacts facts;
};

struct Service {
  explicit Service(int entries) {
    const std::string path = absl::StrCat(testing::MakeTempDir("pm-bench"), "/pm.db");
    record = *event_record::EventRecord::Open(path, &clock, PostmortemMigrations());
    store = std::make_unique<SqlitePostmortemStore>(record->database());
    incidents.facts = Incident("inc", entries);
    core = std::make_unique<PostmortemCore>(store.get(), &incidents, &clock, &ids);
  }
  FakeClock clock{kOpened + absl::Hours(2)};
  RandomIdGenerator ids{&clock};
  FakeIncidents incidents;
  std::unique_ptr<event_record::EventRecord> record;
  std::unique_ptr<SqlitePostmortemStore> store;
  std::unique_ptr<PostmortemCore> core;
};

// incident.resolved → one stored analysis (facts, template, one transaction).
void BM_AnalyseResolved(benchmark::State& state) {
  Service service(static_cast<int>(state.range(0)));
  int n = 0;
  incidents::v1::Incident incident;
  for (auto _ : state) {
    incident.set_id(absl::StrCat("inc-", n++));
    if (!service.core->AnalyseResolved(incident).ok()) state.SkipWithError("AnalyseResolved");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("analyses/s as items");
}
BENCHMARK(BM_AnalyseResolved)->Arg(10)->Arg(1000)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_ExportMarkdown(benchmark::State& state) {
  Service service(static_cast<int>(state.range(0)));
  incidents::v1::Incident incident;
  incident.set_id("inc-export");
  (void)service.core->AnalyseResolved(incident);
  const std::string id = (*service.core->List("inc-export")).front().id();
  const v1::Analysis analysis = *service.core->Get(id);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string md = ExportMarkdown(analysis);
    bytes = md.size();
    benchmark::DoNotOptimize(md);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["markdown_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ExportMarkdown)->Arg(10)->Arg(1000)->Arg(20000)->Unit(benchmark::kMillisecond);

// tocsin postmortems metrics over N analyses (of 100-entry incidents).
void BM_MetricsAcrossIncidents(benchmark::State& state) {
  Service service(100);
  incidents::v1::Incident incident;
  for (int i = 0; i < state.range(0); ++i) {
    incident.set_id(absl::StrCat("inc-", i));
    (void)service.core->AnalyseResolved(incident);
  }
  for (auto _ : state) benchmark::DoNotOptimize(service.core->Metrics({}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel("analyses read/s as items");
}
BENCHMARK(BM_MetricsAcrossIncidents)->Arg(100)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tocsin::postmortem

BENCHMARK_MAIN();
