// The facts of a post-incident analysis, computed from what the incidents
// service knows of an incident: its metrics (docs/postmortems.md defines
// each), the people it reached and its first alarm's time. Pure functions of
// their inputs (no clock, no I/O): the same incident always gives the same
// facts.
//
// Times come from the timeline. A reported entry (page.*, engagement.*,
// runbook.*) carries its event's own time as data_json "occurred" (RFC 3339);
// that time is used when present, else the entry's event_time (when the
// incidents service wrote it). Durations are measured from the incident's
// create_time and are never negative (clocks of different machines may
// disagree by a little: a negative difference counts as 0). A duration with
// nothing to measure stays unset (missing), never 0.
#ifndef TOCSIN_SERVICES_POSTMORTEM_METRICS_H_
#define TOCSIN_SERVICES_POSTMORTEM_METRICS_H_

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {

struct IncidentFacts {
  // The incident as it stands, its complete timeline (oldest first) and its
  // alarms in full (arrival order).
  incidents::v1::Incident incident;
  std::vector<incidents::v1::TimelineEvent> timeline;
  std::vector<incidents::v1::IncidentAlarm> alarms;
};

struct ComputedFacts {
  v1::Metrics metrics;
  // By first page sent, earliest first.
  std::vector<v1::PersonEngaged> people;
  // The earliest state-change time of an alarm that opened or joined it.
  std::optional<absl::Time> first_alarm_time;
};

ComputedFacts ComputeFacts(const IncidentFacts& facts);

// When a timeline entry happened: data_json "occurred" if it is there and
// valid, else event_time.
absl::Time EntryTime(const incidents::v1::TimelineEvent& entry);

// Whether a runbook step of this name is the runbook's mitigation step (its
// success marks the incident mitigated): the name, in lower case, starts
// with "mitigat" ("mitigation", "Mitigate", "mitigate-failover").
bool IsMitigationStep(absl::string_view step_name);

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_METRICS_H_
