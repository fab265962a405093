// Every event type of the suite, by domain, each bound to its payload (see
// event_type.h). The domain is the part before the first dot; each domain is
// one JetStream stream (TOCSIN_INCIDENT, ...), published by one service.
#ifndef TOCSIN_LIBS_EVENTS_TYPES_H_
#define TOCSIN_LIBS_EVENTS_TYPES_H_

#include "libs/events/event_type.h"
#include "tocsin/admin/v1/admin.pb.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tocsin/runbook/v1/runbook.pb.h"

namespace tocsin::events {

// incident: published by the incidents service.
inline constexpr EventType<incidents::v1::IncidentOpened> kIncidentOpened{"incident.opened"};
inline constexpr EventType<incidents::v1::IncidentUpdated> kIncidentUpdated{"incident.updated"};
inline constexpr EventType<incidents::v1::IncidentResolved> kIncidentResolved{
    "incident.resolved"};

// timeline: published by the incidents service.
inline constexpr EventType<incidents::v1::TimelineAdded> kTimelineAdded{"timeline.added"};

// engagement: published by the escalation service.
inline constexpr EventType<escalation::v1::EngagementStarted> kEngagementStarted{
    "engagement.started"};
inline constexpr EventType<escalation::v1::EngagementStageStarted> kEngagementStageStarted{
    "engagement.stage_started"};
inline constexpr EventType<escalation::v1::EngagementStopped> kEngagementStopped{
    "engagement.stopped"};

// page: page.requested by the escalation service, the others by paging.
inline constexpr EventType<escalation::v1::PageRequested> kPageRequested{"page.requested"};
inline constexpr EventType<paging::v1::PageSent> kPageSent{"page.sent"};
inline constexpr EventType<paging::v1::PageDelivered> kPageDelivered{"page.delivered"};
inline constexpr EventType<paging::v1::PageFailed> kPageFailed{"page.failed"};
inline constexpr EventType<paging::v1::PageHeld> kPageHeld{"page.held"};
inline constexpr EventType<paging::v1::PageAcknowledged> kPageAcknowledged{"page.acknowledged"};

// runbook: published by the runbook service.
inline constexpr EventType<runbook::v1::ExecutionStarted> kRunbookExecutionStarted{
    "runbook.execution.started"};
inline constexpr EventType<runbook::v1::StepChanged> kRunbookStepChanged{"runbook.step.changed"};
inline constexpr EventType<runbook::v1::ExecutionFinished> kRunbookExecutionFinished{
    "runbook.execution.finished"};
inline constexpr EventType<runbook::v1::Notified> kRunbookNotified{"runbook.notified"};

// system: published by every service's host.
inline constexpr EventType<admin::v1::DeadLettered> kDeadLettered{"system.dead_lettered"};

}  // namespace tocsin::events

#endif  // TOCSIN_LIBS_EVENTS_TYPES_H_
