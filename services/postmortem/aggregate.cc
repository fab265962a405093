#include "services/postmortem/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/proto/time.h"

namespace tocsin::postmortem {
namespace {

// One MetricsGroup: the metrics of the analyses in it.
v1::MetricsGroup Summarize(const std::string& plan, const std::string& month,
                           const std::vector<const v1::Metrics*>& analyses) {
  v1::MetricsGroup group;
  group.set_plan(plan);
  group.set_month(month);
  group.set_incidents(static_cast<int64_t>(analyses.size()));
  for (const std::string& name : MetricNames()) {
    std::vector<double> values;
    for (const v1::Metrics* metrics : analyses) {
      const std::optional<double> value = MetricValue(*metrics, name);
      if (value.has_value()) values.push_back(*value);
    }
    v1::MetricSummary* summary = group.add_metrics();
    summary->set_metric(name);
    summary->set_count(static_cast<int64_t>(values.size()));
    if (values.empty()) continue;
    double sum = 0;
    for (double value : values) sum += value;
    summary->set_mean(sum / static_cast<double>(values.size()));
    summary->set_p50(Percentile(values, 50));
    summary->set_p90(Percentile(std::move(values), 90));
  }
  return group;
}

}  // namespace

const std::vector<std::string>& MetricNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "time_to_detect",  "time_to_engage", "time_to_acknowledge", "time_to_mitigate",
      "time_to_resolve", "pages",          "people_engaged",      "stages_reached"};
  return *kNames;
}

std::optional<double> MetricValue(const v1::Metrics& metrics, const std::string& name) {
  if (name == "time_to_detect") {
    if (!metrics.has_time_to_detect_seconds()) return std::nullopt;
    return metrics.time_to_detect_seconds();
  }
  if (name == "time_to_engage") {
    if (!metrics.has_time_to_engage_seconds()) return std::nullopt;
    return metrics.time_to_engage_seconds();
  }
  if (name == "time_to_acknowledge") {
    if (!metrics.has_time_to_acknowledge_seconds()) return std::nullopt;
    return metrics.time_to_acknowledge_seconds();
  }
  if (name == "time_to_mitigate") {
    if (!metrics.has_time_to_mitigate_seconds()) return std::nullopt;
    return metrics.time_to_mitigate_seconds();
  }
  if (name == "time_to_resolve") {
    if (!metrics.has_time_to_resolve_seconds()) return std::nullopt;
    return metrics.time_to_resolve_seconds();
  }
  if (name == "pages") return static_cast<double>(metrics.pages());
  if (name == "people_engaged") return static_cast<double>(metrics.people_engaged());
  if (name == "stages_reached") return static_cast<double>(metrics.stages_reached());
  return std::nullopt;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  // p * n / 100 (rather than p / 100 * n) is exact whenever the rank is a
  // whole number, so ceil does not round 9.000000000000002 up to 10.
  double rank = std::ceil(p * n / 100.0);
  rank = std::min(std::max(rank, 1.0), n);
  return values[static_cast<size_t>(rank) - 1];
}

bool IsOverdue(const v1::ActionItem& item, absl::CivilDay today) {
  if (item.state() == v1::ACTION_ITEM_STATE_DONE) return false;
  absl::CivilDay due;
  if (!absl::ParseCivilTime(item.due_date(), &due)) return false;
  return due < today;
}

v1::GetMetricsResponse Aggregate(const std::vector<v1::Analysis>& analyses,
                                 const std::vector<v1::ActionItem>& action_items,
                                 absl::CivilDay today) {
  // plan → month ("YYYY-MM", ordered oldest first) → the analyses' metrics.
  std::map<std::string, std::map<std::string, std::vector<const v1::Metrics*>>> by_plan;
  for (const v1::Analysis& analysis : analyses) {
    const std::string month = absl::FormatTime(
        "%Y-%m", FromProtoTime(analysis.incident().create_time()), absl::UTCTimeZone());
    by_plan[analysis.incident().response_plan()][month].push_back(&analysis.metrics());
  }

  v1::GetMetricsResponse response;
  for (const auto& [plan, months] : by_plan) {
    std::vector<const v1::Metrics*> total;
    for (const auto& [month, metrics] : months) {
      *response.add_groups() = Summarize(plan, month, metrics);
      total.insert(total.end(), metrics.begin(), metrics.end());
    }
    *response.add_groups() = Summarize(plan, "", total);
  }

  // Owners with open items (done ones are history), by name.
  std::map<std::string, std::pair<int64_t, int64_t>> by_owner;
  for (const v1::ActionItem& item : action_items) {
    if (item.state() == v1::ACTION_ITEM_STATE_DONE) continue;
    auto& [open, overdue] = by_owner[item.owner()];
    ++open;
    if (IsOverdue(item, today)) ++overdue;
  }
  for (const auto& [owner, counts] : by_owner) {
    v1::OwnerActions* actions = response.add_owners();
    actions->set_owner(owner);
    actions->set_open(counts.first);
    actions->set_overdue(counts.second);
  }
  return response;
}

}  // namespace tocsin::postmortem
