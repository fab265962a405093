#include "services/gateway/gateway.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/log/log.h"
#include "libs/metrics/admin.h"
#include "libs/status/retry.h"
#include "libs/text/text.h"
#include "services/gateway/eventbridge.h"
#include "services/gateway/ingest_result.h"
#include "services/incidents/alarms.h"

namespace tocsin::gateway {
namespace {

// What the incidents service's gRPC server accepts in one message is 4 MiB;
// leave room for the request's framing.
constexpr size_t kMaxHandOverBytes = (4 << 20) - (64 << 10);
constexpr size_t kPerAlarmOverheadBytes = 8;

// "event[2] (id \"abc\")", as the parser names events in its errors.
std::string EventName(size_t index, const incidents::v1::Alarm& alarm) {
  return absl::StrCat("event[", index, "] (id \"", text::UntrustedLine(alarm.event_id(), 80),
                      "\")");
}

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
  http::HttpResponse response = HandOver(*alarms);
  observe();
  return Count(response);
}

http::HttpResponse Gateway::HandOver(const std::vector<incidents::v1::Alarm>& alarms) {
  // Everything the incidents service would refuse is refused here, before
  // anything is handed over.
  if (alarms.size() > static_cast<size_t>(incidents::kMaxAlarmsPerBatch)) {
    return http::JsonError(400, "invalid_event",
                           absl::StrCat("the body holds ", alarms.size(),
                                        " events; send at most ", incidents::kMaxAlarmsPerBatch,
                                        " per request"));
  }
  size_t hand_over_bytes = 0;
  for (size_t i = 0; i < alarms.size(); ++i) {
    if (absl::Status s = incidents::ValidateAlarm(alarms[i]); !s.ok()) {
      return http::JsonError(400, "invalid_event", absl::StrCat(EventName(i, alarms[i]), ": ",
                                                                s.message()));
    }
    hand_over_bytes += alarms[i].ByteSizeLong() + kPerAlarmOverheadBytes;
  }
  if (hand_over_bytes > kMaxHandOverBytes) {
    return http::JsonError(
        413, "body_too_large",
        absl::StrCat("the events make ", hand_over_bytes,
                     " bytes for the incidents service, over its limit of ", kMaxHandOverBytes,
                     "; send fewer events per request"));
  }

  auto ingested = sink_->IngestAll(alarms);
  if (!ingested.ok()) {
    const absl::Status& s = ingested.status();
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      return http::JsonError(400, "invalid_event", s.message());
    }
    log::Warn("incidents service could not ingest a request's events",
              {{"event_id", alarms[0].event_id()},
               {"events", absl::StrCat(alarms.size())},
               {"error", s.ToString()}});
    if (IsTransient(s)) {
      http::HttpResponse r = http::JsonError(
          503, "incidents_unavailable",
          absl::StrCat("the ", alarms.size(), " event(s) could not be committed: ", s.message(),
                       "; retry the whole request (events already committed are recognised "
                       "by id and answer \"duplicate\": true)"));
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    return http::JsonError(500, "incidents_error",
                           absl::StrCat("the incidents service failed: ", s.message()));
  }
  std::vector<EventResult> results;
  results.reserve(alarms.size());
  for (size_t i = 0; i < alarms.size(); ++i) {
    const incidents::v1::IngestAlarmResponse& answered = (*ingested)[i];
    EventResult result{alarms[i].event_id(),     OutcomeName(answered.outcome()),
                       answered.incident_id(),   answered.response_plan(),
                       answered.detail(),        answered.duplicate()};
    events_->Add({{"outcome", result.duplicate ? "duplicate" : result.outcome}}).Increment();
    results.push_back(std::move(result));
  }
  http::HttpResponse response;
  response.body = ResultsBody(results);
  return response;
}


}  // namespace tocsin::gateway
