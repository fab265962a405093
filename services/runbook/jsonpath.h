// The JSONPath subset runbook selectors use (Output.Selector, tocsin:waitFor Until selectors):
//
//   $                 the whole document
//   .name             a key: letters, digits, '_' or '-'
//   ['name'] ["name"] a key, any characters but its quote (no escapes)
//   [N]               a non-negative array index (at most 9 digits)
//
//   Select({"body": {"items": [{"id": 7}]}}, "$.body.items[0]['id']")  // 7
//
// No wildcards, filters, slices or recursive descent. The document validator calls
// CheckSelector, so a selector that reaches the engine is well formed.
//
// Thread-safety: pure functions, thread-safe.
#ifndef TOCSIN_SERVICES_RUNBOOK_JSONPATH_H_
#define TOCSIN_SERVICES_RUNBOOK_JSONPATH_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tocsin::runbook {

// InvalidArgument naming the selector and what is wrong at which position.
absl::Status CheckSelector(absl::string_view path);

// The value at `path` in `doc` (a copy). InvalidArgument for a malformed path (as
// CheckSelector); NotFound naming the path up to the missing part, e.g.
//   $.body.verdict: no key "verdict"
//   $.items[3]: index 3 is out of range (2 items)
//   $.body.verdict: $.body is a string, not a mapping
absl::StatusOr<nlohmann::json> Select(const nlohmann::json& doc, absl::string_view path);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_JSONPATH_H_
