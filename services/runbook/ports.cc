#include "services/runbook/ports.h"

#include "libs/status/status_macros.h"
#include "services/runbook/http_action.h"
#include "services/runbook/values.h"

namespace tocsin::runbook {

absl::StatusOr<incidents::v1::Incident> GrpcIncidentsPort::GetIncident(const std::string& id) {
  return client_->GetIncident(id);
}

absl::StatusOr<std::optional<incidents::v1::Alarm>> GrpcIncidentsPort::FirstAlarm(
    const std::string& incident_id) {
  ASSIGN_OR_RETURN(std::vector<incidents::v1::IncidentAlarm> alarms,
                   client_->ListIncidentAlarms(incident_id, 1));
  if (alarms.empty()) return std::optional<incidents::v1::Alarm>();
  return std::optional<incidents::v1::Alarm>(alarms.front().alarm());
}

absl::StatusOr<incidents::v1::Incident> GrpcIncidentsPort::UpdateIncident(
    const incidents::v1::UpdateIncidentRequest& request) {
  return client_->UpdateIncident(request);
}

absl::Status GrpcIncidentsPort::AddTimelineEvent(
    const incidents::v1::AddTimelineEventRequest& request) {
  return client_->AddTimelineEvent(request).status();
}

absl::StatusOr<incidents::v1::Incident> GrpcIncidentsPort::ResolveIncident(
    const std::string& id, const std::string& note, const std::string& author) {
  return client_->ResolveIncident(id, note, author);
}

absl::StatusOr<nlohmann::json> ActionStepRunner::Http(const nlohmann::json& inputs,
                                                      const EngineValues& values,
                                                      absl::Duration timeout) {
  HttpActionOptions options;
  options.timeout = timeout;
  options.secrets_dir = options_.secrets_dir;
  return RunHttpAction(inputs, values, options);
}

absl::StatusOr<nlohmann::json> ActionStepRunner::Command(
    const nlohmann::json& inputs, const EngineValues& values, absl::Duration timeout,
    const std::vector<std::pair<std::string, std::string>>& env) {
  ASSIGN_OR_RETURN(nlohmann::json substituted, SubstituteJson(inputs, values));
  CommandOptions options;
  options.allow_list = &options_.commands;
  options.timeout = timeout;
  options.env = env;
  return RunCommandAction(substituted, options);
}

}  // namespace tocsin::runbook
