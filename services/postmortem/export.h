// Exports of a post-incident analysis: Markdown for people (title, summary,
// impact, metrics table, people engaged, timeline, questions and answers,
// action items, history) and a JSON document for tools (every field of the
// analysis, keys in camelCase as every other JSON of the suite; a missing
// metric is null). Pure functions: the same analysis
// always exports to the same bytes, so tests compare with expected files.
//
// Times are printed in UTC ("2026-03-01 14:05:09 UTC"), durations as
// "1h 02m 05s" / "4m 10s" / "12s"; a missing metric is "—" in Markdown.
// Text from people and alarms is escaped so it cannot break the table or
// the document's structure (pipes, newlines in table cells, leading '#').
#ifndef TOCSIN_SERVICES_POSTMORTEM_EXPORT_H_
#define TOCSIN_SERVICES_POSTMORTEM_EXPORT_H_

#include <optional>
#include <string>

#include "nlohmann/json.hpp"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {

std::string ExportMarkdown(const v1::Analysis& analysis);

// The JSON document (ExportAnalysis with EXPORT_FORMAT_JSON, and what
// `tocsin postmortems show --output json` prints).
nlohmann::json ExportJson(const v1::Analysis& analysis);

// "1h 02m 05s", "4m 10s", "12s", "—" when missing. Whole seconds (rounded
// down); days as hours ("49h 00m 00s").
std::string FormatDuration(std::optional<double> seconds);

// "draft", "in-review", "published" (the CLI's and the JSON's spelling), or
// "unspecified".
std::string AnalysisStateName(v1::AnalysisState state);

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_EXPORT_H_
