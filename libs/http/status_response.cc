#include "libs/http/status_response.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tocsin::http {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string StatusCodeName(absl::StatusCode code) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(code));
}

HttpResponse StatusResponse(const absl::Status& status,
                            std::optional<absl::Duration> retry_after) {
  HttpResponse response;
  if (status.ok()) {
    response.body = "{}";
  } else {
    response = JsonError(HttpStatusFor(status.code()), StatusCodeName(status.code()),
                         status.message());
  }
  if (retry_after.has_value()) {
    const int64_t seconds = std::max<int64_t>(
        0, absl::ToInt64Seconds(absl::Ceil(*retry_after, absl::Seconds(1))));
    response.headers.push_back({"Retry-After", absl::StrCat(seconds)});
  }
  return response;
}

}  // namespace tocsin::http
