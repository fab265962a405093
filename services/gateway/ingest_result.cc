#include "services/gateway/ingest_result.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace tocsin::gateway {
namespace {

using ::nlohmann::json;
using ::tocsin::incidents::v1::IngestOutcome;

// Invalid UTF-8 (a message may quote raw input) becomes U+FFFD instead of
// throwing.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void SetIfNotEmpty(json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

}  // namespace

std::string ResultsBody(const std::vector<EventResult>& results) {
  json entries = json::array();
  for (const EventResult& result : results) {
    json entry = json::object();
    SetIfNotEmpty(entry, "eventId", result.event_id);
    SetIfNotEmpty(entry, "outcome", result.outcome);
    SetIfNotEmpty(entry, "incidentId", result.incident_id);
    SetIfNotEmpty(entry, "responsePlan", result.response_plan);
    SetIfNotEmpty(entry, "detail", result.detail);
    entry["duplicate"] = result.duplicate;
    entries.push_back(std::move(entry));
  }
  return Dump({{"results", std::move(entries)}});
}

std::string OutcomeName(IngestOutcome outcome) {
  switch (outcome) {
    case IngestOutcome::INGEST_OUTCOME_OPENED:
      return "opened";
    case IngestOutcome::INGEST_OUTCOME_JOINED:
      return "joined";
    case IngestOutcome::INGEST_OUTCOME_RESOLVED:
      return "resolved";
    case IngestOutcome::INGEST_OUTCOME_IGNORED:
      return "ignored";
    case IngestOutcome::INGEST_OUTCOME_UNMATCHED:
      return "unmatched";
    default:
      return "unspecified";
  }
}

}  // namespace tocsin::gateway
