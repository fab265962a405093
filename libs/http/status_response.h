// The one mapping from absl::Status to an HTTP answer, for every endpoint that
// turns an error of the code below it into a response.
//
//   absl::StatusOr<Page> page = core->AcceptPage(...);
//   if (!page.ok()) return http::StatusResponse(page.status());
//   ...
//   return http::StatusResponse(absl::ResourceExhaustedError("too many wrong codes"),
//                               absl::Seconds(42));   // 429 with Retry-After: 42
//
// Codes:
//   InvalidArgument, OutOfRange          400  the request is wrong; do not retry it
//   Unauthenticated                      401
//   PermissionDenied                     403
//   NotFound                             404
//   AlreadyExists, Aborted,
//   FailedPrecondition                   409  conflicts with the current state. 409
//                                             rather than 412: HTTP's 412 is about
//                                             the request's own If-* preconditions,
//                                             which no Tocsin endpoint uses.
//   ResourceExhausted                    429  a limit; Retry-After when known
//   Unimplemented                        501
//   Unavailable                          503  transient; retry
//   DeadlineExceeded                     504  transient; retry
//   Cancelled, Unknown, Internal,
//   DataLoss                             500
//   Ok                                   200
#ifndef TOCSIN_LIBS_HTTP_STATUS_RESPONSE_H_
#define TOCSIN_LIBS_HTTP_STATUS_RESPONSE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/http/http_server.h"

namespace tocsin::http {

int HttpStatusFor(absl::StatusCode code);

// The snake_case name of a code: "invalid_argument", "resource_exhausted", ...
std::string StatusCodeName(absl::StatusCode code);

// JsonError(HttpStatusFor(code), StatusCodeName(code), status.message()), with
// "Retry-After: <seconds, rounded up, at least 0>" when retry_after is given.
// An OK status gives 200 with the body "{}".
HttpResponse StatusResponse(const absl::Status& status,
                            std::optional<absl::Duration> retry_after = std::nullopt);

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_STATUS_RESPONSE_H_
