#include "services/postmortem/grpc_service.h"

#include "libs/grpc/status.h"

namespace tocsin::postmortem {

grpc::Status PostmortemServiceImpl::ListReceivedEvents(grpc::ServerContext*,
                                                    const v1::ListReceivedEventsRequest* req,
                                                    v1::ListReceivedEventsResponse* resp) {
  return ToGrpcStatus(event_record::ListReceivedEvents(*record_, req->incident_id(), resp));
}

}  // namespace tocsin::postmortem
