// Metrics every Tocsin process exposes beside its own:
//   process_cpu_seconds_total, process_resident_memory_bytes,
//   process_virtual_memory_bytes, process_open_fds, process_max_fds,
//   process_start_time_seconds   (the standard Prometheus process metrics,
//                                 read from /proc/self at each scrape)
//   tocsin_build_info{service, version}   1, so dashboards and alerts can tell
//                                 what runs where.
// And CallbackGauges: gauges whose value is computed at scrape time (open
// incidents, pages waiting, outbox lag), for figures that live in a database
// rather than in a counter the code bumps.
//
//   auto gauges = std::make_shared<CallbackGauges>();
//   gauges->Add("tocsin_paging_pages_waiting", "Pages waiting ...", {}, [&] { return n; });
//   RegisterBuildInfo(*registry, "paging");
//   RegisterAdminEndpoints(server, {registry, std::make_shared<ProcessCollector>(), gauges},
//                          checks);
//
// Collect() runs on the scraping thread; callbacks must be thread-safe and
// quick. A callback that fails (returns an error) leaves its sample out of
// that scrape rather than exporting a wrong value.
#ifndef TOCSIN_LIBS_METRICS_PROCESS_H_
#define TOCSIN_LIBS_METRICS_PROCESS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace tocsin::metrics {

// The version every binary reports in tocsin_build_info.
inline constexpr char kTocsinVersion[] = "0.3.0-dev";

class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

class CallbackGauges : public prometheus::Collectable {
 public:
  using Labels = std::map<std::string, std::string>;
  using Callback = std::function<absl::StatusOr<double>()>;

  // Adds one sample (name + labels) computed by callback at every scrape.
  // Samples with the same name form one family (the first help text wins).
  void Add(const std::string& name, const std::string& help, Labels labels, Callback callback);
  // The same for a counter kept elsewhere (a total since start).
  void AddCounter(const std::string& name, const std::string& help, Labels labels,
                  Callback callback);
  // A family whose samples (label sets and values) come from one callback,
  // e.g. row counts per table.
  using FamilyCallback = std::function<absl::StatusOr<std::vector<std::pair<Labels, double>>>()>;
  void AddFamily(const std::string& name, const std::string& help, FamilyCallback callback);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Sample {
    std::string name;
    std::string help;
    Labels labels;
    Callback callback;
    bool counter = false;
  };
  struct Family {
    std::string name;
    std::string help;
    FamilyCallback callback;
  };
  mutable absl::Mutex mu_;
  std::vector<Sample> samples_ ABSL_GUARDED_BY(mu_);
  std::vector<Family> families_ ABSL_GUARDED_BY(mu_);
};

// Adds tocsin_build_info{service, version} = 1 to registry.
void RegisterBuildInfo(prometheus::Registry& registry, const std::string& service);

}  // namespace tocsin::metrics

#endif  // TOCSIN_LIBS_METRICS_PROCESS_H_
