// tocsin:http (and the check of tocsin:waitFor): one HTTP request from a step's inputs.
//
//   ASSIGN_OR_RETURN(nlohmann::json result,
//                    RunHttpAction(step.inputs, values, {.timeout = absl::Seconds(30),
//                                                        .secrets_dir = flags.secrets_dir}));
//   // {"status": 200, "body": {"verdict": "down"}, "truncated": false}
//
// `inputs` are the step's inputs as the document has them, NOT substituted: RunHttpAction
// substitutes them itself from `values`, because each input is substituted its own way:
//   Url             SubstituteText (values are placed as they are, not URL-encoded); must then
//                   start with http:// or https://
//   Method          GET (default), POST, PUT, PATCH, DELETE (no references)
//   Headers         SubstituteHeaders: the only place {{ secret.NAME }} is resolved
//   Body            SubstituteBody; a JSON body is sent with Content-Type: application/json
//                   unless Headers set a Content-Type
//   ExpectedStatus  SubstituteJson; an HTTP status or a list of them; default: any 2xx
// Other inputs (waitFor's Until, Interval) are ignored.
//
// Result: {"status": N, "body": B, "truncated": bool}, B the reply parsed as JSON when it is
// (whole) JSON, else its text with invalid UTF-8 replaced by U+FFFD (so the result always
// serializes). At most options.max_response_bytes of the reply are kept (truncated: true past
// that; a truncated body is text).
//
// Errors:
//   a status outside ExpectedStatus  "HTTP 503 (expected 200): <first 200 bytes of the body>",
//                   Unavailable for 5xx and 429 (worth retrying), FailedPrecondition otherwise
//   DeadlineExceeded / Unavailable / InvalidArgument  from HttpClient (timeouts, transport,
//                   a malformed URL), as libs/http/http_client.h classifies them
//   InvalidArgument an input of the wrong shape once substituted
//   substitution errors as values.h (FailedPrecondition for a missing value...)
// Messages never contain header values (secrets) and carry the URL only through RedactUrl.
//
// Thread-safety: thread-safe (one HttpClient per call).
#ifndef TOCSIN_SERVICES_RUNBOOK_HTTP_ACTION_H_
#define TOCSIN_SERVICES_RUNBOOK_HTTP_ACTION_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/runbook/values.h"

namespace tocsin::runbook {

struct HttpActionOptions {
  // The whole exchange (connecting included: at most 5 s of it).
  absl::Duration timeout = absl::Seconds(30);
  // Where {{ secret.NAME }} files live; empty: no secrets configured.
  std::string secrets_dir;
  size_t max_response_bytes = 256 * 1024;
};

// The message's body excerpt in an unexpected-status error.
inline constexpr size_t kHttpErrorBodyBytes = 200;

absl::StatusOr<nlohmann::json> RunHttpAction(const nlohmann::json& inputs,
                                             const ValueMap& values,
                                             const HttpActionOptions& options);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_HTTP_ACTION_H_
