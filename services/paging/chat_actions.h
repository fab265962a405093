// ChatActions: what a chat button does (Slack app mode's Acknowledge and
// Resolve), in terms of the paging core and the incidents service. The
// answers are for the person who pressed the button.
//
// Acknowledge(incident, author): every engagement of the incident that is
// still paging someone is acknowledged through its newest page (as a
// provider-verified acknowledgement by `author`, e.g. "slack:U0123 (alice)"),
// so escalation stops exactly as if the person had acknowledged that page.
// Answers "Acknowledged inc-1 (2 engagements)" or, when someone was first,
// "inc-1 was already acknowledged by sms:+81... at 2026-12-02 03:04:05 UTC".
// FailedPrecondition when nobody has been paged (nothing to acknowledge) or
// the incident is resolved.
//
// Resolve(incident, author): the incidents service's ResolveIncident with a
// note saying who resolved it from chat; an incident resolved before answers
// "inc-1 was already resolved".
//
// Thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_CHAT_ACTIONS_H_
#define TOCSIN_SERVICES_PAGING_CHAT_ACTIONS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "services/paging/core.h"
#include "services/paging/slack_interactions.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::paging {

// Resolves an incident in the incidents service (a gRPC call in main; a
// fake in tests): (incident id, note, author).
using IncidentResolver = std::function<absl::StatusOr<incidents::v1::Incident>(
    const std::string&, const std::string&, const std::string&)>;

class ChatActions final : public SlackActions {
 public:
  ChatActions(PagingCore* core, IncidentResolver resolver)
      : core_(core), resolver_(std::move(resolver)) {}

  absl::StatusOr<std::string> Acknowledge(const std::string& incident_id,
                                          const std::string& author) override;
  absl::StatusOr<std::string> Resolve(const std::string& incident_id,
                                      const std::string& author) override;

 private:
  PagingCore* const core_;
  const IncidentResolver resolver_;
};

// "2026-12-02 03:04:05 UTC".
std::string ChatTime(absl::Time t);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_ACTIONS_H_
