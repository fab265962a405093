#include "libs/metrics/process.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "prometheus/gauge.h"

namespace tocsin::metrics {
namespace {

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help,
                                     prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The system's boot time (btime in /proc/stat), in seconds since the epoch.
double BootTime() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      double t = 0;
      if (absl::SimpleAtod(line.substr(6), &t)) return t;
    }
  }
  return 0;
}

int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream itself
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  // /proc/self/stat: the command name may hold spaces, so split after ')'.
  const std::string stat = ReadFile("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
    // After ')': state is field 3 of stat(5), so index i here is field i + 3.
    auto field = [&](int number) -> double {
      double v = 0;
      const size_t i = static_cast<size_t>(number - 3);
      if (i < fields.size()) absl::SimpleAtod(fields[i], &v);
      return v;
    };
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    out.push_back(GaugeFamily("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              prometheus::MetricType::Counter, (field(14) + field(15)) / ticks));
    out.push_back(GaugeFamily("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              prometheus::MetricType::Gauge, BootTime() + field(22) / ticks));
    out.push_back(GaugeFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                              prometheus::MetricType::Gauge, field(23)));
    out.push_back(GaugeFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                              prometheus::MetricType::Gauge, field(24) * page));
  }
  out.push_back(GaugeFamily("process_open_fds", "Number of open file descriptors.",
                            prometheus::MetricType::Gauge, CountOpenFds()));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(GaugeFamily("process_max_fds", "Maximum number of open file descriptors.",
                              prometheus::MetricType::Gauge,
                              static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

void CallbackGauges::Add(const std::string& name, const std::string& help, Labels labels,
                         Callback callback) {
  absl::MutexLock l(&mu_);
  samples_.push_back({name, help, std::move(labels), std::move(callback), false});
}

void CallbackGauges::AddCounter(const std::string& name, const std::string& help, Labels labels,
                                Callback callback) {
  absl::MutexLock l(&mu_);
  samples_.push_back({name, help, std::move(labels), std::move(callback), true});
}

void CallbackGauges::AddFamily(const std::string& name, const std::string& help,
                               FamilyCallback callback) {
  absl::MutexLock l(&mu_);
  families_.push_back({name, help, std::move(callback)});
}

std::vector<prometheus::MetricFamily> CallbackGauges::Collect() const {
  std::vector<Sample> samples;
  std::vector<Family> families;
  {
    absl::MutexLock l(&mu_);
    samples = samples_;
    families = families_;
  }
  std::vector<prometheus::MetricFamily> out;
  auto family_for = [&out](const std::string& name, const std::string& help,
                           bool counter = false) -> prometheus::MetricFamily& {
    for (auto& f : out) {
      if (f.name == name) return f;
    }
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
    out.push_back(std::move(f));
    return out.back();
  };
  auto add = [](prometheus::MetricFamily& f, const Labels& labels, double value) {
    prometheus::ClientMetric m;
    for (const auto& [k, v] : labels) m.label.push_back({k, v});
    if (f.type == prometheus::MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
  };
  for (const Sample& s : samples) {
    absl::StatusOr<double> value = s.callback();
    prometheus::MetricFamily& f = family_for(s.name, s.help, s.counter);
    if (value.ok()) add(f, s.labels, *value);
  }
  for (const Family& fam : families) {
    auto values = fam.callback();
    prometheus::MetricFamily& f = family_for(fam.name, fam.help);
    if (!values.ok()) continue;
    for (const auto& [labels, value] : *values) add(f, labels, value);
  }
  // A family without samples is left out (the text format allows it, but
  // promtool flags HELP without samples in some versions).
  std::vector<prometheus::MetricFamily> non_empty;
  for (auto& f : out) {
    if (!f.metric.empty()) non_empty.push_back(std::move(f));
  }
  return non_empty;
}

void RegisterBuildInfo(prometheus::Registry& registry, const std::string& service) {
  prometheus::BuildGauge()
      .Name("tocsin_build_info")
      .Help("Always 1; labelled with the service and the Tocsin version it runs.")
      .Register(registry)
      .Add({{"service", service}, {"version", kTocsinVersion}})
      .Set(1);
}

}  // namespace tocsin::metrics
