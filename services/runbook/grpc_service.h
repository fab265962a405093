// The runbook service's gRPC API. For now RunbookService answers
// ListReceivedEvents from the record of the incident events the service
// consumed (libs/event_record); runbooks and executions come later.
#ifndef TOCSIN_SERVICES_RUNBOOK_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_RUNBOOK_GRPC_SERVICE_H_

#include "libs/event_record/event_record.h"
#include "tocsin/runbook/v1/runbook.grpc.pb.h"

namespace tocsin::runbook {

class RunbookServiceImpl final : public v1::RunbookService::Service {
 public:
  explicit RunbookServiceImpl(event_record::EventRecord* record) : record_(record) {}

  grpc::Status ListReceivedEvents(grpc::ServerContext*, const v1::ListReceivedEventsRequest*,
                                  v1::ListReceivedEventsResponse*) override;

 private:
  event_record::EventRecord* const record_;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_GRPC_SERVICE_H_
