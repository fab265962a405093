// Slack's request signatures, on every request Slack makes to the paging
// service (interactions: the Acknowledge and Resolve buttons):
//
//   X-Slack-Request-Timestamp: <unix seconds>
//   X-Slack-Signature: v0=<lowercase hex HMAC-SHA256(signing secret,
//                                                    "v0:<timestamp>:<raw body>")>
//
// A timestamp older or newer than kSlackSignatureWindow (5 minutes) is
// refused, so a captured request cannot be replayed later.
// Pure and thread-safe (OpenSSL's HMAC).
#ifndef TOCSIN_SERVICES_PAGING_SLACK_SIGNATURE_H_
#define TOCSIN_SERVICES_PAGING_SLACK_SIGNATURE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tocsin::paging {

inline constexpr char kSlackSignatureHeader[] = "X-Slack-Signature";
inline constexpr char kSlackTimestampHeader[] = "X-Slack-Request-Timestamp";
inline constexpr absl::Duration kSlackSignatureWindow = absl::Minutes(5);

// "v0=<hex>" for body sent at timestamp (the header's text, as sent).
std::string SlackSignature(absl::string_view signing_secret, absl::string_view timestamp,
                           absl::string_view body);

// OK when signature is SlackSignature(signing_secret, timestamp, body) and
// timestamp (decimal Unix seconds) is within kSlackSignatureWindow of now,
// either way. Otherwise PermissionDenied with the reason (a missing header, a
// timestamp that is not a number, expired, from the future, a wrong
// signature); the reason never contains the secret or the expected
// signature. The comparison is constant-time. An empty secret never
// verifies.
absl::Status VerifySlackSignature(absl::string_view signature, absl::string_view timestamp,
                                  absl::string_view body, absl::string_view signing_secret,
                                  absl::Time now);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_SLACK_SIGNATURE_H_
