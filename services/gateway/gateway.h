// Gateway: the HTTP ingestion endpoints. Stateless: it authenticates, parses
// and hands each alarm to the incidents service, and answers 2xx only once
// every event of the request is committed there.
//
//   POST /v1/events/eventbridge   one EventBridge event or a JSON array of them
//
// Answers (JSON):
//   200 {"results":[{"eventId","outcome","incidentId","responsePlan","detail","duplicate"}]}
//   400 invalid_json / invalid_event   the body or an event is malformed; nothing stored
//   401 missing_api_key / invalid_api_key   answered before the body is read
//   413 body_too_large                 over the size limit (1 MiB by default)
//   415 unsupported_media_type         Content-Type is not JSON
//   503 incidents_unavailable          the incidents service could not commit; retry
//                                      (events already answered are kept, and a
//                                      retry of them is recognised by event id)
#ifndef TOCSIN_SERVICES_GATEWAY_GATEWAY_H_
#define TOCSIN_SERVICES_GATEWAY_GATEWAY_H_

#include <memory>

#include "libs/http/http_server.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/gateway/alarm_sink.h"
#include "services/gateway/api_keys.h"

namespace tocsin::gateway {

class Gateway {
 public:
  Gateway(ApiKeyStore keys, AlarmSink* sink, prometheus::Registry& registry);

  // Adds the ingestion routes to server.
  void Register(http::HttpServer& server);

  // Authenticates too, so it is safe to call on its own.
  http::HttpResponse HandleEventBridge(const http::HttpRequest& request);

 private:
  // The error response if the request is not authenticated, else nullopt.
  std::optional<http::HttpResponse> Authenticate(const http::HttpRequest& request);
  http::HttpResponse Count(http::HttpResponse response);

  ApiKeyStore keys_;
  AlarmSink* sink_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* events_;
  prometheus::Histogram* request_seconds_;
};

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_GATEWAY_H_
