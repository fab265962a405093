// Gateway: the HTTP ingestion endpoints. Stateless: it authenticates, parses
// and checks every event of a request, hands them all to the incidents
// service in one call (committed there in one transaction), and answers 2xx
// only once they are committed.
//
//   POST /v1/events/eventbridge   one EventBridge event or a JSON array of them
//
// A request is validated whole, committed whole and answered per event:
//   200 {"results":[{"eventId","outcome","incidentId","responsePlan","detail","duplicate"}]}
//       one result per event, in order; "duplicate": true for an event id
//       seen before (in an earlier request or earlier in this one)
//   400 invalid_json / invalid_event   the body is not JSON (or not UTF-8), or
//       an event is malformed or invalid: the message names it
//       ('event[2] (id "abc"): ...'); nothing of the request is stored
//   401 missing_api_key / invalid_api_key   answered before the body is read
//   413 body_too_large                 over the size limit (1 MiB by default)
//   415 unsupported_media_type         Content-Type is not JSON
//   503 incidents_unavailable + Retry-After   transient (incidents service
//       unreachable, database busy): nothing of the request was stored (after a
//       timeout, perhaps all of it); retry the whole request, and events already
//       committed answer "duplicate": true
//   500 incidents_error                the incidents service failed otherwise
// Long fields are never a reason for a 4xx (a sender such as EventBridge
// never retries one): see services/incidents/alarms.h.
#ifndef TOCSIN_SERVICES_GATEWAY_GATEWAY_H_
#define TOCSIN_SERVICES_GATEWAY_GATEWAY_H_

#include <memory>
#include <vector>

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
  // Checks the parsed events with the incidents service's rules, hands them
  // over in one call and answers for all of them.
  http::HttpResponse HandOver(const std::vector<incidents::v1::Alarm>& alarms);

  ApiKeyStore keys_;
  AlarmSink* sink_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* events_;
  prometheus::Histogram* request_seconds_;
};

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_GATEWAY_H_
