#include "services/incidents/consumers.h"

#include "services/incidents/reported_events.h"

namespace tocsin::incidents {

void AddConsumers(service::ConsumerRegistry& consumers, IncidentsCore* core) {
  auto record = [core](const bus::Envelope& e) { return RecordReportedEvent(*core, e); };
  consumers.AddConsumer({.durable_name = kEngagementsConsumer, .types = ReportedEngagementTypes()},
                        record);
  consumers.AddConsumer({.durable_name = kPagesConsumer, .types = ReportedPageTypes()}, record);
  consumers.AddConsumer({.durable_name = kRunbooksConsumer, .types = ReportedRunbookTypes()},
                        record);
  consumers.AddConsumer({.durable_name = kSystemConsumer, .types = ReportedSystemTypes()},
                        record);
}

}  // namespace tocsin::incidents
