// What other services report about an incident, written onto its timeline.
//
// The incidents service consumes engagement.* (escalation), page.* (paging:
// sent, delivered, failed, held by a rate limit, acknowledged), runbook.*
// (runbook: executions started and finished, step changes, notifications)
// and system.dead_lettered (every service) events and turns each into one timeline entry, keyed by the
// event's id: a redelivered event finds its entry and adds nothing.
#ifndef TOCSIN_SERVICES_INCIDENTS_REPORTED_EVENTS_H_
#define TOCSIN_SERVICES_INCIDENTS_REPORTED_EVENTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/incidents/core.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::incidents {

// The event types written to the timeline, by consumer (one domain each).
const std::vector<std::string>& ReportedEngagementTypes();
const std::vector<std::string>& ReportedPageTypes();
// runbook.execution.started|finished, runbook.step.changed, runbook.notified
// (the runbook service): each step change, once.
const std::vector<std::string>& ReportedRunbookTypes();
// system.dead_lettered from every service: "this service set aside an event
// of this incident" goes onto its timeline.
const std::vector<std::string>& ReportedSystemTypes();

// The timeline entry for an event, or InvalidArgument if the payload is not
// the one its type promises.
absl::StatusOr<v1::AddTimelineEventRequest> TimelineEntryFor(const Envelope& event);

// Writes the event's entry once. An event about an incident this service
// does not know is logged and skipped (OK), so it never blocks the consumer;
// one about no incident (an engagement by hand without one, an activation
// page) is skipped silently.
absl::Status RecordReportedEvent(IncidentsCore& core, const Envelope& event);

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_REPORTED_EVENTS_H_
