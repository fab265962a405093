// The engine's ports to the outside, for the service binary:
//   GrpcIncidentsPort  IncidentsPort over the incidents service's gRPC API;
//   ActionStepRunner   StepRunner over http_action.h and command_action.h.
// Both are thread-safe (the engine calls them from its worker threads).
#ifndef TOCSIN_SERVICES_RUNBOOK_PORTS_H_
#define TOCSIN_SERVICES_RUNBOOK_PORTS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libs/client/incidents_client.h"
#include "services/runbook/command_action.h"
#include "services/runbook/engine.h"

namespace tocsin::runbook {

class GrpcIncidentsPort final : public IncidentsPort {
 public:
  explicit GrpcIncidentsPort(std::unique_ptr<client::IncidentsClient> client)
      : client_(std::move(client)) {}

  absl::StatusOr<incidents::v1::Incident> GetIncident(const std::string& id) override;
  absl::StatusOr<std::optional<incidents::v1::Alarm>> FirstAlarm(
      const std::string& incident_id) override;
  absl::StatusOr<incidents::v1::Incident> UpdateIncident(
      const incidents::v1::UpdateIncidentRequest& request) override;
  absl::Status AddTimelineEvent(const incidents::v1::AddTimelineEventRequest& request) override;
  absl::StatusOr<incidents::v1::Incident> ResolveIncident(const std::string& id,
                                                         const std::string& note,
                                                         const std::string& author) override;

 private:
  const std::unique_ptr<client::IncidentsClient> client_;
};

struct StepRunnerOptions {
  // Where {{ secret.NAME }} header values are read from (empty: none).
  std::string secrets_dir;
  // tocsin:command programs (empty: none allowed).
  CommandAllowList commands;
};

class ActionStepRunner final : public StepRunner {
 public:
  explicit ActionStepRunner(StepRunnerOptions options) : options_(std::move(options)) {}

  absl::StatusOr<nlohmann::json> Http(const nlohmann::json& inputs, const EngineValues& values,
                                      absl::Duration timeout) override;
  absl::StatusOr<nlohmann::json> Command(
      const nlohmann::json& inputs, const EngineValues& values, absl::Duration timeout,
      const std::vector<std::pair<std::string, std::string>>& env) override;

 private:
  const StepRunnerOptions options_;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_PORTS_H_
