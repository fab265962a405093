// Metrics across incidents: per response plan and per month (UTC, of the
// incident's opening), the count, mean, p50 and p90 of each metric over the
// analyses that have it (a missing metric is left out, never counted as 0),
// and open and overdue action items per owner. A pure function of the
// analyses and action items given (the caller selects them).
//
// Percentiles are nearest-rank: p of n sorted values is the value at rank
// ceil(p/100 * n) (1-based), so p50 of {1,2,3,4} is 2 and p90 of one value
// is that value.
#ifndef TOCSIN_SERVICES_POSTMORTEM_AGGREGATE_H_
#define TOCSIN_SERVICES_POSTMORTEM_AGGREGATE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {

// The metric names, in the order they are reported.
const std::vector<std::string>& MetricNames();

// The value of metric `name` in `metrics`; nullopt when missing (or an
// unknown name).
std::optional<double> MetricValue(const v1::Metrics& metrics, const std::string& name);

// One analysis per incident is counted: the analyses given should be that
// (the service passes the newest analysis of each incident). Groups are
// ordered by plan name; within a plan, months oldest first, then the plan's
// total (month ""). An incident with no plan is grouped under plan "".
// `today` decides what is overdue (due_date before it).
v1::GetMetricsResponse Aggregate(const std::vector<v1::Analysis>& analyses,
                                 const std::vector<v1::ActionItem>& action_items,
                                 absl::CivilDay today);

// Nearest-rank percentile of values (not empty, any order).
double Percentile(std::vector<double> values, double p);

// Whether an open action item is overdue on `today` (due_date before it).
// Items with an unparsable due date are never overdue.
bool IsOverdue(const v1::ActionItem& item, absl::CivilDay today);

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_AGGREGATE_H_
