// The incidents service's durable consumers, in one place: what escalation
// and paging report (engagement.*, page.*) and what any service set aside
// (system.dead_lettered) goes onto the incident's timeline, once per event.
//
//   AddConsumers(host, core);   // host: the service's ServiceHost
#ifndef TOCSIN_SERVICES_INCIDENTS_CONSUMERS_H_
#define TOCSIN_SERVICES_INCIDENTS_CONSUMERS_H_

#include "libs/service/consumers.h"
#include "services/incidents/core.h"

namespace tocsin::incidents {

inline constexpr char kEngagementsConsumer[] = "incidents-engagements";
inline constexpr char kPagesConsumer[] = "incidents-pages";
inline constexpr char kSystemConsumer[] = "incidents-system";
inline constexpr char kRunbooksConsumer[] = "incidents-runbooks";

// Adds the four consumers; core must outlive them.
void AddConsumers(service::ConsumerRegistry& consumers, IncidentsCore* core);

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_CONSUMERS_H_
