// The postmortem service's gRPC API. For now PostmortemService answers
// ListReceivedEvents from the record of the incident events the service
// consumed (libs/event_record); analyses, questions and action items come later.
#ifndef TOCSIN_SERVICES_POSTMORTEM_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_POSTMORTEM_GRPC_SERVICE_H_

#include "libs/event_record/event_record.h"
#include "tocsin/postmortem/v1/postmortem.grpc.pb.h"

namespace tocsin::postmortem {

class PostmortemServiceImpl final : public v1::PostmortemService::Service {
 public:
  explicit PostmortemServiceImpl(event_record::EventRecord* record) : record_(record) {}

  grpc::Status ListReceivedEvents(grpc::ServerContext*, const v1::ListReceivedEventsRequest*,
                                  v1::ListReceivedEventsResponse*) override;

 private:
  event_record::EventRecord* const record_;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_GRPC_SERVICE_H_
