// GrpcIncidentFacts: IncidentFactsPort over the incidents service's gRPC API
// (GetIncident, every page of ListTimelineEvents and ListIncidentAlarms).
// Codes come back as the client gives them (NotFound, Unavailable,
// DeadlineExceeded). Thread-safe.
#ifndef TOCSIN_SERVICES_POSTMORTEM_PORTS_H_
#define TOCSIN_SERVICES_POSTMORTEM_PORTS_H_

#include <memory>
#include <string>
#include <utility>

#include "libs/client/incidents_client.h"
#include "services/postmortem/core.h"

namespace tocsin::postmortem {

class GrpcIncidentFacts final : public IncidentFactsPort {
 public:
  explicit GrpcIncidentFacts(std::unique_ptr<client::IncidentsClient> client)
      : client_(std::move(client)) {}
  absl::StatusOr<IncidentFacts> Fetch(const std::string& incident_id) override;

 private:
  std::unique_ptr<client::IncidentsClient> client_;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_PORTS_H_
