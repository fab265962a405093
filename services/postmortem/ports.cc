#include "services/postmortem/ports.h"

#include "libs/status/status_macros.h"

namespace tocsin::postmortem {

absl::StatusOr<IncidentFacts> GrpcIncidentFacts::Fetch(const std::string& incident_id) {
  IncidentFacts facts;
  ASSIGN_OR_RETURN(facts.incident, client_->GetIncident(incident_id));
  ASSIGN_OR_RETURN(facts.timeline, client_->ListTimeline(incident_id));
  ASSIGN_OR_RETURN(facts.alarms, client_->ListAllIncidentAlarms(incident_id));
  return facts;
}

}  // namespace tocsin::postmortem
