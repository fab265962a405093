#include "services/escalation/metrics.h"

#include <string>

#include "absl/strings/match.h"
#include "libs/events/types.h"

namespace tocsin::escalation {
namespace {

// How an engagement ended, as the outcome label.
std::string StopOutcome(const v1::Engagement& e) {
  switch (e.state()) {
    case v1::ENGAGEMENT_STATE_ACKNOWLEDGED:
      return "acknowledged";
    case v1::ENGAGEMENT_STATE_EXHAUSTED:
      return "exhausted";
    case v1::ENGAGEMENT_STATE_STOPPED:
      // Only an engagement of an existing contact carries its snapshot.
      if (!e.has_contact_snapshot()) return "unknown_contact";
      if (absl::StartsWith(e.stop_reason(), "stopped by hand")) return "stopped_by_hand";
      // Another target's acknowledgement stopped it (its plan was acknowledged).
      if (absl::StartsWith(e.stop_reason(), "acknowledged by")) return "superseded";
      return "resolved";
    default:
      return "other";
  }
}

}  // namespace

EscalationMetrics::EscalationMetrics(prometheus::Registry& registry)
    : pages_requested_(&prometheus::BuildCounter()
                            .Name("tocsin_escalation_pages_requested_total")
                            .Help("Pages requested from the paging service (one per stage).")
                            .Register(registry)
                            .Add({})),
      engagements_(&prometheus::BuildCounter()
                        .Name("tocsin_escalation_engagements_total")
                        .Help("Engagements started, and how they ended, by outcome.")
                        .Register(registry)) {}

void EscalationMetrics::Count(const events::v1::Envelope& event) {
  if (events::Is(event, events::kPageRequested)) {
    pages_requested_->Increment();
  } else if (events::Is(event, events::kEngagementStarted)) {
    engagements_->Add({{"outcome", "started"}}).Increment();
  } else if (events::Is(event, events::kEngagementStopped)) {
    absl::StatusOr<v1::EngagementStopped> stopped =
        events::Payload(event, events::kEngagementStopped);
    if (stopped.ok()) {
      engagements_->Add({{"outcome", StopOutcome(stopped->engagement())}}).Increment();
    }
  }
}

}  // namespace tocsin::escalation
