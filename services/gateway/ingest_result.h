// JSON body of the gateway's answer to an accepted request: what happened to
// each event. Refusals use http::JsonError (libs/http).
//
//   std::vector<EventResult> results;
//   results.push_back({alarm.event_id(), OutcomeName(response.outcome()),
//                      response.incident_id(), response.response_plan(),
//                      response.detail(), response.duplicate()});
//   reply(200, ResultsBody(results));
#ifndef TOCSIN_SERVICES_GATEWAY_INGEST_RESULT_H_
#define TOCSIN_SERVICES_GATEWAY_INGEST_RESULT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::gateway {

// What the incidents service did with one event.
struct EventResult {
  std::string event_id;
  // "opened", "joined", "resolved", "ignored" or "unmatched" (OutcomeName).
  std::string outcome;
  std::string incident_id;
  std::string response_plan;
  // Why, e.g. "OK alarm with no open incident".
  std::string detail;
  // The event id had been ingested before: nothing changed.
  bool duplicate = false;
};

// {"results":[{"eventId":..,"outcome":..,"incidentId":..,"responsePlan":..,
// "detail":..,"duplicate":..}]}, one entry per result in order; empty strings
// are left out, "duplicate" is always there.
std::string ResultsBody(const std::vector<EventResult>& results);

// "opened", "joined", "resolved", "ignored", "unmatched"; "unspecified" for
// INGEST_OUTCOME_UNSPECIFIED or a value this build does not know.
std::string OutcomeName(tocsin::incidents::v1::IngestOutcome outcome);

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_INGEST_RESULT_H_
