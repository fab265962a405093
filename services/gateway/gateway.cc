#include "services/gateway/gateway.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/metrics/admin.h"
#include "services/gateway/eventbridge.h"
#include "services/gateway/ingest_result.h"

namespace tocsin::gateway {
namespace {

bool IsJsonContentType(absl::string_view content_type) {
  std::string media = absl::AsciiStrToLower(content_type.substr(0, content_type.find(';')));
  absl::StripAsciiWhitespace(&media);
  return media == "application/json" || absl::EndsWith(media, "+json");
}

}  // namespace

Gateway::Gateway(ApiKeyStore keys, AlarmSink* sink, prometheus::Registry& registry)
    : keys_(std::move(keys)),
      sink_(sink),
      requests_(&prometheus::BuildCounter()
                     .Name("tocsin_gateway_requests_total")
                     .Help("Ingestion requests by endpoint and HTTP status.")
                     .Register(registry)),
      events_(&prometheus::BuildCounter()
                   .Name("tocsin_gateway_events_total")
                   .Help("Events handed to the incidents service, by outcome.")
                   .Register(registry)),
      request_seconds_(&prometheus::BuildHistogram()
                            .Name("tocsin_gateway_request_seconds")
                            .Help("Time from request to answer, commit included.")
                            .Register(registry)
                            .Add({}, metrics::LatencyBuckets())) {}

void Gateway::Register(http::HttpServer& server) {
  // The key is checked as soon as the headers are in: a caller without one
  // never gets to send (or make us read) a body.
  server.Handle(
      "POST", "/v1/events/eventbridge",
      [this](const http::HttpRequest& r) { return HandleEventBridge(r); },
      {.authorize = [this](const http::HttpRequest& r) -> std::optional<http::HttpResponse> {
        if (auto refused = Authenticate(r)) return Count(*std::move(refused));
        return std::nullopt;
      }});
}

http::HttpResponse Gateway::Count(http::HttpResponse response) {
  requests_->Add({{"endpoint", "eventbridge"}, {"code", absl::StrCat(response.status)}})
      .Increment();
  return response;
}

std::optional<http::HttpResponse> Gateway::Authenticate(const http::HttpRequest& request) {
  std::string key = request.Header("x-api-key");
  if (key.empty()) {
    return http::JsonError(401, "missing_api_key",
                           "send the API key in the x-api-key header");
  }
  if (!keys_.Authenticate(key).has_value()) {
    return http::JsonError(401, "invalid_api_key", "the x-api-key header holds no valid key");
  }
  return std::nullopt;
}

http::HttpResponse Gateway::HandleEventBridge(const http::HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  auto observe = [&] {
    request_seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  if (auto refused = Authenticate(request)) return Count(*refused);
  std::string content_type = request.Header("content-type");
  if (!IsJsonContentType(content_type)) {
    return Count(http::JsonError(
        415, "unsupported_media_type",
        absl::StrCat("Content-Type must be application/json, got \"", content_type, "\"")));
  }
  auto alarms = ParseEventBridgeBody(request.body);
  if (!alarms.ok()) {
    const bool json_error = absl::StartsWith(alarms.status().message(), "body is not valid JSON");
    return Count(http::JsonError(400, json_error ? "invalid_json" : "invalid_event",
                                 alarms.status().message()));
  }
  std::vector<EventResult> results;
  results.reserve(alarms->size());
  for (size_t i = 0; i < alarms->size(); ++i) {
    const incidents::v1::Alarm& alarm = (*alarms)[i];
    auto ingested = sink_->Ingest(alarm);
    if (!ingested.ok()) {
      const absl::Status& s = ingested.status();
      if (s.code() == absl::StatusCode::kInvalidArgument) {
        return Count(http::JsonError(
            400, "invalid_event",
            absl::StrCat("event[", i, "] (id \"", alarm.event_id(), "\"): ", s.message())));
      }
      log::Warn("incidents service could not ingest an alarm",
                {{"event_id", alarm.event_id()}, {"error", s.ToString()}});
      http::HttpResponse r = http::JsonError(
          503, "incidents_unavailable",
          absl::StrCat("event[", i, "] (id \"", alarm.event_id(),
                       "\") could not be committed: ", s.message(),
                       "; retry the request (events are recognised by id)"));
      r.headers.push_back({"Retry-After", "1"});
      return Count(r);
    }
    EventResult result{alarm.event_id(),          OutcomeName(ingested->outcome()),
                       ingested->incident_id(),   ingested->response_plan(),
                       ingested->detail(),        ingested->duplicate()};
    events_->Add({{"outcome", result.duplicate ? "duplicate" : result.outcome}}).Increment();
    results.push_back(std::move(result));
  }
  http::HttpResponse response;
  response.body = ResultsBody(results);
  observe();
  return Count(response);
}

}  // namespace tocsin::gateway
