#include "services/runbook/grpc_service.h"

#include "libs/grpc/status.h"

namespace tocsin::runbook {

grpc::Status RunbookServiceImpl::ListReceivedEvents(grpc::ServerContext*,
                                                    const v1::ListReceivedEventsRequest* req,
                                                    v1::ListReceivedEventsResponse* resp) {
  return ToGrpcStatus(event_record::ListReceivedEvents(*record_, req->incident_id(), resp));
}

}  // namespace tocsin::runbook
