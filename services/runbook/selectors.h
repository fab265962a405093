// Step outputs: a value selected from a step's result (jsonpath.h) and converted to the
// Output's Type.
//
//   SelectOutput({"status": 200, "body": {"verdict": "down"}},
//                Output{.name = "Verdict", .selector = "$.body.verdict"})   // "down"
//
// Conversions (anything else is InvalidArgument naming the output, the selector and what was
// found, e.g. output "Count" ($.body.count): expected Integer, found a string "many"):
//   String      a string as is; a number or boolean rendered as text (200, true)
//   Integer     an integer, or a string of digits (optional '-'), e.g. "42"
//   Boolean     a boolean, or the string "true" / "false"
//   StringList  a list of strings; numbers and booleans in it rendered as text
//   StringMap   a mapping of strings; numbers and booleans in it rendered as text
// A selector that finds nothing is NotFound naming the output ("output "Verdict":
// $.body.verdict: no key "verdict""); a malformed one InvalidArgument.
//
// Thread-safety: pure functions, thread-safe.
#ifndef TOCSIN_SERVICES_RUNBOOK_SELECTORS_H_
#define TOCSIN_SERVICES_RUNBOOK_SELECTORS_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/runbook/document.h"
#include "services/runbook/jsonpath.h"  // IWYU pragma: export (Select, CheckSelector)

namespace tocsin::runbook {

absl::StatusOr<nlohmann::json> SelectOutput(const nlohmann::json& result, const Output& output);

// The conversion alone, for a value found elsewhere. InvalidArgument "expected TYPE, found ...".
absl::StatusOr<nlohmann::json> ConvertToType(const nlohmann::json& value, ValueType type);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_SELECTORS_H_
